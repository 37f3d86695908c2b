"""Send rejected quantities to the next supplier in each order line's fallback list.

Routing kept every able supplier of a line, best first. A quantity a supplier rejects goes
to the next of them not yet tried for that line, as a new purchase order and document;
when none is left, an Incident asks an operator to find another source.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from hub.domain.model import IncidentDraft, Order, PoLine, PurchaseOrder
from hub.domain.states import LineState
from hub.services.fulfil import Outcome, queue
from hub.services.ports import HubContext, UnitOfWork


def reroute(uow: UnitOfWork, hub: HubContext, rejected: list[tuple[PurchaseOrder, PoLine, int]],
            now: datetime, out: Outcome) -> None:
    """Queue new purchase orders for rejected quantities; file Incidents where none can be placed."""
    if not rejected:
        return
    order_ids = {po.order_id for po, _, _ in rejected}
    orders = uow.repo.orders_by_id(order_ids)
    tried: dict[int, set[str]] = {}
    for po in (po for of_order in uow.repo.purchase_orders_of_orders(order_ids).values() for po in of_order):
        for pl in po.lines:
            tried.setdefault(pl.order_line_id, set()).add(po.partner_id)
    shares: dict[int, dict] = {}
    attempts: dict[int, int] = {}
    for po, pl, qty in rejected:
        order = orders[po.order_id]
        line = next(ln for ln in order.lines if ln.id == pl.order_line_id)
        entry = _next_supplier(hub, line.sku, line.candidates, tried.setdefault(line.id, {po.partner_id}), qty)
        if entry is None:
            out.incidents.append(_stranded(order, po, pl, qty, line.candidates))
            continue
        tried[line.id].add(entry.supplier)
        shares.setdefault(order.id, {}).setdefault(entry.supplier, []).append(
            (dataclasses.replace(line, quantity=qty), entry))
        attempts[order.id] = max(attempts.get(order.id, 1), po.route_attempt + 1)
        if pl.state == LineState.REJECTED and pl.qty_rejected >= pl.quantity:
            pl.move_to(LineState.REROUTED, po.po_number)
        out.events.append({"at": now, "order_id": order.id, "purchase_order_id": po.id,
                           "interchange_id": None, "kind": "line.rerouted", "actor": "hub",
                           "message": f"{qty} x {line.sku} rejected by {po.partner_id} "
                                      f"({po.po_number}#{pl.line_number}) re-routed to {entry.supplier}"})
    routed = [(orders[oid], s) for oid, s in shares.items()]
    queue(uow, hub, routed, now, out, attempts)


def _next_supplier(hub: HubContext, sku: str, candidates: tuple[str, ...], tried: set[str], qty: int):
    for supplier in candidates:
        partner = hub.partners.get(supplier)
        entry = hub.catalog.entry(sku, supplier)
        if supplier in tried or partner is None or not partner.active or entry is None:
            continue
        if entry.active and entry.fits(qty):
            return entry
    return None


def _stranded(order: Order, po: PurchaseOrder, pl: PoLine, qty: int, candidates) -> IncidentDraft:
    return IncidentDraft(
        code="routing.no_supplier_left", order_id=order.id, purchase_order_id=po.id,
        partner_id=po.partner_id, channel=order.channel,
        message=f"order {order.ref}: {po.partner_id} rejected {qty} x {pl.sku} "
                f"({po.po_number}#{pl.line_number}) and no other supplier is left to try "
                f"(tried: {', '.join(candidates) or po.partner_id}): find another source or "
                "cancel the line with the customer",
        dedupe_key=f"routing.no_supplier_left:{po.id}:{pl.line_number}")
