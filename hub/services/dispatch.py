"""Send what the outbox holds: claim under a lease, deliver, record the outcome.

Claiming commits a lease first, delivery happens outside any transaction, and the results
of the batch are recorded together. A worker that dies in between leaves leases that
expire; the next worker sends again and the transport recognises a file that had arrived.

A worker that was only stopped (a pause, a swapped-out VM) may wake after its lease expired
and another worker took the document over. It checks its claim just before the transport
publishes (renewing the lease if it still holds it) and again when it records outcomes;
work it no longer owns is dropped with a log line: no state change, no Incident.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Protocol

from hub.domain.model import IncidentDraft
from hub.domain.retry import CircuitBreaker, backoff_seconds
from hub.domain.states import PoState
from hub.errors import DeliveryError, DeliveryWithdrawnError
from hub.services.change_answers import record_deliveries
from hub.services.changes import CHANGE_DOC_TYPES
from hub.services.ports import HubContext

LEASE = timedelta(minutes=5)
_ARCHIVE_KEY = "archive.unwritable:out"
# Until this long before its lease ends, a worker knows it still holds its claim without
# asking the store: nobody may claim a row before its lease has expired by their own clock.
# The margin covers clock differences between machines and the publishing itself.
LEASE_MARGIN = timedelta(minutes=1)
log = logging.getLogger("edihub.dispatch")


class Sender(Protocol):
    """Delivers one document to a partner (hub.adapters.delivery.TransportPool)."""

    def send(self, partner_id: str, filename: str, payload: bytes, content_type: str,
             attempt: int = 1, may_publish: Callable[[], bool] | None = None) -> dict:
        """Deliver; ``may_publish`` is asked right before publishing (False: withdraw)."""


class Archiver(Protocol):
    """Keeps a copy of every document sent (hub.adapters.archive.Archive)."""

    def store_out(self, doc): ...

    def relative(self, path) -> str: ...


@dataclass
class DispatchReport:
    """Counts of one dispatch pass."""

    claimed: int = 0
    sent: int = 0
    already_present: int = 0
    retrying: int = 0
    failed: int = 0
    deferred: int = 0
    superseded: int = 0     # claims another worker took over meanwhile: left to it
    # One (partner or channel, what happened) per document not delivered.
    problems: list[tuple[str, str]] = field(default_factory=list)

    def __add__(self, other: DispatchReport) -> DispatchReport:
        return DispatchReport(*(a + b for a, b in zip(vars(self).values(), vars(other).values())))


@dataclass
class Dispatcher:
    """Delivers due outbox entries for one worker."""

    hub: HubContext
    sender: Sender
    archive: Archiver
    worker_id: str
    max_attempts: int = 8
    retry_base_seconds: float = 30.0
    breakers: dict[str, CircuitBreaker] = field(default_factory=dict)
    should_stop: Callable[[], bool] = lambda: False
    rand: random.Random = field(default_factory=random.Random)

    def run_once(self, limit: int = 200) -> DispatchReport:
        """Claim up to ``limit`` due documents, deliver them, record the results."""
        now = self.hub.clock()
        with self.hub.uow() as uow:
            items = uow.outbox.claim(now, self.worker_id, LEASE, limit)
            uow.commit()
        report = DispatchReport(claimed=len(items))
        outcomes = []
        for item in items:
            if self.should_stop():
                outcomes.append((item, "release", None))  # not attempted: give it back
                continue
            outcomes.append(self._deliver(item, now + LEASE))
        self._record(outcomes, report)
        return report

    def archive_sent(self, limit: int = 500) -> int:
        """Copy sent documents to the archive folder and note where (the store keeps the bytes
        anyway, so a copy missed by a crash, or refused by the disk, is written by a later pass)."""
        with self.hub.uow() as uow:
            rows = uow.outbox.unarchived(limit)
            try:
                paths = [(r.id, self.archive.relative(self.archive.store_out(r))) for r in rows]
            except OSError as exc:
                log.error("cannot write the archive copy of a sent document: %s", exc)
                uow.rollback()
                self._archive_fault(f"{type(exc).__name__}: {exc}")
                return 0
            uow.outbox.set_archive_paths(paths)
            if paths:
                uow.repo.resolve_incidents([_ARCHIVE_KEY], self.hub.clock(), "archive copies written again")
            uow.commit()
        return len(paths)

    def _archive_fault(self, problem: str) -> None:
        with self.hub.uow() as uow:
            uow.repo.file_incidents([IncidentDraft(
                code="archive.unwritable", dedupe_key=_ARCHIVE_KEY,
                message=f"cannot write copies of sent documents to the archive folder ({problem}): "
                        "they were delivered and the store keeps their bytes; fix the folder's "
                        "permissions or free space and the copies are written at the next dispatch")],
                self.hub.clock())
            uow.commit()

    def run_until_empty(self, limit: int = 200) -> DispatchReport:
        """Repeat :meth:`run_once` until nothing due is left (or a stop is requested), then
        archive what was sent."""
        total = DispatchReport()
        while not self.should_stop():
            report = self.run_once(limit)
            total = total + report
            if report.claimed < limit or report.sent + report.already_present == 0:
                break
        while self.archive_sent(limit) == limit:
            pass
        return total

    def _deliver(self, item, lease_until: datetime):
        # Partners are reached by their id; channels by name and notification kind.
        key = item.partner_id or f"channel:{item.channel}:{item.doc_type}"
        breaker = self.breakers.setdefault(key, CircuitBreaker())
        if not breaker.allow(time.monotonic()):
            return (item, "defer", None)
        try:
            receipt = self.sender.send(key, item.filename, item.payload, item.content_type,
                                       item.attempts, lambda: self._still_ours(item, lease_until))
        except DeliveryWithdrawnError:
            return (item, "withdrawn", None)
        except DeliveryError as exc:
            breaker.failed(time.monotonic())
            return (item, "error", exc)
        except Exception as exc:  # a bug or an unforeseen library error: record it, keep going
            log.exception("unexpected error sending %s to %s", item.filename, key)
            breaker.failed(time.monotonic())
            return (item, "error", DeliveryError(f"{key}: unexpected error: {exc!r}", True,
                                                 "transport.unexpected"))
        breaker.succeeded()
        return (item, "sent", receipt)

    def _still_ours(self, item, lease_until: datetime) -> bool:
        """The check before publishing: True while the lease is surely unexpired; nearer its
        end (or past it), renew the lease on ``item`` if this worker's claim is still the
        current one."""
        if self.hub.clock() < lease_until - LEASE_MARGIN:
            return True
        with self.hub.uow() as uow:
            ours = uow.outbox.renew(item.id, self.worker_id, item.attempts, self.hub.clock() + LEASE)
            uow.commit()
        return ours

    def _record(self, outcomes: list, report: DispatchReport) -> None:
        if not outcomes:
            return
        now = self.hub.clock()
        incidents, sent_pos, failed_pos, events, recovered = [], [], [], [], set()
        sent_changes, failed_changes = [], []   # change documents move their change, not their PO
        with self.hub.uow() as uow:
            outcomes = self._still_held(uow, outcomes, report)
            recorded = uow.outbox.mark_sent_many([(item.id, detail) for item, what, detail in outcomes
                                                  if what == "sent"], now)
            for item, what, detail in outcomes:
                if what == "sent":
                    if item.id in recorded:
                        report.sent += 1
                        report.already_present += bool(detail.get("already_present"))
                        recovered.add(item.partner_id)
                        if item.doc_type in CHANGE_DOC_TYPES:
                            sent_changes.append(item.id)
                        elif item.purchase_order_id:
                            sent_pos.append(item.purchase_order_id)
                        if detail.get("already_present"):
                            events.append(_event(now, item, "interchange.resend_recognised",
                                                 f"{item.filename} was already at the partner: an "
                                                 "earlier attempt had delivered it; not sent twice"))
                elif what in ("release", "defer"):
                    report.deferred += 1
                    uow.outbox.mark_retry(item.id, "circuit open: partner failing" if what == "defer"
                                          else "", now + (timedelta(seconds=30) if what == "defer"
                                                          else timedelta(0)))
                elif detail.transient and item.attempts < self.max_attempts:
                    report.retrying += 1
                    delay = max(backoff_seconds(item.attempts, self.retry_base_seconds, rand=self.rand),
                                detail.retry_after or 0)   # the server may ask us to wait longer
                    due = now + timedelta(seconds=delay)
                    uow.outbox.mark_retry(item.id, str(detail), due)
                    incident = _delivery_incident(item, detail, self.max_attempts, due)
                    incidents.append(incident)
                    report.problems.append((item.partner_id or f"channel {item.channel}", incident.message))
                else:
                    report.failed += 1
                    uow.outbox.mark_failed(item.id, str(detail), now)
                    incident = _delivery_incident(item, detail, self.max_attempts)
                    incidents.append(incident)
                    report.problems.append((item.partner_id or f"channel {item.channel}", incident.message))
                    if item.doc_type in CHANGE_DOC_TYPES:
                        failed_changes.append(item.id)
                    elif item.purchase_order_id:
                        failed_pos.append(item.purchase_order_id)
            uow.repo.advance_purchase_orders(sent_pos, PoState.SENT, now, "sent_at")
            uow.repo.advance_purchase_orders(failed_pos, PoState.FAILED, now)
            record_deliveries(uow, self.hub, sent_changes, failed_changes, now)
            uow.repo.resolve_incidents([f"delivery:{p}" for p in recovered if p], now,
                                       "delivered again: the partner is reachable")
            # An Incident about a document that is in fact delivered closes itself (one that
            # failed and was retried by hand, one a worker held up past its lease had filed).
            uow.repo.resolve_incidents_of_interchanges(recorded, now,
                                                       "delivered: the partner has the document")
            uow.repo.file_incidents(incidents, now)
            uow.repo.add_events(events)
            for pid in sorted({item.partner_id for item, _, _ in outcomes if item.partner_id}):
                breaker = self.breakers.get(pid)
                if breaker is not None:   # for the dashboard: this worker's view of the partner
                    uow.repo.beat(f"breaker:{pid}", now, breaker.state == "closed",
                                  f"{breaker.state}, {breaker.failures} failure(s) in a row")
            uow.commit()


    def _still_held(self, uow, outcomes: list, report: DispatchReport) -> list:
        """The outcomes of claims this worker still holds; the others are left to the worker
        that took them over (a log line, nothing recorded)."""
        held = uow.outbox.held([(item.id, item.attempts) for item, _, _ in outcomes], self.worker_id)
        kept = []
        for outcome in outcomes:
            item, what, _ = outcome
            if item.id in held and what != "withdrawn":
                kept.append(outcome)
                continue
            report.superseded += 1
            log.info("%s (interchange %s, attempt %s): another worker took it over while this "
                     "one was held up; left to it (this attempt: %s)", item.filename, item.id,
                     item.attempts, what)
        return kept


def _delivery_incident(item, exc: DeliveryError, max_attempts: int,
                       due: datetime | None = None) -> IncidentDraft:
    """What an operator reads about a document not delivered: the cause, once, and what next."""
    what = f"{item.doc_type} {item.control_number or item.filename}"
    whom = item.partner_id or f"channel {item.channel}"
    if due is not None:
        message = (f"cannot deliver {what} to {whom} (attempt {item.attempts} of {max_attempts}): "
                   f"{exc}; next attempt at {due:%Y-%m-%d %H:%M:%S} UTC")
        key = f"delivery:{item.partner_id or item.channel}"  # one open Incident per partner
    else:
        why = "a permanent error" if not exc.transient else f"{item.attempts} attempt(s)"
        message = (f"gave up delivering {what} to {whom} after {why}: {exc}; fix the cause, then "
                   f"retry it (here, or: edihub documents retry {item.id})")
        key = f"delivery-failed:{item.id}"
    return IncidentDraft(code=exc.incident_code, message=message, partner_id=item.partner_id or "",
                         channel=item.channel or "", interchange_id=item.id,
                         purchase_order_id=item.purchase_order_id,
                         detail={"filename": item.filename, "attempts": item.attempts,
                                 "transient": exc.transient}, dedupe_key=key)


def _event(now: datetime, item, kind: str, message: str) -> dict:
    return {"at": now, "order_id": None, "purchase_order_id": item.purchase_order_id,
            "interchange_id": item.id, "kind": kind, "message": message, "actor": "hub"}
