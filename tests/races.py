"""Forcing the race a WATCH guards against: every transaction of the named kind stops between
its reads and its MULTI/EXEC until `parties` of them have read, so they all read the same
state before any writes (the store calls `Connection.before_exec` at that point)."""
from __future__ import annotations

import threading

from service.store import Repositories


class Overlap:
    def __init__(self, store: Repositories, name: str, parties: int) -> None:
        self.name = name
        self.barrier = threading.Barrier(parties, timeout=30)
        self.calls = 0
        self.first_pass: set[int] = set()
        self.lock = threading.Lock()
        store.conn.before_exec = self

    def __call__(self, name: str) -> None:
        if name != self.name:
            return
        with self.lock:
            self.calls += 1
            me = threading.get_ident()
            first = me not in self.first_pass
            self.first_pass.add(me)
        if first:  # a retry after a WatchError goes straight on
            self.barrier.wait()


class Gate:
    """Holds the first transaction named `name` between its reads and its MULTI/EXEC until
    `release` is set (`reached` says it got there), so that a test can commit another write in
    between; a retry after its WatchError goes straight on. `calls` counts how often a
    transaction of that name reached the point (2 or more: it had to read again)."""

    def __init__(self, store: Repositories, name: str) -> None:
        self.name = name
        self.reached = threading.Event()
        self.release = threading.Event()
        self.calls = 0
        store.conn.before_exec = self

    def __call__(self, name: str) -> None:
        if name != self.name:
            return
        self.calls += 1
        if self.calls == 1:
            self.reached.set()
            self.release.wait(30)
