"""Keep each order's state true to its purchase orders (derived, then checked and stored)."""

from __future__ import annotations

from datetime import datetime

from hub.domain.answers import order_state
from hub.domain.model import IncidentDraft, Order, PurchaseOrder
from hub.domain.states import ORDER_TRANSITIONS
from hub.services.fulfil import Outcome
from hub.services.ports import UnitOfWork


def refresh_orders(uow: UnitOfWork, order_ids: set[int], now: datetime,
                   out: Outcome) -> dict[int, tuple[Order, list[PurchaseOrder]]]:
    """Recompute the state of these orders from their purchase-order lines; store what changed.

    Returns what it read, as now stored: each order with its purchase orders (oldest first),
    for a caller that writes nothing more to them (hub.services.order_events.snapshot).
    """
    if not order_ids:
        return {}
    orders = uow.repo.orders_by_id(order_ids)
    pos = uow.repo.purchase_orders_of_orders(order_ids)
    carried: dict[int, list] = {}
    for po in (po for of_order in pos.values() for po in of_order):
        for pl in po.lines:
            carried.setdefault(pl.order_line_id, []).append((po.state, pl))
    changed = []
    for order in orders.values():
        wanted = order_state(order.state, [(ln.wanted, carried.get(ln.id, [])) for ln in order.lines])
        if wanted == order.state:
            continue
        if wanted not in ORDER_TRANSITIONS[order.state]:
            out.incidents.append(IncidentDraft(
                code="state.illegal_transition", order_id=order.id, channel=order.channel,
                message=f"order {order.ref} is {order.state.value} but its purchase orders say "
                        f"{wanted.value}: check the supplier's documents on its timeline",
                dedupe_key=f"state.illegal:order:{order.id}:{wanted.value}"))
            continue
        out.events.append({"at": now, "order_id": order.id, "purchase_order_id": None,
                           "interchange_id": None, "kind": "order.state", "actor": "hub",
                           "message": f"{order.state.value} -> {wanted.value}"})
        order.move_to(wanted)
        changed.append(order)
    uow.repo.update_orders(changed, now)
    return {oid: (order, pos.get(oid, [])) for oid, order in orders.items()}
