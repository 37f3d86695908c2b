"""What operators do to orders: release, edit and resubmit, cancel, re-route by hand.

Each action refuses, in words an operator can act on, where it does not apply: nothing is
changed at a supplier that has a purchase order already (a change or cancellation after a
supplier has the PO goes to the supplier as a change document), and shipped units cannot be
re-routed. Every action is recorded in the audit log with the state before and after.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field

from hub.domain.model import Order, OrderLine, PoLine, PurchaseOrder, order_to_dict
from hub.domain.states import LineState, OrderState, PoState
from hub.errors import NotFoundError, OrderInputError
from hub.services.audit import ActionRefused, audit, need_reason
from hub.services.fulfil import Outcome, queue, requeue_documents, route_and_queue
from hub.services.order_events import record, snapshot
from hub.services.order_input import parse_order
from hub.services.orders import refresh_orders
from hub.services.ports import HubContext

# Purchase orders whose supplier does not have them: their documents have not left.
UNSENT = (PoState.QUEUED, PoState.FAILED, PoState.NEEDS_ATTENTION)
# Order fields an operator may correct (the channel's own ids, dates and prices are the channel's).
EDITABLE = {"customer": ("name", "email", "phone"),
            "ship_to": ("name", "address1", "address2", "city", "state", "postal_code", "country"),
            "lines": ("sku", "quantity", "description")}


class NotReleasableError(ActionRefused):
    """The order is not waiting for an operator."""

    incident_code = "operations.not_releasable"


@dataclass
class OrderAction:
    """What an action on an order did."""

    order_ref: str
    state: str
    message: str
    outcome: Outcome = field(default_factory=Outcome)


def _order(uow, order_id: int) -> Order:
    order = uow.repo.get_order(order_id)
    if order is None:
        raise NotFoundError(f"no order with id {order_id}")
    return order


def release_order(hub: HubContext, order_id: int, actor: str, note: str = "") -> Outcome:
    """Release an order that is on hold or needed attention: review again (risk holds waived
    for a held order) and, if it passes, route it and queue its documents."""
    now = hub.clock()
    with hub.uow() as uow:
        order = _order(uow, order_id)
        if order.state not in (OrderState.ON_HOLD, OrderState.NEEDS_ATTENTION):
            raise NotReleasableError(f"order {order.ref} is {order.state.value}: only orders on "
                                     "hold or needing attention can be released")
        if uow.repo.purchase_orders_of(order_id):
            raise NotReleasableError(f"order {order.ref} already has purchase orders: work on "
                                     "those instead")
        before = order.state.value
        waive_risk = order.state == OrderState.ON_HOLD
        order.hold_reason = ""
        uow.repo.add_events([_event(now, order_id, "order.released", note or "released", actor)])
        # A customer's own order does not make them "known": keep the risk rules honest.
        outcome = route_and_queue(uow, hub, [order], set(), now, release=waive_risk)
        if outcome.purchase_orders:   # what held it is over; a new stop files its own Incident
            uow.repo.resolve_incidents_of_order(order_id, now, f"released by {actor}: {note}".strip(": "),
                                                actor, prefix="review.")
        audit(uow, now, actor, "order.release", f"order {order.ref}", before={"state": before},
              after={"state": order.state.value, "purchase_orders": [p.po_number for p in outcome.purchase_orders]},
              reason=note, order_id=order_id)
        uow.commit()
    if outcome.queued:
        hub.on_queued()
    return outcome


def edit_order(hub: HubContext, order_id: int, changes: dict, actor: str, reason: str) -> OrderAction:
    """Correct an order that waits for an operator (customer contact, ship-to, a line's SKU,
    quantity or description), then put it through review and routing again.

    ``changes`` looks like the canonical order: ``{"ship_to": {"city": "Austin"},
    "lines": {"2": {"sku": "LAMP-LED-WHT"}}}`` (lines by their line_id). The result is checked
    as a new order would be; every problem is refused at once.
    """
    reason = need_reason(reason, "an edit")
    now = hub.clock()
    with hub.uow() as uow:
        order = _order(uow, order_id)
        if order.state not in (OrderState.ON_HOLD, OrderState.NEEDS_ATTENTION, OrderState.RECEIVED):
            raise ActionRefused(f"order {order.ref} is {order.state.value}: only an order still in review "
                                "(on hold or needing attention) can be edited; once a supplier has its "
                                "purchase order, a change goes to the supplier")
        if uow.repo.purchase_orders_of(order_id):
            raise ActionRefused(f"order {order.ref} has purchase orders already: cancel or re-route its "
                                "lines instead")
        before = order_to_dict(order)
        edited = _apply(before, changes)
        try:
            checked = parse_order(edited)
        except OrderInputError as exc:
            raise ActionRefused(f"order {order.ref} was not changed: " + "; ".join(exc.problems)) from None
        changed = _differences(before, edited)
        if not changed:
            raise ActionRefused(f"order {order.ref}: nothing to change (the values given are the ones "
                                "it has)")
        order.customer, order.ship_to = checked.customer, checked.ship_to
        for line, new in zip(order.lines, checked.lines, strict=True):
            line.sku, line.quantity, line.description = new.sku, new.quantity, new.description
        uow.repo.rewrite_order_details(order, now)
        state_before = order.state.value
        order.hold_reason = ""
        if order.state == OrderState.RECEIVED:
            order.state = OrderState.NEEDS_ATTENTION
        uow.repo.resolve_incidents_of_order(order_id, now, f"edited by {actor}: {reason}", actor, "review.")
        uow.repo.add_events([_event(now, order_id, "order.edited", f"{', '.join(changed)} changed: {reason}",
                                    actor)])
        outcome = route_and_queue(uow, hub, [order], set(), now)
        audit(uow, now, actor, "order.edit", f"order {order.ref}",
              before={"state": state_before, **{k: _value_at(before, k) for k in changed}},
              after={"state": order.state.value, **{k: _value_at(edited, k) for k in changed}},
              reason=reason, order_id=order_id)
        uow.commit()
    if outcome.queued:
        hub.on_queued()
    return OrderAction(order.ref, order.state.value,
                       f"order {order.ref}: {', '.join(changed)} changed; now {order.state.value}"
                       + (f": {order.hold_reason}" if order.hold_reason else ""), outcome)


def cancel_order(hub: HubContext, order_id: int, actor: str, reason: str) -> OrderAction:
    """Cancel an order no supplier has yet: its unsent documents are withdrawn."""
    reason = need_reason(reason, "a cancellation")
    now = hub.clock()
    with hub.uow() as uow:
        order = _order(uow, order_id)
        if order.state in (OrderState.CANCELLED, OrderState.SHIPPED):
            raise ActionRefused(f"order {order.ref} is {order.state.value} already")
        pos = uow.repo.purchase_orders_of(order_id)
        live = [p for p in pos if p.state not in (PoState.CANCELLED, PoState.REJECTED)]
        _only_unsent(order, live, "cancelled")
        seen = snapshot(uow, {order_id})
        _withdraw(uow, live, now)
        for po in live:
            for pl in po.lines:
                pl.move_to(LineState.CANCELLED, po.po_number)
            po.move_to(PoState.CANCELLED)
        uow.repo.save_purchase_orders(live, now)
        before = order.state.value
        order.move_to(OrderState.CANCELLED)
        for line in order.lines:
            line.cancelled = line.quantity
        uow.repo.update_orders([order], now)
        uow.repo.resolve_incidents_of_order(order_id, now, f"order cancelled by {actor}: {reason}", actor)
        uow.repo.add_events([_event(now, order_id, "order.cancelled", reason, actor)])
        audit(uow, now, actor, "order.cancel", f"order {order.ref}", before={"state": before},
              after={"state": "cancelled", "purchase_orders_cancelled": [p.po_number for p in live]},
              reason=reason, order_id=order_id)
        record(uow, hub, seen, now)   # the channel hears of it
        uow.commit()
    return OrderAction(order.ref, "cancelled", f"order {order.ref} cancelled"
                       + (f"; purchase order(s) {', '.join(p.po_number for p in live)} withdrawn before "
                          "they left" if live else ""))


def cancel_line(hub: HubContext, order_id: int, line_id: str, actor: str, reason: str,
                quantity: int | None = None) -> OrderAction:
    """Cancel (some of) an order line's units that no supplier is filling: units a supplier
    rejected and nobody took on, or units on a purchase order that has not left (that document
    is withdrawn and built again without them)."""
    reason = need_reason(reason, "a cancellation")
    now = hub.clock()
    with hub.uow() as uow:
        order = _order(uow, order_id)
        line = _line(order, line_id)
        pos = uow.repo.purchase_orders_of(order_id)
        before = {"cancelled": line.cancelled, "state": order.state.value}
        seen = snapshot(uow, {order_id})
        units, rebuilt = _free_units(uow, order, line, pos, quantity, "cancelled", now)
        line.cancelled += units
        out = Outcome()
        if rebuilt:
            requeue_documents(uow, hub, [(order, po) for po in rebuilt], now, out)
        uow.repo.save_purchase_orders([p for p in pos if p.id], now)
        if not any(ln.wanted for ln in order.lines):
            order.move_to(OrderState.CANCELLED)
        uow.repo.update_orders([order], now)
        refresh_orders(uow, {order.id}, now, out)
        uow.repo.resolve_incidents(_stranded_keys(line, pos), now, f"line cancelled by {actor}", actor)
        uow.repo.add_events(out.events + [_event(now, order_id, "line.cancelled",
                                                 f"{units} x {line.sku} (line {line.line_id}) cancelled: "
                                                 f"{reason}", actor)])
        uow.repo.file_incidents(out.incidents, now)
        audit(uow, now, actor, "line.cancel", f"order {order.ref} line {line.line_id}", before=before,
              after={"cancelled": line.cancelled, "state": order.state.value,
                     "rebuilt": [p.po_number for p in rebuilt]}, reason=reason, order_id=order_id)
        state = order.state.value
        record(uow, hub, seen, now)   # the channel hears of it
        uow.commit()
    if out.queued:
        hub.on_queued()
    return OrderAction(order.ref, state, f"{units} x {line.sku} of order {order.ref} cancelled"
                       + (f"; {', '.join(p.po_number for p in rebuilt)} built again without them"
                          if rebuilt else ""), out)


def reroute_line(hub: HubContext, order_id: int, line_id: str, supplier: str, actor: str, reason: str,
                 quantity: int | None = None) -> OrderAction:
    """Send (some of) a line's units that no supplier is filling to ``supplier``: units rejected
    and not taken on, units never routed, or units on a purchase order that has not left (that
    document is withdrawn and built again without them). The supplier must be active and
    carry the SKU in the catalog."""
    reason = need_reason(reason, "a re-route")
    now = hub.clock()
    with hub.uow() as uow:
        order = _order(uow, order_id)
        line = _line(order, line_id)
        partner = hub.partners.get(supplier)
        entry = hub.catalog.entry(line.sku, supplier)
        if partner is None or not partner.active:
            raise ActionRefused(f"{supplier!r} is not an active supplier")
        if entry is None or not entry.active:
            raise ActionRefused(f"{supplier} does not sell {line.sku} (no active row in the catalog): "
                                "add it to partners/catalog.csv first")
        pos = uow.repo.purchase_orders_of(order_id)
        if order.state in (OrderState.CANCELLED, OrderState.SHIPPED):
            raise ActionRefused(f"order {order.ref} is {order.state.value}: nothing to re-route")
        units = _units(order, line, pos, quantity, "re-routed")[0]
        if not entry.fits(units):
            raise ActionRefused(f"{supplier} takes {line.sku} in quantities of {entry.min_qty} to "
                                f"{entry.max_qty or 'any'}, not {units}")
        before = order.state.value
        units, rebuilt = _free_units(uow, order, line, pos, quantity, "re-routed", now)
        for po in pos:   # rejected units now taken on: the line is re-routed, not open any more
            for pl in po.lines:
                if pl.order_line_id == line.id and pl.state == LineState.REJECTED:
                    pl.move_to(LineState.REROUTED, po.po_number)
        out = Outcome()
        if rebuilt:
            requeue_documents(uow, hub, [(order, po) for po in rebuilt], now, out)
        uow.repo.save_purchase_orders([p for p in pos if p.id], now)
        if supplier not in line.candidates:
            line.candidates = line.candidates + (supplier,)
        if order.state in (OrderState.NEEDS_ATTENTION, OrderState.ON_HOLD):
            order.move_to(OrderState.PROCESSING)
            order.hold_reason = ""
        attempt = max([p.route_attempt for p in pos] + [0]) + 1
        queue(uow, hub, [(order, {supplier: [(dataclasses.replace(line, quantity=units), entry)]})], now, out,
              {order.id: attempt})
        uow.repo.update_orders([order], now)
        refresh_orders(uow, {order.id}, now, out)
        uow.repo.resolve_incidents(_stranded_keys(line, pos), now, f"re-routed to {supplier} by {actor}", actor)
        uow.repo.resolve_incidents_of_order(order_id, now, f"re-routed to {supplier} by {actor}", actor,
                                            prefix="routing.")
        uow.repo.add_events(out.events + [_event(now, order_id, "line.rerouted",
                                                 f"{units} x {line.sku} (line {line.line_id}) re-routed to "
                                                 f"{supplier} by {actor}: {reason}", actor)])
        uow.repo.file_incidents(out.incidents, now)
        new = [p.po_number for p in out.purchase_orders]
        audit(uow, now, actor, "line.reroute", f"order {order.ref} line {line.line_id}",
              before={"state": before}, after={"state": order.state.value, "supplier": supplier,
                                               "units": units, "purchase_orders": new},
              reason=reason, order_id=order_id, partner_id=supplier)
        uow.commit()
    hub.on_queued()
    return OrderAction(order.ref, order.state.value, f"{units} x {line.sku} of order {order.ref} sent "
                       f"to {supplier} on {', '.join(new) or 'a new purchase order'}", out)


# -- helpers ---------------------------------------------------------------------------------

def _line(order: Order, line_id: str) -> OrderLine:
    for line in order.lines:
        if line.line_id == str(line_id):
            return line
    raise ActionRefused(f"order {order.ref} has no line {line_id!r} (lines: "
                        f"{', '.join(ln.line_id for ln in order.lines)})")


def _carrying(line: OrderLine, pos: list[PurchaseOrder]) -> list[tuple[PurchaseOrder, PoLine]]:
    return [(po, pl) for po in pos for pl in po.lines if pl.order_line_id == line.id]


def _stranded(line: OrderLine, pos: list[PurchaseOrder]) -> int:
    """Units of the line no supplier works on: never routed, or rejected and not taken on."""
    covered = sum(pl.quantity - pl.qty_rejected for po, pl in _carrying(line, pos)
                  if pl.state not in (LineState.REROUTED, LineState.CANCELLED)
                  and po.state not in (PoState.REJECTED, PoState.CANCELLED, PoState.FAILED))
    failed = sum(pl.quantity for po, pl in _carrying(line, pos) if po.state == PoState.FAILED
                 and pl.state not in (LineState.CANCELLED,))
    return max(0, line.wanted - covered - failed)


def _cancellable(line: OrderLine, pos: list[PurchaseOrder]) -> tuple[int, list[tuple[PurchaseOrder, PoLine]]]:
    """Units an operator may still take away from the line, and the unsent PO lines holding some."""
    unsent = [(po, pl) for po, pl in _carrying(line, pos)
              if po.state in UNSENT and pl.state not in (LineState.CANCELLED, LineState.REROUTED)]
    return _stranded(line, pos) + sum(pl.quantity for _, pl in unsent), unsent


def _units(order: Order, line: OrderLine, pos: list[PurchaseOrder], quantity: int | None,
           verb: str) -> tuple[int, list]:
    """How many units the action takes (all that may be, by default), and the unsent PO lines
    holding some; refused when that is none, or more than may be."""
    open_units, unsent = _cancellable(line, pos)
    units = open_units if quantity is None else quantity
    if units <= 0 or units > open_units:
        raise ActionRefused(_not_cancellable(order, line, pos, open_units, units, verb))
    return units, unsent


def _free_units(uow, order: Order, line: OrderLine, pos: list[PurchaseOrder], quantity: int | None,
                verb: str, now) -> tuple[int, list[PurchaseOrder]]:
    """Take the action's units from the line: first those no supplier works on, then off unsent
    purchase orders (withdrawn; returned to be built again if lines are left)."""
    units, unsent = _units(order, line, pos, quantity, verb)
    return units, _take_units(uow, line, unsent, units - min(units, _stranded(line, pos)), now)


def _take_units(uow, line: OrderLine, unsent: list[tuple[PurchaseOrder, PoLine]], units: int,
                now) -> list[PurchaseOrder]:
    """Take ``units`` off unsent PO lines (last first); withdraw their documents; return the POs
    to build again (those with lines left), cancelling the ones left empty."""
    touched: dict[int, PurchaseOrder] = {}
    for po, pl in reversed(unsent):
        if units <= 0:
            break
        taken = min(units, pl.quantity)
        units -= taken
        pl.quantity -= taken
        if pl.quantity == 0:
            pl.quantity = taken   # the line keeps what it was sent with; cancelled as a whole
            pl.move_to(LineState.CANCELLED, po.po_number)
        touched[po.id] = po
    _withdraw(uow, list(touched.values()), now)
    rebuilt = []
    for po in touched.values():
        if any(pl.state != LineState.CANCELLED for pl in po.lines):
            po.state = PoState.QUEUED
            rebuilt.append(po)
        else:
            po.move_to(PoState.CANCELLED)
    return rebuilt


def _withdraw(uow, pos: list[PurchaseOrder], now) -> None:
    """Withdraw the documents of purchase orders that have not left; refuse if one is in flight."""
    docs = [d for d in uow.outbox.documents_of([p.id for p in pos]) if d["state"] in ("queued", "failed")]
    if uow.outbox.withdraw([d["id"] for d in docs], now) != len(docs):
        raise ActionRefused("a purchase order of this order is being sent right now: look again in a "
                            "minute (nothing was changed)")


def _only_unsent(order: Order, pos: list[PurchaseOrder], verb: str) -> None:
    sent = [p for p in pos if p.state not in UNSENT]
    if sent:
        raise ActionRefused(f"order {order.ref} cannot be {verb} here: "
                            f"{', '.join(f'{p.po_number} ({p.partner_id}, {p.state.value})' for p in sent)} "
                            "reached the supplier; a cancellation must go to the supplier as a change "
                            "document")


def _not_cancellable(order: Order, line: OrderLine, pos: list[PurchaseOrder], open_units: int,
                     units: int, verb: str = "cancelled") -> str:
    carried = ", ".join(f"{pl.quantity} on {po.po_number} ({po.partner_id}, {pl.state.value})"
                        for po, pl in _carrying(line, pos)) or "none on a purchase order"
    if open_units == 0:
        return (f"line {line.line_id} of order {order.ref} ({line.sku}) has no units that could be {verb}: "
                f"{carried}. Shipped or accepted units stay with their supplier; a change after a "
                "supplier accepted goes to the supplier as a change document")
    return (f"line {line.line_id} of order {order.ref} ({line.sku}) has {open_units} unit(s) that may be "
            f"{verb}, not {units} ({carried})")


def _stranded_keys(line: OrderLine, pos: list[PurchaseOrder]) -> list[str]:
    return [f"routing.no_supplier_left:{po.id}:{pl.line_number}" for po, pl in _carrying(line, pos)]


def _apply(order: dict, changes: dict) -> dict:
    """The canonical order with an operator's corrections; refuses fields that are not editable."""
    edited = copy.deepcopy(order)
    for part, values in (changes or {}).items():
        if part not in EDITABLE or not isinstance(values, dict):
            raise ActionRefused(f"{part!r} cannot be edited (editable: customer, ship_to, lines)")
        if part == "lines":
            by_id = {ln["line_id"]: ln for ln in edited["lines"]}
            for line_id, fields in values.items():
                if str(line_id) not in by_id or not isinstance(fields, dict):
                    raise ActionRefused(f"there is no line {line_id!r} to edit")
                for key, value in fields.items():
                    if key not in EDITABLE["lines"]:
                        raise ActionRefused(f"a line's {key!r} cannot be edited")
                    by_id[str(line_id)][key] = value
            continue
        for key, value in values.items():
            if key not in EDITABLE[part]:
                raise ActionRefused(f"{part}.{key} cannot be edited")
            edited[part][key] = value
    return edited


def _differences(before: dict, after: dict) -> list[str]:
    out = []
    for part in ("customer", "ship_to"):
        out += [f"{part}.{k}" for k in EDITABLE[part] if before[part].get(k) != after[part].get(k)]
    for old, new in zip(before["lines"], after["lines"], strict=True):
        out += [f"lines[{old['line_id']}].{k}" for k in EDITABLE["lines"] if str(old.get(k)) != str(new.get(k))]
    return out


def _value_at(order: dict, path: str):
    """The value at ``customer.name`` or ``lines[2].sku`` in a canonical order dictionary."""
    if path.startswith("lines["):
        line_id, _, key = path[6:].partition("].")
        return next(ln[key] for ln in order["lines"] if ln["line_id"] == line_id)
    part, _, key = path.partition(".")
    return order[part][key]


def _event(now, order_id: int, kind: str, message: str, actor: str) -> dict:
    return {"at": now, "order_id": order_id, "purchase_order_id": None, "interchange_id": None,
            "kind": kind, "message": message, "actor": actor}

