"""`make run` on a terminal: Ctrl-C stops everything and make itself exits 0 (README, "Quick
start"), not 130 as make does when the terminal's SIGINT reaches it too."""
from __future__ import annotations

import os
import pty
import select
import shutil
import time

import pytest

from helpers import API_KEYS, free_port
from session import ROOT, VENV


def read_until(fd: int, buf: bytearray, done, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                buf += os.read(fd, 65536)
            except OSError:  # every process on the terminal has closed it
                time.sleep(0.2)


@pytest.mark.skipif(shutil.which("make") is None or VENV is None, reason="needs make and the tests' venv")
def test_ctrl_c_on_a_terminal_ends_make_run_with_status_0(redis_server):
    env = {**os.environ, "REDIS_URL": redis_server.url, "PORT": str(free_port()), "VENV": str(VENV),
           "CLAIMTRACK_API_KEYS": API_KEYS, "LOG_LEVEL": "WARNING", "STOP_GRACE": "20"}
    pid, fd = pty.fork()
    if pid == 0:  # the child: make on a terminal of its own, as a developer runs it
        os.chdir(ROOT)
        os.execvpe("make", ["make", "-o", f"{VENV}/.installed", "run"], env)
    output = bytearray()
    status = None
    try:
        read_until(fd, output, lambda: b"Ctrl-C stops" in output, timeout=240)
        assert b"Ctrl-C stops" in output, output[-2000:].decode(errors="replace")
        os.write(fd, b"\x03")  # what the terminal turns Ctrl-C into

        def ended() -> bool:
            nonlocal status
            found, waited = os.waitpid(pid, os.WNOHANG)
            if found:
                status = waited
            return status is not None

        read_until(fd, output, ended, timeout=120)
        assert status is not None, "make run did not end: " + output[-3000:].decode(errors="replace")
        text = output.decode(errors="replace")
        assert os.waitstatus_to_exitcode(status) == 0, text[-2000:]
        assert "Interrupt" not in text and "job control" not in text, text[-2000:]
    finally:
        if status is None:
            os.killpg(pid, 9)
            os.waitpid(pid, 0)
        os.close(fd)
