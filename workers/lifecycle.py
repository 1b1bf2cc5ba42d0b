"""No process forked by a worker outlives it holding the worker's connections.

A worker forks its work horse and RQ's scheduler process, and a worker pool forks its
workers. Each child inherits copies of its parent's sockets, Redis connections included.
When a worker was killed (SIGKILL, out of memory) while blocked in BLPOP, a surviving child
kept that socket open, so Redis still saw the dead worker waiting and handed it the next
job id, which nobody read: the job was lost.

`bind_children_to_parent()` installs a fork hook (Python's `os.register_at_fork`, so it
covers every fork made through Python: RQ's, multiprocessing's, ours) that, in each child:

* asks Linux to kill the child when its parent dies (`prctl(PR_SET_PDEATHSIG, SIGKILL)`),
  and exits at once if the parent is already gone;
* points every inherited socket descriptor at /dev/null, so the child can never read or
  keep open its parent's connections (it opens its own: redis-py replaces a connection pool
  it finds in a new process). The descriptor numbers stay taken, so nothing that still
  refers to them can close a socket the child opens later.
"""
from __future__ import annotations

import ctypes
import os
import signal
import stat
import sys

_PR_SET_PDEATHSIG = 1
_forking_parent: list[int] = []
_installed: list[bool] = []


def die_with_parent(sig: int = signal.SIGKILL) -> None:
    """Have the kernel send `sig` to this process when its parent exits (Linux only)."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")


def detach_inherited_sockets() -> None:
    """Replace every socket descriptor of this process with /dev/null."""
    try:
        fds = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        return
    devnull = os.open(os.devnull, os.O_RDWR)
    try:
        for fd in fds:
            if fd == devnull:
                continue
            try:
                if stat.S_ISSOCK(os.fstat(fd).st_mode):
                    os.dup2(devnull, fd)
            except OSError:
                continue
    finally:
        os.close(devnull)


def _before_fork() -> None:
    _forking_parent[:] = [os.getpid()]


def _in_child() -> None:
    parent = _forking_parent[0] if _forking_parent else None
    die_with_parent()
    if parent is not None and os.getppid() != parent:
        os._exit(1)  # the parent died before the hook was in place
    detach_inherited_sockets()


def bind_children_to_parent() -> None:
    """Install the fork hook in this process (and so in all its descendants); idempotent."""
    if _installed:
        return
    os.register_at_fork(before=_before_fork, after_in_child=_in_child)
    _installed.append(True)
