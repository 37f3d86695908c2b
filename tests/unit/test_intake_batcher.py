"""The group committer's one wait: while orders keep coming, a batch waits (a little) for as
many orders as the clients seen lately sent; a quiet server commits an order at once, and a
client posting one order at a time waits for nobody."""

from __future__ import annotations

import threading

import pytest

import hub.services.intake_batcher as ib
from hub.services.intake import CREATED, IntakeResult, Submission


def test_a_quiet_server_waits_for_nothing():
    assert ib.batch_to_wait_for(7, 1, ib.BUSY_SECONDS, 200) == 0
    assert ib.batch_to_wait_for(7, 1, 60.0, 200) == 0


def test_while_orders_keep_coming_a_batch_waits_for_the_clients_seen_lately():
    assert ib.batch_to_wait_for(7, 1, 0.0, 200) == 8       # the last batch, and who queued meanwhile
    assert ib.batch_to_wait_for(1, 0, 0.0, 200) == 1       # one client, one order at a time
    assert ib.batch_to_wait_for(150, 120, ib.BUSY_SECONDS / 2, 200) == 200   # never more than a batch


class Recording:
    """Intake stand-in: records each batch; the first one is held until ``release``."""

    def __init__(self):
        self.batches: list[list[str]] = []
        self.release, self.entered = threading.Event(), threading.Event()

    def __call__(self, hub, batch: list[Submission]) -> list[IntakeResult]:
        if not self.batches:
            self.entered.set()
            self.release.wait(30)
        self.batches.append([s.source for s in batch])
        return [IntakeResult(s.source, CREATED) for s in batch]


@pytest.fixture
def busy(monkeypatch):
    """Orders "keep coming" however slow the machine is; the event is set when the committer
    decides to wait for more orders than one."""
    monkeypatch.setattr(ib, "BUSY_SECONDS", 60.0)
    waits = threading.Event()
    policy = ib.batch_to_wait_for

    def watched(*args):
        wanted = policy(*args)
        if wanted > 1:
            waits.set()
        return wanted
    monkeypatch.setattr(ib, "batch_to_wait_for", watched)
    return waits


def test_orders_queued_while_a_batch_commits_wait_for_its_clients_coming_back(busy):
    intake = Recording()
    batcher = ib.IntakeBatcher(None, accept=intake, linger_seconds=30)
    try:
        first = batcher.submit(Submission("A"))
        assert intake.entered.wait(30)
        meanwhile = [batcher.submit(Submission(s)) for s in ("B", "C", "D")]   # queued while A commits
        intake.release.set()
        assert busy.wait(30), "the committer did not wait for A's client to come back"
        back = batcher.submit(Submission("E"))     # taken while the committer waits
        for f in [first, *meanwhile, back]:
            f.result(30)
        assert intake.batches == [["A"], ["B", "C", "D", "E"]]
    finally:
        batcher.close()


def test_a_client_posting_one_order_at_a_time_waits_for_nobody(busy):
    intake = Recording()
    intake.release.set()
    # A wrong wait would hold each order 30 s, past result()'s patience: the test would fail.
    batcher = ib.IntakeBatcher(None, accept=intake, linger_seconds=30)
    try:
        for name in ("A", "B", "C", "D"):
            batcher.submit(Submission(name)).result(20)
        assert intake.batches == [["A"], ["B"], ["C"], ["D"]]
        assert not busy.is_set()
    finally:
        batcher.close()


def test_the_wait_ends_when_nobody_comes(busy):
    intake = Recording()
    batcher = ib.IntakeBatcher(None, accept=intake, linger_seconds=0.001)
    try:
        first = batcher.submit(Submission("A"))
        assert intake.entered.wait(30)
        second = batcher.submit(Submission("B"))      # queued while A commits: 2 clients seen
        intake.release.set()
        for f in (first, second):
            f.result(30)                              # B waited for A's client, which never came
        assert busy.is_set()
        assert intake.batches == [["A"], ["B"]]
    finally:
        batcher.close()
