"""Changes and cancellations from the channel, out to the supplier.

A change (cancel the order, cancel a line, change a line's quantity, a new ship-to or
delivery date) is checked, stored under its ``change_id`` (the same change again changes
nothing; other content under the same id is a conflict) and carried out at once, per
purchase order by where that purchase order is:

* not sent yet: its document is withdrawn from the outbox and built again, with new control
  numbers (a document being sent right now cannot be withdrawn: that PO is treated as sent);
* at the supplier: a change document (X12 860, or the supplier's XML through its change
  mapping) is queued, or, for a supplier without one, an Incident asks a person to tell it;
* shipped units: refused, with the reason; the rest of the change proceeds.

The supplier's answer (865, 997/999, delivery) is settled in hub.services.change_answers.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from hub.adapters.repository import ConcurrentUpdateError
from hub.domain.changes import (UNSENT, ChangeRequest, Plan, PoPlan, apply_plan, could_name_order,
                                overall_state, plan_change)
from hub.domain.model import IncidentDraft, Order, PurchaseOrder
from hub.domain.routing import candidates
from hub.domain.states import ORDER_TRANSITIONS, ChangeState, OrderState, PoState
from hub.edi.change import ChangeFacts, build_change_context
from hub.errors import DocumentError
from hub.services.audit import audit
from hub.services.change_input import ChangeInputError, parse_change
from hub.services.fulfil import Outcome, queue, queue_documents, requeue_documents
from hub.services.order_events import record, snapshot
from hub.services.order_input import shown
from hub.services.orders import refresh_orders
from hub.services.ports import HubContext, UnitOfWork

CHANGE_DOC_TYPES = ("860", "xml-change")
CREATED, UNCHANGED, CONFLICT, INVALID, NOT_FOUND = "created", "unchanged", "conflict", "invalid", "not_found"


@dataclass
class ChangeResult:
    """What happened to one change offered by a channel (or an operator, or a file)."""

    source: str                   # "api", "changes.jsonl line 3", "console"
    status: str                   # created, unchanged, conflict, invalid, not_found
    channel: str = ""
    channel_order_id: str = ""
    change_id: str = ""
    order_id: int | None = None
    order_change_id: int | None = None
    state: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        """One line for a person."""
        what = f"change {self.change_id or '?'}" + (
            f" of order {self.channel or '?'}/{self.channel_order_id}" if self.channel_order_id else "")
        if self.status in (CREATED, UNCHANGED):
            return f"{what}: {'taken' if self.status == CREATED else 'already taken'}, {self.state}"
        return f"{self.source}: {what}: {self.status}: {'; '.join(self.problems)}"


def request_change(hub: HubContext, channel: str, channel_order_id: str, data: object,
                   source: str = "api", actor: str = "") -> ChangeResult:
    """Check one change to an order and carry it out; idempotent on its change_id."""
    result = ChangeResult(source, INVALID, printable(channel, 40), printable(channel_order_id, 80),
                          printable(data.get("change_id", ""), 80) if isinstance(data, dict) else "")
    for key, given in (("channel", channel), ("channel_order_id", channel_order_id)):
        named = data.get(key) if isinstance(data, dict) else None
        if named not in (None, given):
            result.problems.append(f"{key}: is {printable(repr(named), 120)} but the change is for "
                                   f"{printable(repr(given), 120)}")
    try:
        request = parse_change(data, hub.clock().date())
    except ChangeInputError as exc:
        result.problems += exc.problems
        return result
    if result.problems:
        return result
    if not could_name_order(channel, channel_order_id):
        return _not_found(result)
    for attempt in range(3):
        try:
            return _request_once(hub, result, (channel, channel_order_id), request, actor)
        except (ConcurrentUpdateError, IntegrityError):
            # Another change (or the same one sent twice at once) got there first: look again.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


# Characters of a refused change kept in its Incident (as for a bad record of an order file).
RAW_KEEP = 4096


def file_refusal(hub: HubContext, result: ChangeResult, raw: str, key: str = "") -> None:
    """A change refused (invalid, conflicting with an earlier one under its change_id, or for
    an order the hub does not know): an Incident for operators keeping what was sent.

    ``key`` files it once however often the same is sent again (the repeats are counted);
    by default one per channel, order and change_id and kind of refusal, or per channel and
    order for an unknown order.
    """
    raw = raw[:RAW_KEEP].encode("utf-8", "backslashreplace").decode("utf-8")
    where = f"{result.channel}/{result.channel_order_id}"
    key = key or (f"change.refused_record:{result.source}:not_found:{where}" if result.status == NOT_FOUND else
                  f"change.refused_record:{result.source}:{result.status}:{where}:{result.change_id}")
    with hub.uow() as uow:
        order = uow.repo.find_order(result.channel, result.channel_order_id) \
            if result.order_id is None and result.status != NOT_FOUND else None
        uow.repo.file_incidents([IncidentDraft(
            code="change.refused_record", order_id=result.order_id or (order.id if order else None),
            channel=result.channel, message=result.message,
            detail={"source": result.source, "status": result.status, "problems": result.problems, "raw": raw},
            dedupe_key=key)], hub.clock())
        uow.commit()


def content_digest(request: ChangeRequest) -> str:
    """SHA-256 of a change's canonical JSON: tells a repeat from a conflicting change."""
    return hashlib.sha256(_canonical(request).encode()).hexdigest()


