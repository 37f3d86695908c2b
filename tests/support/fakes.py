"""Fakes for fast unit tests: a clock that only moves when told, a sender that keeps what it got."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hub.errors import DeliveryError, DeliveryWithdrawnError

START = datetime(2026, 11, 25, 10, 0, 0, tzinfo=timezone.utc)


class FakeClock:
    """A clock standing still at ``now`` until :meth:`advance` moves it."""

    def __init__(self, start: datetime = START):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> datetime:
        """Move the clock forward by a timedelta's keywords (hours=2, ...)."""
        self.now += timedelta(**delta)
        return self.now


class FakeSender:
    """Keeps every document it is asked to send; can be told to fail."""

    def __init__(self):
        self.sent: list[tuple[str, str, bytes]] = []
        self.failures: list[DeliveryError] = []   # raised in order, one per send, before succeeding

    def send(self, partner_id: str, filename: str, payload: bytes, content_type: str,
             attempt: int = 1, may_publish=None) -> dict:
        if self.failures:
            raise self.failures.pop(0)
        if may_publish is not None and not may_publish():
            raise DeliveryWithdrawnError(f"{partner_id}: {filename} withdrawn")
        already = any(f == filename and p == payload for _, f, p in self.sent)
        self.sent.append((partner_id, filename, payload))
        return {"transport": "fake", "remote_name": filename, "already_present": already}


class FakeArchive:
    """Keeps archived documents in memory."""

    def __init__(self):
        self.out: dict[int, bytes] = {}

    def store_out(self, doc):
        self.out[doc.id] = doc.payload
        return f"mem/{doc.id}"

    def relative(self, path) -> str:
        return str(path)
