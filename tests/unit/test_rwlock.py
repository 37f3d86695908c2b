"""The configuration lock: jobs read together, a reload waits for them and goes before new ones."""

from __future__ import annotations

import threading
import time

from hub.rwlock import ReadWriteLock


def until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def test_a_writer_waits_for_readers_and_new_readers_wait_for_the_writer():
    lock, order = ReadWriteLock(), []
    lock.acquire_read()
    lock.acquire_read()      # two jobs at once
    lock.release_read()

    def write():
        with lock.writing():
            order.append("write")

    def read():
        with lock.reading():
            order.append("read")

    writer = threading.Thread(target=write)
    writer.start()
    until(lambda: lock._writers_waiting == 1)
    reader = threading.Thread(target=read)
    reader.start()
    # Both wait on the lock (the writer for the job still reading, the reader behind the writer).
    until(lambda: len(lock._cond._waiters) == 2 or order)
    assert order == []
    lock.release_read()
    writer.join(5)
    reader.join(5)
    assert order == ["write", "read"]                 # the reload went first
