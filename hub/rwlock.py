"""A read-write lock: many jobs use the configuration at once, a reload swaps it alone.

Writers are preferred: once a reload waits, new readers wait behind it, so a busy worker
cannot hold a reload off for ever. Not re-entrant: a thread holding the read side must not
ask for it again (a waiting writer would make it wait for itself).
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator


class ReadWriteLock:
    """Shared reading, exclusive writing, writers first."""

    def __init__(self):
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0
        self._writing = False
        self._writers_waiting = 0

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Hold the read side for the block."""
        self.acquire_read()
        try:
            yield
        finally:
            self.release_read()

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the write side for the block (waits for every reader to finish)."""
        with self._cond:
            self._writers_waiting += 1
            try:
                self._cond.wait_for(lambda: not self._writing and self._readers == 0)
            finally:
                self._writers_waiting -= 1
            self._writing = True
        try:
            yield
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()

    def acquire_read(self) -> None:
        """Take the read side (waits while a writer holds or wants the lock)."""
        with self._cond:
            self._cond.wait_for(lambda: not self._writing and self._writers_waiting == 0)
            self._readers += 1

    def release_read(self) -> None:
        """Give the read side back."""
        with self._cond:
            self._readers -= 1
            if self._readers == 0:
                self._cond.notify_all()
