"""What an operator does to a document: retry or resend one going out, reprocess one that came in.

Retry (a document that failed, or one waiting for its next attempt) sends the same
interchange again, control numbers unchanged: a failed document was refused before the
partner took it (an unreachable or misconfigured server, a changed host key, an AS2 MDN
saying it was not processed), so its numbers are still unused there, and should it have
arrived after all, the same bytes are recognised as already there. Resend (a document that
was delivered) is a new interchange with new control numbers, recorded as a resend of the
first: the partner has the first one's numbers, and its translator would drop the same
numbers again as a duplicate. Reprocess reads a stored received file again after a partner
or mapping fix; the duplicate checks let an explicit reprocess through.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.domain.states import InterchangeState, PoState
from hub.services.audit import ActionRefused, audit
from hub.services.fulfil import Outcome, requeue_documents
from hub.services.inbound import Arrival, ReceiveReport
from hub.services.ports import HubContext

_FA = ("997", "999")
_CHANGES = ("860", "xml-change")   # a change document moves its change, not its purchase order


@dataclass
class DocumentAction:
    """What an action on a document did, in words."""

    interchange_id: int
    message: str
    new_interchange_id: int | None = None
    report: ReceiveReport | None = None


def _document(uow, interchange_id: int) -> dict:
    doc = uow.outbox.get(interchange_id)
    if doc is None:
        raise ActionRefused(f"there is no document #{interchange_id}")
    return doc


def _name(doc: dict) -> str:
    return f"document #{doc['id']} ({doc['doc_type']} {doc['control_number'] or doc['filename']})"


def retry_outbound(hub: HubContext, interchange_id: int, actor: str, reason: str = "") -> DocumentAction:
    """Send a failed (or waiting) outbound document again, as it is, at once."""
    now = hub.clock()
    with hub.uow() as uow:
        doc = _document(uow, interchange_id)
        if doc["direction"] != "out":
            raise ActionRefused(f"{_name(doc)} came in from a partner: reprocess it instead")
        if doc["state"] == InterchangeState.SENT.value:
            raise ActionRefused(f"{_name(doc)} was delivered: resend it to send it again (a new "
                                "interchange with new control numbers)")
        if doc["state"] not in (InterchangeState.FAILED.value, InterchangeState.QUEUED.value):
            raise ActionRefused(f"{_name(doc)} is {doc['state']}: only a failed or waiting document "
                                "can be retried")
        if not uow.outbox.requeue(interchange_id, now):
            raise ActionRefused(f"{_name(doc)} is being sent right now: look again in a minute")
        if doc["purchase_order_id"] and doc["state"] == InterchangeState.FAILED.value and \
                doc["doc_type"] not in _CHANGES:
            uow.repo.advance_purchase_orders([doc["purchase_order_id"]], PoState.QUEUED, now)
        uow.repo.add_events([_event(now, doc, "document.retry", actor,
                                    f"{doc['doc_type']} {doc['control_number'] or ''} queued again by "
                                    f"{actor} (same control numbers)".replace("  ", " "))])
        audit(uow, now, actor, "document.retry", _name(doc), before={"state": doc["state"]},
              after={"state": "queued"}, reason=reason, interchange_id=interchange_id,
              partner_id=doc["partner_id"])
        uow.commit()
    hub.on_queued()
    return DocumentAction(interchange_id, f"{_name(doc)} is queued again and goes out at once, with "
                                          "the same control numbers")


def resend_outbound(hub: HubContext, interchange_id: int, actor: str, reason: str = "") -> DocumentAction:
    """Send a delivered document again as a new interchange (a purchase order is built anew with
    new control numbers; a channel notification goes again as it was)."""
    now = hub.clock()
    with hub.uow() as uow:
        doc = _document(uow, interchange_id)
        if doc["direction"] != "out" or doc["state"] != InterchangeState.SENT.value:
            raise ActionRefused(f"{_name(doc)} is {doc['state']}: only a delivered document can be "
                                "resent (retry a failed one)")
        if doc["doc_type"] in _FA:
            raise ActionRefused(f"{_name(doc)} is an acknowledgement: it answers one interchange of the "
                                "partner's and is not sent again on its own")
        if doc["doc_type"] in _CHANGES:
            raise ActionRefused(f"{_name(doc)} is a change to a purchase order the supplier has: it is "
                                "not sent again on its own (the same change twice could change the "
                                "order twice); if the supplier lost it, tell it by other means and "
                                "record its answer on the order page")
        waiting = uow.outbox.pending_resend(doc["id"])
        if waiting is not None:   # a form sent twice, or two people at once: one resend is enough
            raise ActionRefused(f"{_name(doc)} is being sent again already, as document #{waiting}")
        out = Outcome()
        if doc["partner_id"] and doc["purchase_order_id"]:
            po = uow.repo.purchase_orders_by_id({doc["purchase_order_id"]})[doc["purchase_order_id"]]
            order = uow.repo.get_order(po.order_id)
            requeue_documents(uow, hub, [(order, po)], now, out, resend_of={po.id: doc["id"]})
            if not out.queued:
                uow.repo.file_incidents(out.incidents, now)
                uow.commit()
                raise ActionRefused(f"{_name(doc)} could not be built again: "
                                    + "; ".join(i.message for i in out.incidents))
        else:
            uow.repo.insert_interchanges([uow.outbox.copy_for_resend(doc, now)])
        new_id = uow.outbox.latest_resend(doc["id"])
        uow.repo.add_events(out.events + [_event(now, doc, "document.resend", actor,
                                                 f"{doc['doc_type']} {doc['control_number'] or doc['filename']}"
                                                 f" sent again by {actor} as document #{new_id}")])
        audit(uow, now, actor, "document.resend", _name(doc), after={"new_document": new_id},
              reason=reason, interchange_id=interchange_id, partner_id=doc["partner_id"])
        uow.commit()
    hub.on_queued()
    return DocumentAction(interchange_id, f"{_name(doc)} is sent again as document #{new_id}", new_id)


def reprocess_inbound(hub: HubContext, receiver, interchange_id: int, actor: str,
                      partner_id: str | None = None, reason: str = "") -> DocumentAction:
    """Read a stored received file again (after a partner or mapping fix), as received, with
    the duplicate checks let through; ``partner_id`` names whose it is when the file does not."""
    with hub.uow() as uow:
        doc = _document(uow, interchange_id)
    if doc["direction"] != "in":
        raise ActionRefused(f"{_name(doc)} is one we send: retry or resend it instead")
    if doc["doc_type"] == "as2":
        raise ActionRefused(f"{_name(doc)} is a raw AS2 message: reprocess the document it carried "
                            "(listed beside it), or ask the partner to send it again if it could "
                            "not be opened")
    if doc["state"] == InterchangeState.RECEIVED.value:
        raise ActionRefused(f"{_name(doc)} is being read right now")
    if partner_id is not None and partner_id not in hub.partners:
        raise ActionRefused(f"there is no partner {partner_id!r}")
    report = receiver.receive(Arrival("reprocess", doc["archive_path"], doc["sha256"], doc["size"],
                                      doc["remote_name"], partner_id or doc["partner_id"], reprocess=True))
    now = hub.clock()
    cleared = report.state == "processed" and not report.problems
    with hub.uow() as uow:
        if cleared:
            uow.repo.resolve_incidents_of_interchanges([interchange_id], now, f"reprocessed by {actor}", actor)
        uow.repo.add_events([_event(now, doc, "document.reprocessed", actor,
                                    f"{doc['filename']} read again by {actor}: {report.state}, "
                                    f"{report.applied} document(s) applied")])
        audit(uow, now, actor, "document.reprocess", _name(doc), before={"state": doc["state"]},
              after={"state": report.state, "applied": report.applied, "problems": report.problems[:5]},
              reason=reason, interchange_id=interchange_id, partner_id=partner_id or doc["partner_id"])
        uow.commit()
    said = "; ".join(report.problems[:3])
    return DocumentAction(interchange_id, f"{_name(doc)} read again: {report.state}, {report.applied} "
                                          f"document(s) applied{': ' + said if said else ''}", report=report)


def _event(now, doc: dict, kind: str, actor: str, message: str) -> dict:
    return {"at": now, "order_id": None, "purchase_order_id": doc["purchase_order_id"],
            "interchange_id": doc["id"], "kind": kind, "message": message, "actor": actor}
