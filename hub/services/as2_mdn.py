"""Record an asynchronous MDN a partner POSTed about an AS2 message we sent.

The web endpoint verifies the MDN (signature, MIC) against the interchange it names, found
by the Message-ID in that interchange's receipt; this module records the outcome. An MDN
that is the partner's verified word goes into the interchange's receipt; one saying the
message was not processed also marks the interchange failed and files an Incident, so an
operator fixes the cause and sends it again. An MDN that cannot be matched or trusted changes
nothing but is an Incident: it may be forged, or our certificates differ from the partner's.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.adapters.as2_store import As2Store
from hub.domain.model import IncidentDraft
from hub.domain.states import PoState
from hub.services.ports import HubContext


@dataclass(frozen=True, slots=True)
class MdnOutcome:
    """What verifying an asynchronous MDN found (from transports' MdnResult)."""

    message_id: str | None     # the message of ours the MDN answers
    status: str                # "processed", "duplicate" or "error"
    disposition: str
    detail: dict               # what the receipt keeps: MdnResult.detail()
    archive_path: str          # the MDN as received
    sha256: str
    sender: str | None = None  # AS2-From of the MDN, as the request claims
    error: str | None = None
    trusted: bool = True       # False: no verified word from the partner


def find_sent(hub: HubContext, message_id: str) -> dict | None:
    """The outbound interchange carrying AS2 message ``message_id`` (with its receipt), or None."""
    with hub.uow() as uow:
        return As2Store(uow.conn).sent_message(message_id)


def record_async_mdn(hub: HubContext, sent: dict | None, outcome: MdnOutcome) -> str:
    """Record an MDN about ``sent`` (from :func:`find_sent`); return what was done.

    "unmatched" or "untrusted": an Incident, nothing else changed; "recorded": the receipt
    holds the MDN; "refused": also the interchange failed and an Incident was filed.
    """
    now = hub.clock()
    with hub.uow() as uow:
        if sent is None or not outcome.trusted:
            uow.repo.file_incidents([_doubtful(sent, outcome)], now)
            uow.commit()
            return "unmatched" if sent is None else "untrusted"
        store = As2Store(uow.conn)
        # Our own MIC stays under "mic"; the partner's goes beside it.
        facts = {**outcome.detail, "mic": sent["detail"].get("mic"),
                 "mdn_mic": outcome.detail.get("mic"), "mdn_pending": False,
                 "mdn_received_at": now.isoformat(), "mdn_archive_path": outcome.archive_path}
        store.record_mdn(sent["id"], facts)
        refused = outcome.status == "error"
        if refused:
            store.mark_refused(sent["id"], outcome.error or outcome.disposition, now)
            if sent["purchase_order_id"]:   # the partner never got it: the PO did not go out
                uow.repo.advance_purchase_orders([sent["purchase_order_id"]], PoState.FAILED, now)
            uow.repo.file_incidents([_refusal(sent, outcome)], now)
        uow.repo.add_events([_event(now, sent, outcome)])
        uow.commit()
    return "refused" if refused else "recorded"


def _what(sent: dict) -> str:
    return f"{sent['doc_type']} {sent['control_number'] or sent['filename']}"


def _refusal(sent: dict, outcome: MdnOutcome) -> IncidentDraft:
    return IncidentDraft(
        code="as2.mdn_refused", partner_id=sent["partner_id"] or "", interchange_id=sent["id"],
        purchase_order_id=sent["purchase_order_id"],
        message=f"{sent['partner_id']} did not process {_what(sent)} (AS2 message "
                f"{outcome.message_id}): {outcome.error}. The interchange is marked failed: fix "
                "the cause, then retry it from the console.",
        detail={"disposition": outcome.disposition, "mdn_archive_path": outcome.archive_path},
        dedupe_key=f"as2.mdn_refused:{sent['id']}")


def _doubtful(sent: dict | None, outcome: MdnOutcome) -> IncidentDraft:
    if sent is None:
        return IncidentDraft(
            code="as2.mdn_unmatched", partner_id="",
            message=f"an MDN from {outcome.sender!r} arrived for AS2 message "
                    f"{outcome.message_id!r}, which matches no message we sent: it confirms "
                    f"nothing. The MDN is kept in the archive ({outcome.archive_path}).",
            detail={"sender": outcome.sender, "archive_path": outcome.archive_path},
            dedupe_key=f"as2.mdn_unmatched:{outcome.sha256}")
    return IncidentDraft(
        code="as2.mdn_untrusted", partner_id=sent["partner_id"] or "", interchange_id=sent["id"],
        purchase_order_id=sent["purchase_order_id"],
        message=f"an MDN about {_what(sent)} (AS2 message {outcome.message_id}) was not "
                f"recorded: {outcome.error}. Delivery stays unconfirmed; the MDN is kept in the "
                f"archive ({outcome.archive_path}).",
        detail={"sender": outcome.sender, "archive_path": outcome.archive_path},
        dedupe_key=f"as2.mdn_untrusted:{outcome.sha256}")


def _event(now, sent: dict, outcome: MdnOutcome) -> dict:
    verdict = ("confirms it was processed" if outcome.status == "processed" else
               "says it had arrived already" if outcome.status == "duplicate" else
               f"says it was not processed ({outcome.disposition})")
    return {"at": now, "order_id": None, "purchase_order_id": sent["purchase_order_id"],
            "interchange_id": sent["id"], "kind": "as2.mdn_received",
            "message": f"the MDN for {_what(sent)} {verdict}", "actor": "hub"}
