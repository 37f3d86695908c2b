"""The group committer's one wait: while orders keep coming, a batch waits (a little) for as
many orders as the last two batches held; a quiet server commits an order at once."""

from __future__ import annotations

import threading

import pytest

import hub.services.intake_batcher as ib
from hub.services.intake import CREATED, IntakeResult, Submission


def test_a_quiet_server_waits_for_nothing():
    assert ib.batch_to_wait_for((3, 5), ib.BUSY_SECONDS, 200) == 0
    assert ib.batch_to_wait_for((3, 5), 60.0, 200) == 0


def test_while_orders_keep_coming_a_batch_waits_for_as_many_as_the_last_two_held():
    assert ib.batch_to_wait_for((1, 7), 0.0, 200) == 8
    assert ib.batch_to_wait_for((0, 1), ib.BUSY_SECONDS / 2, 200) == 1
    assert ib.batch_to_wait_for((150, 120), 0.0, 200) == 200     # never more than a batch takes


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
def waiting(monkeypatch):
    """Set when the committer decides to wait for orders not queued yet."""
    seen = threading.Event()
    policy = ib.batch_to_wait_for

    def watched(recent, since, max_batch):
        wanted = policy(recent, since, max_batch)
        if wanted > 1:
            seen.set()
        return wanted
    monkeypatch.setattr(ib, "batch_to_wait_for", watched)
    return seen


def test_an_order_arriving_alone_under_load_waits_for_the_others(waiting, monkeypatch):
    monkeypatch.setattr(ib, "BUSY_SECONDS", 60.0)      # "orders keep coming", however slow the machine
    intake = Recording()
    batcher = ib.IntakeBatcher(None, accept=intake, linger_seconds=30)
    try:
        first = batcher.submit(Submission("A"))
        assert intake.entered.wait(30)
        later = [batcher.submit(Submission(s)) for s in ("B", "C")]   # queued while A commits
        intake.release.set()
        for f in [first, *later]:
            f.result(30)
        assert intake.batches == [["A"], ["B", "C"]]
        alone = batcher.submit(Submission("D"))
        assert waiting.wait(30), "the committer did not wait for the orders on their way"
        rest = [batcher.submit(Submission(s)) for s in ("E", "F")]
        for f in [alone, *rest]:
            f.result(30)
        assert intake.batches[-1] == ["D", "E", "F"]
    finally:
        batcher.close()


def test_the_wait_ends_when_nobody_comes(waiting, monkeypatch):
    monkeypatch.setattr(ib, "BUSY_SECONDS", 60.0)
    intake = Recording()
    intake.release.set()
    batcher = ib.IntakeBatcher(None, accept=intake, linger_seconds=0.001)
    try:
        for name in ("A", "B", "C"):
            batcher.submit(Submission(name)).result(30)
        assert waiting.is_set()           # C was waited for, as many as A's and B's batches held...
        assert intake.batches == [["A"], ["B"], ["C"]]    # ...and committed alone when none came
    finally:
        batcher.close()
