"""What a supplier answers to our purchase-order changes, and what delivery and time say.

Settlement rules, per purchase order's change:

* a partner whose file lists ``865`` among its inbound documents settles a change with its
  865: the 865 reader finds the change with :func:`change_answered` (BCA03, BCA05) and calls
  :func:`settle_change` (accepted or refused, whole or per line), after the batch has saved its
  own purchase orders (settle_change loads and saves the one it changes);
* otherwise an X12 partner that sends 997/999s settles it by accepting the change
  document's set (AK5/IK5 ``A`` or ``E``); a rejected set rejects the change;
* a partner expecting no 997 (and no 865) settles it when it is delivered.

A change delivered and not answered within the partner's ``[sla] change_hours`` (default:
``poack_hours``) raises an SLA Incident, resolved when the answer comes. An operator may
record an answer given by other means (:func:`settle_by_operator`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hub.domain.changes import PoLineChange, accept_line, rebased, refuse_line
from hub.domain.model import IncidentDraft
from hub.domain.partner import Partner
from hub.domain.states import CHANGE_TRANSITIONS, ChangeState
from hub.errors import NotFoundError
from hub.services.audit import ActionRefused, audit
from hub.services.changes import refresh_order_change
from hub.services.fulfil import Outcome
from hub.services.order_events import record, snapshot
from hub.services.orders import refresh_orders
from hub.services.ports import HubContext, UnitOfWork
from hub.services.reroute import reroute

OPEN = (ChangeState.QUEUED, ChangeState.FAILED, ChangeState.SENT, ChangeState.MANUAL)


@dataclass
class Settled:
    """What recording one answer did."""

    po_change_id: int
    state: str
    changed: bool
    message: str


def overdue_key(po_change_id: int) -> str:
    """The dedupe key of the SLA Incident about one purchase order's change."""
    return f"overdue:change:{po_change_id}"


def change_answered(uow: UnitOfWork, po_number: str, sequence: int | None = None) -> int | None:
    """The purchase-order change an answer is about: by our PO number (an 865's BCA03) and the
    change's sequence number (BCA05, our BCH05), or without one the PO's oldest change still
    waiting for an answer; None when there is none."""
    changes = [c for c in uow.changes.of_purchase_order(po_number) if c["mode"] in ("860", "xml", "manual")]
    if sequence is not None:
        return next((c["id"] for c in changes if c["sequence"] == sequence), None)
    return next((c["id"] for c in changes if ChangeState(c["state"]) in OPEN), None)


