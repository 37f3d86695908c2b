"""Group commit for orders that arrive one at a time (the order API).

Request threads hand their decoded order to this process's one committer thread and wait
for their own answer. The committer takes everything queued at that moment (up to
``max_batch``), runs one :func:`~hub.services.intake.accept` for all of it (one
transaction, one commit) and hands each waiting thread its own result. While one commit
runs the next orders queue up, so batches grow with the load by themselves, and an order on
a quiet server is committed at once. Under steady load, though, the clients split into two
groups taking turns (one commits while the other is on its way back with its next order),
and the smaller group pays a whole commit for a few orders: so while orders keep coming, a
batch waits a few milliseconds at most for as many orders as the clients seen lately sent,
those of the last batch and those that queued while it was committed
(:func:`batch_to_wait_for`). After the commit the committer may also read what the
requests answer with, once for the whole batch.

Correctness does not rest on the committer: each web process has its own, and the store's
unique (channel, channel_order_id) decides between them as it does between any writers.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, Callable

from sqlalchemy.exc import InterfaceError, OperationalError

from hub.services.intake import IntakeResult, Submission, accept
from hub.services.ports import HubContext

log = logging.getLogger("edihub.intake")

MAX_BATCH = 200
WAIT_SECONDS = 20.0
LINGER_SECONDS = 0.015    # the longest a batch waits for orders on their way (their clients
                          # answered, then sending the next: about 1.5 ms of this process each)
BUSY_SECONDS = 0.05       # orders keep coming: the last commit ended less than this ago


def batch_to_wait_for(last_batch: int, queued_meanwhile: int, since_last_commit: float,
                      max_batch: int) -> int:
    """How many orders a batch waits for (a little, see LINGER_SECONDS) before it is
    committed: while orders keep coming, as many as the last batch held plus those that
    queued while it was committed, the clients seen lately; else none (a quiet server
    commits an order at once). A client posting one order at a time waits for nobody."""
    if since_last_commit >= BUSY_SECONDS:
        return 0
    return min(last_batch + queued_meanwhile, max_batch)


class IntakeUnavailable(Exception):
    """The order could not be taken in now (the store is unavailable, the committer is stuck
    or stopping); sending the same order again later is safe."""


class IntakeFailed(Exception):
    """Intake broke on a batch for a reason no single order explains (a fault of the hub)."""


class IntakeBatcher:
    """One committer thread taking orders in for many request threads, a batch per commit."""

    def __init__(self, hub: HubContext, max_batch: int = MAX_BATCH,
                 accept: Callable[[HubContext, list[Submission]], list[IntakeResult]] = accept,
                 answer: Callable[[list[IntakeResult]], list] | None = None,
                 wait_seconds: float = WAIT_SECONDS, linger_seconds: float = LINGER_SECONDS):
        """``accept`` takes a batch in (intake's own); ``answer``, run after each commit with
        the batch's results, gives each request something more (say, its order as stored,
        read for the whole batch at once); a request waits ``wait_seconds`` at most; a batch
        waits ``linger_seconds`` at most for orders on their way."""
        self.hub, self.max_batch, self.accept, self.answer = hub, max_batch, accept, answer
        self.wait_seconds, self.linger_seconds = wait_seconds, linger_seconds
        self._queue: deque[tuple[Submission, Future]] = deque()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closing = False

    def take(self, submission: Submission) -> tuple[IntakeResult, Any]:
        """Take one submission in with the others waiting now: its result and its answer (None
        without an ``answer`` function, or when that failed), or IntakeUnavailable."""
        future = self.submit(submission)
        try:
            return future.result(self.wait_seconds)
        except FutureTimeout:
            # Not yet taken: it never will be. Already being committed: it may go in; either
            # way the sender is told to send it again, which intake answers idempotently.
            future.cancel()
            raise IntakeUnavailable(f"the order was not taken in within {self.wait_seconds:g} s (the "
                                    "store is busy); send it again") from None

    def submit(self, submission: Submission) -> Future:
        """Queue a submission for the next commit; the future holds its result and answer."""
        future: Future = Future()
        with self._cond:
            if self._closing:
                raise IntakeUnavailable("this process is stopping; send the order again")
            self._queue.append((submission, future))
            if self._thread is None or not self._thread.is_alive():
                # Started with the first order, so an app that takes none runs no thread;
                # a daemon, so a process that exits without close() is not held up by it.
                self._thread = threading.Thread(target=self._run, name="edihub-intake", daemon=True)
                self._thread.start()
            self._cond.notify()
        return future

    def close(self, timeout: float = WAIT_SECONDS) -> None:
        """Take no more orders, commit those already queued, and stop the committer."""
        with self._cond:
            self._closing = True
            self._cond.notify()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        last = meanwhile = 0           # the last batch's size; orders queued while it was committed
        ended = float("-inf")          # when the last commit ended (monotonic)
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._queue or self._closing)
                if not self._queue:
                    return
                wanted = batch_to_wait_for(last, meanwhile, time.monotonic() - ended, self.max_batch)
                if len(self._queue) < wanted and not self._closing:
                    self._cond.wait_for(lambda: len(self._queue) >= wanted or self._closing,
                                        self.linger_seconds)
                batch = [self._queue.popleft() for _ in range(min(self.max_batch, len(self._queue)))]
            self._commit(batch)
            with self._cond:
                last, meanwhile, ended = len(batch), len(self._queue), time.monotonic()

    def _commit(self, batch: list[tuple[Submission, Future]]) -> None:
        """One accept for the batch; every waiting request gets its own answer, whatever happens."""
        live = [(sub, fut) for sub, fut in batch if fut.set_running_or_notify_cancel()]
        if not live:
            return
        try:
            results = self.accept(self.hub, [sub for sub, _ in live])
            if len(results) != len(live):
                raise RuntimeError(f"intake answered {len(results)} results for {len(live)} orders")
        except Exception as exc:  # answered to each request of the batch; the committer goes on
            log.error("a batch of %d order(s) could not be taken in", len(live), exc_info=exc)
            store_down = isinstance(exc, (OperationalError, InterfaceError))
            for _, fut in live:   # an exception of its own for each request: raised in its thread
                failure = (IntakeUnavailable(f"the store is unavailable ({type(exc).__name__}); send "
                                             "the order again") if store_down else
                           IntakeFailed(f"intake failed ({type(exc).__name__}: {exc})"))
                failure.__cause__ = exc
                fut.set_exception(failure)
            return
        for (_, fut), result, answer in zip(live, results, self._answers(results)):
            fut.set_result((result, answer))

    def _answers(self, results: list[IntakeResult]) -> list:
        """The answer to each result, or None for all (each request then reads its own)."""
        if self.answer is not None:
            try:
                answers = list(self.answer(results))
                if len(answers) == len(results):
                    return answers
                log.error("%d answers for a batch of %d orders", len(answers), len(results))
            except Exception:  # the orders are in, only their answers are missing
                log.exception("the answers to a batch of %d order(s) could not be read", len(results))
        return [None] * len(results)