def _canonical(request: ChangeRequest) -> str:
    return json.dumps(request.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def printable(value: object, most: int) -> str:
    """An id as it was sent, fit to show and to store: control characters and lone surrogates
    written as escapes, cut to ``most`` characters."""
    text = shown(str(value))
    return text if len(text) <= most else text[:most - 3] + "..."


def _not_found(result: ChangeResult) -> ChangeResult:
    result.status = NOT_FOUND
    result.problems = [f"no order {result.channel}/{result.channel_order_id}"]
    return result


def _request_once(hub: HubContext, result: ChangeResult, key: tuple[str, str], request: ChangeRequest,
                  actor: str) -> ChangeResult:
    now = hub.clock()
    result.change_id = request.change_id
    with hub.uow() as uow:
        order = uow.repo.find_order(*key)
        if order is None:
            return _not_found(result)
        result.order_id = order.id
        known = uow.changes.find(order.id, request.change_id)
        if known is not None:
            return _repeat(result, known, request)
        result.problems = _against(order, request)
        if result.problems:
            return result
        out = Outcome()
        seen = snapshot(uow, {order.id})     # what the channel saw before the change
        plan, rows = _carry_out(uow, hub, order, request, now, out)
        state = overall_state([r["state"] for r in rows], any(o.refused for o in plan.lines))
        oc_id = uow.changes.add({
            "order_id": order.id, "channel": order.channel, "change_id": request.change_id,
            "content_hash": content_digest(request), "payload": _canonical(request),
            "state": state.value, "source": result.source.split(" ")[0][:20], "actor": actor[:80],
            "result": json.dumps({"lines": [o.as_dict() for o in plan.lines], "notes": _notes(plan)}),
            "created_at": now, "updated_at": now})
        uow.changes.add_po_changes([{**{k: v for k, v in r.items() if k != "po_number"},
                                     "order_change_id": oc_id, "lines": json.dumps(r["lines"])}
                                    for r in rows])
        out.events.insert(0, _event(now, order.id, None, "change.received", actor or "hub",
                                    f"change {request.change_id}: {describe(request)}"))
        tell_channel(out, now, order.id, request.change_id, state, _summary(plan, rows))
        uow.repo.file_incidents(out.incidents, now)
        uow.repo.add_events(out.events)
        if actor:   # a person asked for it (console, command line): an operator action
            audit(uow, now, actor, "order.change", f"order {order.ref}",
                  after={"change_id": request.change_id, "state": state.value,
                         "purchase_orders": {r["po_number"]: r["mode"] for r in rows}},
                  reason=request.reason, order_id=order.id)
        record(uow, hub, seen, now)   # last: the channel hears what the change did to its order
        uow.commit()
    if out.queued:
        hub.on_queued()
    result.status, result.order_change_id, result.state = CREATED, oc_id, state.value
    return result


def _repeat(result: ChangeResult, known: dict, request: ChangeRequest) -> ChangeResult:
    """The same change again answers as the first time; other content under its id conflicts."""
    result.order_change_id, result.state = known["id"], known["state"]
    if known["content_hash"] == content_digest(request):
        result.status = UNCHANGED
        return result
    before, now = json.loads(known["payload"]), request.to_dict()
    differ = sorted(k for k in set(before) | set(now) if before.get(k) != now.get(k))
    result.status = CONFLICT
    result.problems = [f"change {request.change_id} was already taken with different content "
                       f"({', '.join(differ)}); send a new change_id for a new change"]
    return result


def _against(order: Order, request: ChangeRequest) -> list[str]:
    """What the change asks that this order cannot do: every problem, with its field path."""
    if order.state == OrderState.CANCELLED:
        return [f"order: {order.ref} is cancelled: nothing about it can change any more"]
    if order.state == OrderState.SHIPPED:
        # Nothing is left to take back or to send elsewhere, and a shipped order takes no more
        # units (its state cannot move on again): the customer returns goods or orders anew.
        return [f"order: {order.ref} has shipped in full: nothing about it can change any more (a "
                "return is not a change; more units are a new order)"]
    ids = [ln.line_id for ln in order.lines]
    problems = []
    for n, line in enumerate(request.lines):
        if line.line_id not in ids:
            problems.append(f"lines[{n}].line_id: order {order.ref} has no line {line.line_id!r} "
                            f"(lines: {', '.join(ids)})")
    return problems


def _carry_out(uow: UnitOfWork, hub: HubContext, order: Order, request: ChangeRequest,
               now: datetime, out: Outcome) -> tuple[Plan, list[dict]]:
    """Change the order and its purchase orders, and tell each supplier; the po_changes rows."""
    pos = uow.repo.purchase_orders_of(order.id)
    plan = plan_change(order, pos, request, lambda s, sku, units: _fits(hub, s, sku, units))
    was = {po.id: po.state for po in pos}
    routes = _place_added_units(hub, order, pos, plan)
    apply_plan(order, plan, request)
    replaced = [pp for pp in plan.pos.values() if was[pp.po.id] in UNSENT and _withdrawn(uow, pp.po, now)]
    told = [pp for pp in plan.pos.values() if pp not in replaced]
    rows = _replace(uow, hub, order, replaced, now, out) + _tell(uow, hub, order, request, told, now, out)
    rows += [_row(po, "none", ChangeState.REFUSED, now, note=f"{po.po_number} ({po.partner_id}) has "
                  "shipped: the new ship-to or delivery date cannot reach it") for po in plan.shipped]
    if routes:
        attempt = max([po.route_attempt for po in pos] + [0]) + 1
        queue(uow, hub, [(order, routes)], now, out, {order.id: attempt})
        plan.routed = [(po.po_number, po.partner_id, sum(pl.quantity for pl in po.lines))
                       for po in out.purchase_orders]
    uow.repo.save_purchase_orders(plan.changed_pos(), now)
    uow.repo.rewrite_order_details(order, now)
    if request.delivery_date is not None:
        uow.changes.set_requested_delivery(order.id, request.delivery_date, now)
    if not any(ln.wanted for ln in order.lines) and OrderState.CANCELLED in ORDER_TRANSITIONS[order.state]:
        order.move_to(OrderState.CANCELLED)
        uow.repo.resolve_incidents_of_order(order.id, now, f"order cancelled by the channel's change "
                                            f"{request.change_id}", "hub")
        out.events.append(_event(now, order.id, None, "order.cancelled", "hub",
                                 f"cancelled by the channel (change {request.change_id})"))
    uow.repo.update_orders([order], now)
    refresh_orders(uow, {order.id}, now, out)
    return plan, rows


def _fits(hub: HubContext, supplier: str, sku: str, units: int) -> bool:
    entry = hub.catalog.entry(sku, supplier)
    return entry is not None and entry.active and entry.fits(units)


def _place_added_units(hub: HubContext, order: Order, pos: list[PurchaseOrder], plan: Plan) -> dict:
    """Suppliers for added units no purchase-order line could take: those already carrying the
    line first, then routing's ranking. Units nobody can take are refused on the line."""
    shares: dict[str, list] = {}
    by_id = {ln.line_id: ln for ln in order.lines}
    for outcome in plan.lines:
        units, outcome.to_route = outcome.to_route, 0
        if not units or not pos:   # an order not routed yet is routed whole on release
            continue
        line = by_id[outcome.line_id]
        tried = [po.partner_id for po in sorted(pos, key=lambda p: -(p.id or 0))
                 for pl in po.lines if pl.order_line_id == line.id]
        ranked = [e.supplier for e in candidates(dataclasses.replace(line, quantity=units), hub.catalog,
                                                  hub.partners, hub.routing)]
        supplier = next((s for s in dict.fromkeys(tried + list(line.candidates) + ranked)
                         if (p := hub.partners.get(s)) is not None and p.active
                         and _fits(hub, s, line.sku, units)), None)
        if supplier is None:
            outcome.after -= units
            outcome.refused += units
            outcome.note = f"no supplier takes {units} more x {line.sku}: those units were not added"
            continue
        entry = hub.catalog.entry(line.sku, supplier)
        shares.setdefault(supplier, []).append((dataclasses.replace(line, quantity=units), entry))
        outcome.note = f"{units} more x {line.sku} ordered from {supplier} on a new purchase order"
    return shares


def _withdrawn(uow: UnitOfWork, po: PurchaseOrder, now: datetime) -> bool:
    """Withdraw an unsent PO's documents; False when one is being sent right now (then the PO
    counts as sent: its supplier gets a change document after it)."""
    docs = [d["id"] for d in uow.outbox.documents_of([po.id]) if d["state"] in ("queued", "failed")
            and d["doc_type"] not in CHANGE_DOC_TYPES]
    return uow.outbox.withdraw(docs, now) == len(docs)


def _replace(uow: UnitOfWork, hub: HubContext, order: Order, plans: list[PoPlan], now: datetime,
             out: Outcome) -> list[dict]:
    """Unsent purchase orders: built again as they now are (never half-changed on the wire)."""
    rebuild = [pp.po for pp in plans if pp.po.state != PoState.CANCELLED]
    for po in rebuild:
        po.state = PoState.QUEUED   # a failed or stuck document is made again, and goes
    queued = requeue_documents(uow, hub, [(order, po) for po in rebuild], now, out) if rebuild else {}
    rows = []
    for pp in plans:
        po = pp.po
        if po.state == PoState.CANCELLED:
            note = f"{po.po_number} had not left: withdrawn, nothing left to send"
        elif po.id in queued:
            note = f"{po.po_number} had not left: withdrawn and built again as it now is"
        else:
            note = f"{po.po_number} had not left: withdrawn; it could not be built again (see its Incident)"
        rows.append(_row(po, "replaced", ChangeState.APPLIED, now, pp, interchange_id=queued.get(po.id),
                         note=note))
        out.events.append(_event(now, order.id, po.id, "change.replaced", "hub", note))
    return rows


def _tell(uow: UnitOfWork, hub: HubContext, order: Order, request: ChangeRequest, plans: list[PoPlan],
          now: datetime, out: Outcome) -> list[dict]:
    """Purchase orders at their suppliers: a change document each, or a person tells them."""
    ids = [pp.po.id for pp in plans]
    sequences, previous = uow.changes.next_sequences(ids), uow.changes.last_documents(ids)
    rows, prepared, waiting = [], [], {}
    for pp in plans:
        po, partner = pp.po, hub.partners.get(pp.po.partner_id)
        renderer = hub.change_renderers.get(po.partner_id)
        mode = "manual" if renderer is None else ("860" if renderer.doc_type == "860" else "xml")
        facts = ChangeFacts(request.change_id, pp.purpose(), sequences[po.id], now,
                            tuple(sorted(pp.lines.values(), key=lambda c: c.line_number)),
                            request.delivery_date if pp.header else None,
                            pp.header and request.ship_to is not None, previous.get(po.id, ""),
                            request.reason)
        row = _row(po, mode, ChangeState.QUEUED, now, pp, sequence=sequences[po.id])
        try:
            if renderer is None:
                raise DocumentError(f"{po.partner_id} has no change mapping, so no change document "
                                    "can be sent")
            body = renderer.prepare(build_change_context(po, order, partner, hub.company, facts))
        except DocumentError as exc:
            row.update(state=ChangeState.MANUAL.value, note=str(exc))
            out.incidents.append(IncidentDraft(
                code="change.tell_supplier", order_id=order.id, purchase_order_id=po.id,
                partner_id=po.partner_id, channel=order.channel,
                message=f"order {order.ref}: change {request.change_id} reaches {po.po_number} at "
                        f"{po.partner_id} ({describe_plan(pp)}), but {exc}: tell the supplier by other "
                        "means, then mark its answer on the order page",
                dedupe_key=f"change.tell_supplier:{po.id}:{request.change_id}"))
        else:
            prepared.append((order, po, body))
            waiting[po.id] = row
        rows.append(row)
    queued = queue_documents(uow, hub, prepared, out, now, renderers=hub.change_renderers,
                             kind="change.queued")
    for po_id, row in waiting.items():
        row["interchange_id"] = queued.get(po_id)
    return rows


def _row(po: PurchaseOrder, mode: str, state: ChangeState, now: datetime, pp: PoPlan | None = None,
         interchange_id: int | None = None, note: str = "", sequence: int = 0) -> dict:
    """A po_changes row (``lines`` still a list; ``po_number`` for messages, dropped on insert)."""
    lines = [c.as_dict() for c in sorted(pp.lines.values(), key=lambda c: c.line_number)] if pp else []
    return {"purchase_order_id": po.id, "mode": mode, "sequence": sequence,
            "purpose": pp.purpose() if pp else "", "state": state.value, "interchange_id": interchange_id,
            "lines": lines, "note": note, "created_at": now, "updated_at": now, "po_number": po.po_number}


def describe(request: ChangeRequest) -> str:
    """The change in a few words, for the timeline and the audit log."""
    if request.cancel:
        said = ["cancel the order"]
    else:
        said = [f"line {ln.line_id} cancelled" if ln.quantity == 0 else f"line {ln.line_id} to {ln.quantity}"
                for ln in request.lines]
    if request.ship_to is not None:
        said.append(f"ship to {request.ship_to.name}, {request.ship_to.city}")
    if request.delivery_date is not None:
        said.append(f"deliver by {request.delivery_date.isoformat()}")
    return "; ".join(said) + (f" ({request.reason})" if request.reason else "")


def describe_plan(pp: PoPlan) -> str:
    """What one purchase order's supplier is told, in words: "line 1 DI 2 -> 0"."""
    return ", ".join(f"line {c.line_number} {c.code} {c.before} -> {c.after}"
                     for c in sorted(pp.lines.values(), key=lambda c: c.line_number))


def _notes(plan: Plan) -> list[str]:
    notes = [f"{po.po_number} ({po.partner_id}) has shipped: the new ship-to or delivery date cannot "
             "reach it" for po in plan.shipped]
    return notes + [f"{units} unit(s) on new purchase order {number} to {supplier}"
                    for number, supplier, units in plan.routed]


def _summary(plan: Plan, rows: list[dict]) -> str:
    told = "; ".join(f"{r['po_number']}: {r['mode']} {r['state']}" for r in rows) or "no purchase order"
    refused = [f"line {o.line_id}: {o.note}" for o in plan.lines if o.refused]
    return told + (f"; refused: {'; '.join(refused)}" if refused else "")


def refresh_order_change(uow: UnitOfWork, order_change_id: int, now: datetime, out: Outcome) -> str:
    """Work out a change's state from its purchase orders' again; store and tell it if it moved."""
    known = uow.changes.get(order_change_id)
    rows = uow.changes.po_changes_of(order_change_id)
    refused = any(ln.get("refused") for ln in json.loads(known["result"] or "{}").get("lines", []))
    state = overall_state([ChangeState(r["state"]) for r in rows], refused)
    if state.value != known["state"]:
        uow.changes.set_states([(order_change_id, state.value)], now)
        tell_channel(out, now, known["order_id"], known["change_id"], state,
                     "; ".join(f"{r['po_number']}: {r['state']}" for r in rows))
    return state.value


def tell_channel(out: Outcome, now: datetime, order_id: int, change_id: str, state: ChangeState,
                 detail: str) -> None:
    """The order's timeline records how a change stands (requested, sent, accepted, partly
    accepted, refused). The channel hears what the change does to its order's units and
    states through the order events (hub.services.order_events), as for any other cause."""
    out.events.append(_event(now, order_id, None, f"change.{state.value}", "hub",
                             f"change {change_id} {state.value.replace('_', ' ')}: {detail}"))


def _event(now: datetime, order_id: int | None, po_id: int | None, kind: str, actor: str, message: str) -> dict:
    return {"at": now, "order_id": order_id, "purchase_order_id": po_id, "interchange_id": None,
            "kind": kind, "message": message, "actor": actor or "hub"}