def settle_change(uow: UnitOfWork, hub: HubContext, po_change_id: int, accepted: bool,
                  lines: dict[int, bool] | None = None, now: datetime | None = None,
                  note: str = "", by: str = "865") -> Settled:
    """Record the supplier's answer to one purchase order's change; the caller commits.

    ``accepted`` answers for the whole change; ``lines`` maps PO line numbers (POC01) to
    True (accepted) or False (refused) for lines answered one by one, the others taking
    ``accepted``. Units added and refused are routed to the next supplier; units the supplier
    refuses to drop, a date or address it refuses, become an Incident (they may still ship).
    A line the change did not touch is no verdict on it (an 865's other lines are the
    supplier's own change: :func:`hub.domain.supplier_changes.answer_terms`). An answer to a
    change already settled changes nothing.
    """
    now = now or hub.clock()
    pc = uow.changes.po_change(po_change_id)
    if pc is None:
        raise NotFoundError(f"there is no purchase-order change #{po_change_id}")
    current = ChangeState(pc["state"])
    if current not in OPEN:
        return Settled(po_change_id, current.value, False, f"the change to {pc['po_number']} was "
                       f"settled already ({current.value}); the answer ({by}) changes nothing")
    po = uow.repo.purchase_orders_by_id({pc["purchase_order_id"]})[pc["purchase_order_id"]]
    by_number = {pl.line_number: pl for pl in po.lines}
    out, rerouted, answered, refused = Outcome(), [], [], []
    for entry in pc["lines"]:
        change = PoLineChange(entry["line_number"], entry["code"], entry["before"], entry["after"],
                              entry["shipped"])
        yes = (lines or {}).get(change.line_number, accepted)
        pl = by_number.get(change.line_number)
        if pl is not None and yes:
            accept_line(po, pl, change)
        elif pl is not None:
            units = refuse_line(po, pl, change)
            if units:
                rerouted.append((po, pl, units))
            else:
                refused.append(change)
        answered.append({**entry, "answer": "accepted" if yes else "refused"})
    said = [a["answer"] for a in answered] or ["accepted" if accepted else "refused"]
    state = ChangeState.ACCEPTED if "refused" not in said else \
        ChangeState.REFUSED if "accepted" not in said else ChangeState.PARTLY_ACCEPTED
    if state not in CHANGE_TRANSITIONS[current]:
        return Settled(po_change_id, current.value, False, f"the change to {pc['po_number']} is "
                       f"{current.value}: it cannot be {state.value} now")
    reroute(uow, hub, rerouted, now, out)
    uow.repo.save_purchase_orders([po], now)
    _rebase_later_changes(uow, pc, {pl.line_number: units for _, pl, units in rerouted})
    for change in refused:
        out.incidents.append(IncidentDraft(
            code="change.refused", order_id=po.order_id, purchase_order_id=po.id, partner_id=po.partner_id,
            message=f"{po.partner_id} refused the change to {po.po_number} line {change.line_number} "
                    f"({change.code} {change.before} -> {change.after}, answered by {by}): what it was asked "
                    "to drop or change may still ship as first ordered; contact the supplier",
            dedupe_key=f"change.refused:{po_change_id}:{change.line_number}"))
    uow.changes.update_po_change(po_change_id, state=state.value, answered_at=now, lines=answered,
                                 note=note or pc["note"], updated_at=now)
    uow.repo.resolve_incidents([overdue_key(po_change_id)], now, "the answer arrived")
    out.events.append({"at": now, "order_id": po.order_id, "purchase_order_id": po.id,
                       "interchange_id": pc["interchange_id"], "kind": f"change.{state.value}",
                       "actor": "hub" if by in ("865", "997", "delivery") else by,
                       "message": f"{po.partner_id} {state.value.replace('_', ' ')} the change to "
                                  f"{po.po_number} ({by})" + (f": {note}" if note else "")})
    refresh_order_change(uow, pc["order_change_id"], now, out)
    refresh_orders(uow, {po.order_id}, now, out)
    uow.repo.file_incidents(out.incidents, now)
    uow.repo.add_events(out.events)
    return Settled(po_change_id, state.value, True, f"the change to {po.po_number} is {state.value}")


def _rebase_later_changes(uow: UnitOfWork, pc: dict, refused: dict[int, int]) -> None:
    """Changes to the same purchase order planned after ``pc`` and still unanswered were planned
    on top of the units just refused (per PO line number): they now start that many lower."""
    if not refused:
        return
    for later in uow.changes.of_purchase_order(pc["po_number"]):
        if later["id"] <= pc["id"] or ChangeState(later["state"]) not in OPEN or \
                not any(e["line_number"] in refused for e in later["lines"]):
            continue
        lines = [{**e, **rebased(PoLineChange(e["line_number"], e["code"], e["before"], e["after"], e["shipped"]),
                                 refused[e["line_number"]]).as_dict()} if e["line_number"] in refused else e
                 for e in later["lines"]]
        uow.changes.update_po_change(later["id"], lines=lines)


def _waits_for_answer(partner: Partner | None) -> bool:
    """True when the supplier answers a change (865, or a 997/999) after it is delivered."""
    if partner is None:
        return False
    return partner.answers_changes or (partner.po_format == "x12" and partner.expect_997)


def record_deliveries(uow: UnitOfWork, hub: HubContext, delivered: list[int], failed: list[int],
                      now: datetime) -> None:
    """The outbox delivered (or gave up on) change documents: note it on their changes; a
    partner that will send no answer has accepted by taking the document."""
    out = Outcome()
    sent = uow.changes.by_interchanges(delivered)
    seen = snapshot(uow, {pc["order_id"] for pc in sent})
    for pc in sent:
        current = ChangeState(pc["state"])
        if current not in (ChangeState.QUEUED, ChangeState.FAILED):
            continue   # an answer overtook the record of delivery
        uow.changes.update_po_change(pc["id"], sent_at=now, updated_at=now)
        if _waits_for_answer(hub.partners.get(pc["partner_id"])):
            uow.changes.update_po_change(pc["id"], state=ChangeState.SENT.value)
            refresh_order_change(uow, pc["order_change_id"], now, out)
        else:
            settle_change(uow, hub, pc["id"], True, now=now, by="delivery",
                          note="delivered; the partner sends no answer to changes")
    for pc in uow.changes.by_interchanges(failed):
        if ChangeState(pc["state"]) == ChangeState.QUEUED:
            uow.changes.update_po_change(pc["id"], state=ChangeState.FAILED.value, updated_at=now)
            refresh_order_change(uow, pc["order_change_id"], now, out)
    uow.repo.add_events(out.events)
    record(uow, hub, seen, now)   # a change settled by delivery may change what the channel sees


