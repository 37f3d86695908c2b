"""Chase late answers: an Incident when a 997, 855 or 856 is overdue for a partner's window,
or the answer to a purchase-order change we sent (865, or 997/999).

Each run works out which answers are late right now, files an Incident for each new one
(one per purchase order and kind: reruns only count) and resolves the hub's own overdue
Incidents whose answer has arrived or is no longer needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from hub.domain.model import IncidentDraft
from hub.domain.partner import Partner
from hub.services.ports import HubContext

PREFIX = "overdue:"
_NAMES = {"997": "functional acknowledgement (997/999)", "855": "order acknowledgement (855)",
          "856": "ship notice (856)", "change": "answer to our change (865 or 997/999)"}


@dataclass(frozen=True, slots=True)
class Late:
    """One answer that is late."""

    kind: str            # "997", "855", "856" or "change"
    po_id: int
    po_number: str
    partner_id: str
    order_id: int
    due: datetime
    key_id: int | None = None   # what the answer is about when not the PO itself (a change)

    @property
    def key(self) -> str:
        """The Incident's dedupe key."""
        return f"{PREFIX}{self.kind}:{self.key_id if self.key_id is not None else self.po_id}"


def late_answers(partner: Partner, po: dict, now: datetime) -> list[Late]:
    """Which answers for one purchase order (a row of the store) are overdue at ``now``."""
    late = []
    sla, sent = partner.sla, po["sent_at"]
    if sent is None:
        return late

    if partner.expect_997 and partner.po_format == "x12" and sla.ack_hours is not None and \
            po["acked_at"] is None and sent + timedelta(hours=sla.ack_hours) < now:
        late.append(Late("997", po["id"], po["po_number"], partner.id, po["order_id"],
                         sent + timedelta(hours=sla.ack_hours)))
    if sla.poack_hours is not None and po["poack_at"] is None and po["shipped_at"] is None and \
            sent + timedelta(hours=sla.poack_hours) < now:
        late.append(Late("855", po["id"], po["po_number"], partner.id, po["order_id"],
                         sent + timedelta(hours=sla.poack_hours)))
    start = po["poack_at"] or sent
    if sla.asn_hours is not None and po["shipped_at"] is None and start + timedelta(hours=sla.asn_hours) < now:
        late.append(Late("856", po["id"], po["po_number"], partner.id, po["order_id"],
                         start + timedelta(hours=sla.asn_hours)))
    return late


def late_change(partner: Partner, change: dict, now: datetime) -> list[Late]:
    """Whether the answer to one delivered purchase-order change (a row of the store) is
    overdue at ``now``: ``[sla] change_hours`` after delivery, by default ``poack_hours``."""
    hours = partner.sla.change_hours or partner.sla.poack_hours
    sent = change["sent_at"]
    if hours is None or sent is None or sent + timedelta(hours=hours) >= now:
        return []
    return [Late("change", change["purchase_order_id"], change["po_number"], partner.id,
                 change["order_id"], sent + timedelta(hours=hours), key_id=change["id"])]


def check_overdue(hub: HubContext) -> tuple[int, int]:
    """File Incidents for late answers and resolve those no longer late; return (filed, resolved)."""
    now = hub.clock()
    with hub.uow() as uow:
        waiting = uow.repo.purchase_orders_awaiting_answers()
        late = [x for po in waiting if (p := hub.partners.get(po["partner_id"]))
                for x in late_answers(p, po, now)]
        late += [x for change in uow.changes.awaiting_answers()
                 if (p := hub.partners.get(change["partner_id"])) for x in late_change(p, change, now)]
        wanted = {x.key for x in late}
        stale = [k for k in uow.repo.open_incident_keys(PREFIX) if k not in wanted]
        resolved = uow.repo.resolve_incidents(stale, now, "the answer arrived (or is no longer expected)")
        uow.repo.file_incidents([IncidentDraft(
            code=f"overdue.{x.kind}", partner_id=x.partner_id, order_id=x.order_id,
            purchase_order_id=x.po_id, dedupe_key=x.key,
            message=f"{x.partner_id} has not sent the {_NAMES[x.kind]} for purchase order "
                    f"{x.po_number}, due {x.due:%Y-%m-%d %H:%M} UTC: contact the supplier"
                    + (" (record its answer on the order page once you have it)" if x.kind == "change" else ""))
            for x in late], now, count_repeats=False)
        uow.commit()
    return len(late), resolved
