"""Record what became of each AS2 message a partner posted to the hub's ``/as2`` endpoint.

Every request gets a row (doc_type ``"as2"``, see :mod:`hub.adapters.as2_store`) pointing
at the raw request in the archive, whatever happens to it: refused (an Incident says why),
a duplicate of a processed Message-ID, or received and then processed. A message counts as
processed, and so as a duplicate when it comes again, only once its payload was applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hub.adapters.as2_store import As2Store, message_key
from hub.domain.model import IncidentDraft
from hub.domain.states import InterchangeState
from hub.services.ports import HubContext


@dataclass(frozen=True, slots=True)
class As2Arrival:
    """One AS2 request as the endpoint saw it: where its raw bytes are, what checking found."""

    archive_path: str
    sha256: str
    size: int
    status: str                    # "processed", "duplicate" or "error"
    sender: str | None             # AS2-From, as the request claims
    partner_id: str | None         # the partner file with that partner_as2_id, if any
    message_id: str | None
    disposition: str = ""
    error: str | None = None
    filename: str | None = None
    content_type: str = ""
    facts: dict = field(default_factory=dict)   # signed, encrypted, MIC, MDN mode, ...

    def row(self, state: InterchangeState, now, **values) -> dict:
        """The interchange row for this request."""
        return {"partner_id": self.partner_id, "state": state.value, "created_at": now,
                "filename": (self.filename or "as2-request")[:200],
                "content_type": (self.content_type or "application/octet-stream")[:80],
                "archive_path": self.archive_path, "sha256": self.sha256, "size": self.size,
                "remote_name": message_key(self.message_id) if self.message_id else "",
                "receipt": self.receipt(), **values}

    def receipt(self) -> dict:
        """What the row's receipt keeps about the message."""
        return {"message_id": self.message_id, "sender": self.sender,
                "disposition": self.disposition, "filename": self.filename, **self.facts}

    @property
    def name(self) -> str:
        """How an operator reads which message this is."""
        return f"AS2 message {self.message_id or '(without Message-ID)'} from {self.sender!r}"


def is_processed(hub: HubContext, partner_id: str, message_id: str) -> bool:
    """True if the partner's message with this Message-ID was processed already."""
    with hub.uow() as uow:
        return As2Store(uow.conn).processed_message(partner_id, message_id) is not None


def record_refusal(hub: HubContext, arrival: As2Arrival) -> int:
    """Keep a refused message as a rejected row and file an Incident saying why."""
    now = hub.clock()
    with hub.uow() as uow:
        row = As2Store(uow.conn).add_message(**arrival.row(
            InterchangeState.REJECTED, now, done_at=now, last_error=(arrival.error or "")[:4000]))
        answered = (f"the partner was sent an error MDN ({arrival.disposition})"
                    if arrival.disposition else "it was answered HTTP 400, without an MDN")
        uow.repo.file_incidents([IncidentDraft(
            code="as2.refused", partner_id=arrival.partner_id or "", interchange_id=row,
            message=f"{arrival.name} was refused: {arrival.error}; {answered}. The request as "
                    f"received is kept in the archive ({arrival.archive_path}).",
            detail={"sender": arrival.sender, "message_id": arrival.message_id,
                    "reason": arrival.error, "disposition": arrival.disposition,
                    "archive_path": arrival.archive_path},
            dedupe_key=f"as2.refused:{arrival.sha256}")], now)
        uow.commit()
    return row


def record_duplicate(hub: HubContext, arrival: As2Arrival) -> int:
    """Keep a message whose Message-ID was processed already: recorded, not applied again."""
    now = hub.clock()
    with hub.uow() as uow:
        store = As2Store(uow.conn)
        earlier = store.processed_message(arrival.partner_id or "", arrival.message_id or "")
        row = store.add_message(**arrival.row(InterchangeState.DUPLICATE, now, done_at=now,
                                              duplicate_of=earlier))
        uow.commit()
    return row


def start_message(hub: HubContext, arrival: As2Arrival) -> int:
    """Record a verified message before its payload is handed on."""
    with hub.uow() as uow:
        row = As2Store(uow.conn).add_message(**arrival.row(InterchangeState.RECEIVED,
                                                           hub.clock()))
        uow.commit()
    return row


def finish_message(hub: HubContext, row: int, arrival: As2Arrival, report) -> None:
    """Mark a message processed once its payload was received (``report``: a ReceiveReport)."""
    now = hub.clock()
    facts = {"documents": {"state": report.state, "interchanges": report.interchanges,
                           "transactions": report.transactions, "applied": report.applied}}
    with hub.uow() as uow:
        As2Store(uow.conn).settle_message(row, InterchangeState.PROCESSED, now, facts)
        uow.repo.resolve_incidents([_failed_key(arrival)], now,
                                   "the partner sent the message again and it was processed")
        uow.commit()


def record_failure(hub: HubContext, row: int, arrival: As2Arrival, exc: Exception) -> None:
    """Note that handing a verified message on failed; the partner is asked to send it again."""
    now = hub.clock()
    # The exception's text may quote the document: keep its kind and a short start only.
    what = f"{type(exc).__name__}: {str(exc)[:200]}"
    with hub.uow() as uow:
        As2Store(uow.conn).settle_message(row, InterchangeState.REJECTED, now, error=what)
        uow.repo.file_incidents([IncidentDraft(
            code="as2.processing_failed", partner_id=arrival.partner_id or "", interchange_id=row,
            message=f"{arrival.name} was decrypted and verified, but processing it failed "
                    f"unexpectedly ({what}). No MDN was sent and the partner was answered "
                    "HTTP 500, so its station should send the message again; it is kept in the "
                    f"archive ({arrival.archive_path}). If it keeps failing, report it.",
            detail={"message_id": arrival.message_id, "archive_path": arrival.archive_path},
            dedupe_key=_failed_key(arrival))], now)
        uow.commit()


def record_mdn_delivery(hub: HubContext, row: int, arrival: As2Arrival, url: str,
                        error: str | None) -> None:
    """Note how POSTing the asynchronous MDN for a message went; a failure is an Incident."""
    now = hub.clock()
    with hub.uow() as uow:
        As2Store(uow.conn).add_facts(row, {"mdn_delivered": error is None, "mdn_error": error})
        if error is not None:
            uow.repo.file_incidents([IncidentDraft(
                code="as2.mdn_undelivered", partner_id=arrival.partner_id or "",
                interchange_id=row,
                message=f"the MDN for {arrival.name} could not be delivered to {url}: {error}. "
                        "The message itself was handled as usual (see its record); the partner "
                        "may send it again (it is answered as a duplicate) or ask us for the MDN.",
                detail={"message_id": arrival.message_id, "disposition": arrival.disposition},
                dedupe_key=f"as2.mdn_undelivered:{arrival.partner_id}:{arrival.message_id}")],
                now)
        uow.commit()


def _failed_key(arrival: As2Arrival) -> str:
    return f"as2.processing_failed:{arrival.partner_id}:{arrival.message_id}"
