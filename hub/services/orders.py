"""Keep each order's state true to its purchase orders (derived, then checked and stored)."""

from __future__ import annotations

from datetime import datetime

from hub.domain.answers import order_state
from hub.domain.model import IncidentDraft, Order, PurchaseOrder
from hub.domain.states import ORDER_TRANSITIONS
from hub.services.fulfil import Outcome
from hub.services.ports import UnitOfWork


Loaded = dict[int, tuple[Order, list[PurchaseOrder]]]
"""Orders by id, each with every purchase order it has had (oldest first), as now stored."""


def load_orders(uow: UnitOfWork, order_ids: set[int], known: Loaded | None = None) -> Loaded:
    """These orders with their purchase orders; ``known`` holds some already loaded and still
    as stored (nothing wrote them since, or what wrote them was these very objects)."""
    found = {oid: known[oid] for oid in order_ids if oid in known} if known else {}
    missing = set(order_ids) - found.keys()
    if missing:
        pos = uow.repo.purchase_orders_of_orders(missing)
        found.update({oid: (order, pos.get(oid, [])) for oid, order in uow.repo.orders_by_id(missing).items()})
    return found


def refresh_orders(uow: UnitOfWork, order_ids: set[int], now: datetime,
                   out: Outcome, known: Loaded | None = None) -> Loaded:
    """Recompute the state of these orders from their purchase-order lines; store what changed.

    ``known`` as for :func:`load_orders`. Returns what it read, as now stored, for a caller
    that writes nothing more to them (hub.services.order_events.snapshot).
    """
    if not order_ids:
        return {}
    loaded = load_orders(uow, order_ids, known)
    carried: dict[int, list] = {}
    for po in (po for _, of_order in loaded.values() for po in of_order):
        for pl in po.lines:
            carried.setdefault(pl.order_line_id, []).append((po.state, pl))
    changed = []
    for order, _ in loaded.values():
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
    uow.repo.update_order_states(changed, now)   # only states moved here
    return loaded
