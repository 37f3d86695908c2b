"""Working the exceptions queue: ignore an Incident with a reason, or retry what it is about.

Retry does what the Incident's cause calls for: a document that failed or waits goes out
again, a refused or troubled received file is read again, an order held or stopped in
review is released, a partner's waiting documents are made due now. An Incident whose cause
has nothing to retry (a worker fault, a certificate about to expire) says so. A retry that
clears the cause closes the Incident itself; the closing is recorded either way.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.domain.states import IncidentState
from hub.errors import HubError
from hub.services.audit import ActionRefused, audit, need_reason
from hub.services.documents import reprocess_inbound, retry_outbound
from hub.services.ports import HubContext


@dataclass
class IncidentAction:
    """What working an Incident did."""

    incident_id: int
    message: str
    closed: bool = False


def _open_incident(uow, incident_id: int) -> dict:
    incident = uow.repo.incident(incident_id)
    if incident is None:
        raise ActionRefused(f"there is no incident #{incident_id}")
    if incident["state"] != IncidentState.OPEN.value:
        by = f" by {incident['resolved_by']}" if incident["resolved_by"] else ""
        raise ActionRefused(f"incident #{incident_id} is {incident['state']} already{by}"
                            f"{': ' + incident['resolution'] if incident['resolution'] else ''}; "
                            "nothing was changed")
    return incident


def ignore_incident(hub: HubContext, incident_id: int, actor: str, reason: str) -> IncidentAction:
    """Close an Incident without acting on its cause; the reason is kept with it."""
    reason = need_reason(reason, "ignoring an incident")
    now = hub.clock()
    with hub.uow() as uow:
        incident = _open_incident(uow, incident_id)
        if not uow.repo.close_incident(incident_id, IncidentState.IGNORED, now, actor, reason):
            raise ActionRefused(f"incident #{incident_id} was closed meanwhile; nothing was changed")
        audit(uow, now, actor, "incident.ignore", f"incident #{incident_id} ({incident['code']})",
              before={"state": "open"}, after={"state": "ignored"}, reason=reason,
              incident_id=incident_id, order_id=incident["order_id"],
              interchange_id=incident["interchange_id"], partner_id=incident["partner_id"])
        uow.commit()
    return IncidentAction(incident_id, f"incident #{incident_id} ignored: {reason}", closed=True)


def retry_incident(hub: HubContext, incident_id: int, actor: str, receiver=None, poll=None,
                   reason: str = "") -> IncidentAction:
    """Retry what an Incident is about (see the module docstring).

    ``receiver`` reads received files again (hub.receiver); ``poll(partner_id)`` reads a
    partner's inbox now (hub.poll_inbox). Both are given by the entry point that wires them.
    """
    from hub.services.operations import release_order
    with hub.uow(readonly=True) as uow:
        incident = _open_incident(uow, incident_id)
        doc = uow.outbox.get(incident["interchange_id"]) if incident["interchange_id"] else None
    code, key = incident["code"], incident["dedupe_key"]
    if doc is not None and doc["direction"] == "out":
        if doc["state"] == "sent":
            result = f"document #{doc['id']} was delivered meanwhile"
        else:
            result = retry_outbound(hub, doc["id"], actor, reason or f"incident #{incident_id}").message
    elif doc is not None:
        if receiver is None:
            raise ActionRefused("reading a file again needs the worker's receiver")
        result = reprocess_inbound(hub, receiver, doc["id"], actor, reason=reason or f"incident #{incident_id}").message
    elif incident["order_id"] and code.startswith(("review.", "routing.", "state.", "document.")):
        outcome = release_order(hub, incident["order_id"], actor, reason or f"incident #{incident_id}")
        result = (f"order released: purchase order(s) {', '.join(p.po_number for p in outcome.purchase_orders)}"
                  if outcome.purchase_orders else "the order was reviewed again and stopped again: see "
                  "its new incident")
    elif key.startswith("poll:") and poll is not None:
        report = poll(key.removeprefix("poll:"))
        result = report.summary()
    elif key.startswith("delivery:") and incident["partner_id"]:
        now = hub.clock()
        with hub.uow() as uow:
            count = uow.outbox.due_now(incident["partner_id"], now)
            audit(uow, now, actor, "partner.send_now", f"partner {incident['partner_id']}",
                  after={"documents_due_now": count}, reason=reason or f"incident #{incident_id}",
                  incident_id=incident_id, partner_id=incident["partner_id"])
            uow.commit()
        hub.on_queued()
        result = f"{count} document(s) waiting for {incident['partner_id']} go out now"
    else:
        raise ActionRefused(f"incident #{incident_id} ({code}) has nothing to retry: fix its cause "
                            "(the message says what), then ignore it with a reason, or let it close "
                            "itself when the cause is gone")
    now = hub.clock()
    with hub.uow() as uow:
        still = uow.repo.incident(incident_id)
        closed = still["state"] != IncidentState.OPEN.value
        audit(uow, now, actor, "incident.retry", f"incident #{incident_id} ({code})",
              before={"state": "open"}, after={"state": still["state"], "result": result},
              reason=reason, incident_id=incident_id, order_id=incident["order_id"],
              interchange_id=incident["interchange_id"], partner_id=incident["partner_id"])
        uow.commit()
    return IncidentAction(incident_id, f"incident #{incident_id}: {result}"
                          + ("; it is closed" if closed else "; it stays open until the cause clears"),
                          closed)


def bulk(hub: HubContext, action, incident_ids: list[int], **kwargs) -> list[tuple[int, str, bool]]:
    """``action(hub, incident_id, **kwargs)`` on several Incidents; each result is (id, message,
    done), and a refusal does not stop the rest."""
    results = []
    for incident_id in incident_ids:
        try:
            results.append((incident_id, action(hub, incident_id, **kwargs).message, True))
        except HubError as exc:
            results.append((incident_id, str(exc), False))
    return results