def changes_acknowledged(uow: UnitOfWork, acks: list[tuple[int, str, int, str]]) -> set[int]:
    """The orders whose changes these 997/999 verdicts (see :func:`settle_acks`) are about."""
    return {pc["order_id"] for pc in uow.changes.by_interchanges([a[0] for a in acks])}


def settle_acks(uow: UnitOfWork, hub: HubContext, acks: list[tuple[int, str, int, str]],
                now: datetime) -> None:
    """A partner's 997/999 on change documents: (our interchange, verdict, the 997's id,
    errors). Accepted settles the change, unless the partner answers with an 865; rejected
    rejects it (the supplier could not read it)."""
    verdicts = {iid: (status, errors) for iid, status, _, errors in acks}
    out = Outcome()
    for pc in uow.changes.by_interchanges(list(verdicts)):
        status, errors = verdicts[pc["interchange_id"]]
        uow.changes.update_po_change(pc["id"], acked_at=now, updated_at=now)
        current = ChangeState(pc["state"])
        if status == "rejected" and ChangeState.REJECTED in CHANGE_TRANSITIONS[current]:
            uow.changes.update_po_change(pc["id"], state=ChangeState.REJECTED.value, answered_at=now,
                                         note=f"rejected by the partner's functional acknowledgement: "
                                              f"{errors or 'no detail given'}")
            uow.repo.resolve_incidents([overdue_key(pc["id"])], now, "the answer arrived")
            out.incidents.append(IncidentDraft(
                code="change.ack_rejected", order_id=pc["order_id"], partner_id=pc["partner_id"],
                purchase_order_id=pc["purchase_order_id"], interchange_id=pc["interchange_id"],
                message=f"{pc['partner_id']} rejected our change document for {pc['po_number']} in its "
                        f"functional acknowledgement ({errors or 'no detail given'}): it did not take "
                        "the change; correct the cause and tell the supplier again",
                dedupe_key=f"change.ack_rejected:{pc['id']}"))
            refresh_order_change(uow, pc["order_change_id"], now, out)
        elif status != "rejected" and not hub.partners.get(pc["partner_id"], _NOBODY).answers_changes:
            settle_change(uow, hub, pc["id"], True, now=now, by="997")
    uow.repo.file_incidents(out.incidents, now)
    uow.repo.add_events(out.events)


_NOBODY = Partner(id="", name="", source="")


def settle_by_operator(hub: HubContext, po_change_id: int, accepted: bool, actor: str,
                       reason: str, order_id: int | None = None) -> Settled:
    """An operator records the supplier's answer given by other means (phone, e-mail);
    ``order_id``, when given, is the order the operator is looking at: a change of another
    order is refused, not settled there."""
    from hub.services.audit import need_reason
    reason = need_reason(reason, "recording the supplier's answer")
    now = hub.clock()
    with hub.uow() as uow:
        pc = uow.changes.po_change(po_change_id)
        if pc is not None and order_id is not None and pc["order_id"] != order_id:
            order = uow.repo.orders_by_id({order_id}).get(order_id)
            raise ActionRefused(f"purchase-order change #{po_change_id} ({pc['po_number']}) is not a change of "
                                f"order {order.ref if order else order_id}: nothing was recorded; open the "
                                "order it belongs to")
        seen = snapshot(uow, {pc["order_id"]} if pc else set())
        done = settle_change(uow, hub, po_change_id, accepted, now=now, note=reason, by=actor)
        if not done.changed:
            raise ActionRefused(done.message)
        pc = uow.changes.po_change(po_change_id)
        audit(uow, now, actor, "change.settle", f"change of {pc['po_number']}",
              after={"state": done.state}, reason=reason, order_id=pc["order_id"],
              partner_id=pc["partner_id"])
        record(uow, hub, seen, now)   # last: the channel hears what the answer did
        uow.commit()
    return done
