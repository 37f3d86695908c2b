"""Poll a partner's inbox: fetch each waiting file into the archive, receive it, let it go.

A file is released on the partner's side (archived or deleted there) only after its bytes
are safe in our archive and its outcome is recorded, so a fault at any point leaves it
where it was for the next poll. A fault reading the inbox (an unreachable server, a refused
login) or on our side (an archive folder we cannot write) becomes one open Incident per
partner, cleared by the next good poll, and a report that says what failed: the caller
goes on with the other partners.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable

from hub.domain.model import IncidentDraft
from hub.errors import DeliveryError
from hub.services.inbound import Arrival, ReceiveReport, Receiver, record_failure
from hub.services.inbox import note_skipped
from hub.services.ports import HubContext

log = logging.getLogger("edihub.inbound")


@dataclass
class PollReport:
    """What one poll of one partner's inbox did, or why it did nothing."""

    partner_id: str
    files: list[ReceiveReport] = field(default_factory=list)
    error: str = ""        # what failed, in an operator's words (an Incident says it too)
    skipped: str = ""      # why the inbox was not read this time (not a failure)

    @property
    def applied(self) -> int:
        """Documents applied from every file of this poll."""
        return sum(r.applied for r in self.files)

    def summary(self) -> str:
        """One line for a terminal or a log."""
        if self.error:
            return f"{self.partner_id}: {self.error}"
        if self.skipped:
            return f"{self.partner_id}: not polled: {self.skipped}"
        problems = sum(1 for r in self.files if r.state == "rejected")
        dupes = sum(1 for r in self.files if r.state == "duplicate")
        extra = "".join(f", {n} {what}" for n, what in ((problems, "refused"), (dupes, "duplicate")) if n)
        return f"{self.partner_id}: {len(self.files)} file(s) received, {self.applied} document(s) applied{extra}"


class InboxPoller:
    """Reads partners' inboxes through their transports into the archive and the receiver."""

    def __init__(self, hub: HubContext, transports, archive, receiver: Receiver):
        self.hub, self.transports, self.archive, self.receiver = hub, transports, archive, receiver

    def poll(self, partner_id: str, should_stop: Callable[[], bool] = lambda: False) -> PollReport:
        """Fetch every waiting file from one partner's inbox: archive, receive, then release it."""
        from transports.errors import PermanentTransportError, TransportError
        report, key = PollReport(partner_id), f"poll:{partner_id}"
        partner = self.hub.partners.get(partner_id)
        if partner is None:
            report.error = f"no partner {partner_id!r} (partners: {', '.join(sorted(self.hub.partners))})"
            return report
        schedule = f"the next poll ({partner.poll})"
        try:
            self._poll(partner_id, should_stop, report)
        except (TransportError, DeliveryError) as exc:
            permanent = isinstance(exc, PermanentTransportError) or not getattr(exc, "transient", True)
            report.error = (f"cannot read {partner_id}'s inbox: {exc}; "
                            + ("fix the cause (partner file or the partner's server); it is tried again "
                               f"at {schedule}" if permanent else f"tried again at {schedule}"))
            code = exc.incident_code
        except Exception as exc:  # our side (disk, archive folder, a bug): keep the other partners going
            log.exception("polling %s failed", partner_id)
            report.error = (f"polling {partner_id}'s inbox failed on our side: {type(exc).__name__}: {exc}; "
                            f"the files stay in the inbox and are tried again at {schedule}")
            code = "inbound.poll_failed"
        with self.hub.uow() as uow:
            now = self.hub.clock()
            if report.error:
                uow.repo.file_incidents([IncidentDraft(code=code, partner_id=partner_id, dedupe_key=key,
                                                       message=report.error)], now)
            else:
                uow.repo.resolve_incidents([key], now, "the inbox was read again")
            uow.repo.beat(key, now, not report.error, report.summary())   # the dashboard's "last poll"
            uow.commit()
        return report

    def _poll(self, partner_id: str, should_stop, report: PollReport) -> None:
        transport = self.transports.get(partner_id)
        listing = transport.list_inbox()
        # Files skipped for their names never block the others; an operator hears of them.
        note_skipped(self.hub, partner_id, getattr(listing, "skipped", ()))
        for remote in listing:
            if should_stop():
                break   # the files left wait for the next poll, untouched
            path, sha, size = self.archive.store_in_with(lambda sink: transport.fetch(remote.name, sink),
                                                         self.hub.clock())
            arrival = Arrival(transport.name, self.archive.relative(path), sha, size, remote.name,
                              partner_id)
            report.files.append(receive_safely(self.hub, self.receiver, arrival))
            transport.done(remote.name)   # only now: the bytes are safe and the outcome recorded


def receive_safely(hub: HubContext, receiver: Receiver, arrival: Arrival) -> ReceiveReport:
    """Receive; an unexpected failure is recorded against the archived bytes, not retried forever."""
    try:
        return receiver.receive(arrival)
    except Exception as exc:  # a bug must not lose the file nor stop the other files
        log.exception("processing %s failed", arrival.archive_path)
        return record_failure(hub, arrival, exc)
