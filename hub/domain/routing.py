"""Routing: choose each line's supplier and split an order into one purchase order per supplier.

Pure functions. The ranking keys and the single-supplier preference come from the
``[routing]`` table of edihub.toml; supplier capacity is tracked in :class:`Capacity`,
which the caller seeds with units already booked today.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from hub.domain.model import Order, OrderLine, PoLine, PurchaseOrder
from hub.domain.partner import Catalog, CatalogEntry, Partner
from hub.domain.review import Finding

RANK_KEYS = ("priority", "cost", "lead_time_days")


@dataclass(frozen=True, slots=True)
class RoutingRules:
    """The routing policy: ranking keys, best first, and whether to avoid split shipments."""

    order_by: tuple[str, ...] = RANK_KEYS
    prefer_single_supplier: bool = False


@dataclass(slots=True)
class Capacity:
    """Units each supplier may still take today (None: no limit)."""

    left: dict[str, int | None] = field(default_factory=dict)

    def can_take(self, supplier: str, units: int) -> bool:
        """True if the supplier has room for ``units`` more today."""
        room = self.left.get(supplier)
        return room is None or units <= room

    def book(self, supplier: str, units: int) -> None:
        """Count ``units`` against the supplier's capacity."""
        room = self.left.get(supplier)
        if room is not None:
            self.left[supplier] = room - units


@dataclass(slots=True)
class Route:
    """The outcome of routing one order: lines per supplier, or why it could not be routed."""

    shares: dict[str, list[tuple[OrderLine, CatalogEntry]]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)


def candidates(line: OrderLine, catalog: Catalog, partners: dict[str, Partner],
               rules: RoutingRules, exclude: frozenset[str] = frozenset()) -> list[CatalogEntry]:
    """Catalog entries able to fill a line, best first."""
    usable = [e for e in catalog.offers(line.sku)
              if e.active and e.supplier not in exclude and e.fits(line.quantity)
              and (p := partners.get(e.supplier)) is not None and p.active]
    return sorted(usable, key=lambda e: tuple(getattr(e, k) for k in rules.order_by) + (e.supplier,))


def route(order: Order, catalog: Catalog, partners: dict[str, Partner], rules: RoutingRules,
          capacity: Capacity) -> Route:
    """Pick a supplier for every line; record each line's ordered candidates for re-routing."""
    result = Route()
    ranked: dict[str, list[CatalogEntry]] = {}
    for ln in order.lines:
        ranked[ln.line_id] = candidates(ln, catalog, partners, rules)
        ln.candidates = tuple(e.supplier for e in ranked[ln.line_id])
        if not ranked[ln.line_id]:
            result.findings.append(_unroutable(ln, catalog, partners))
    if result.findings:
        return result
    single = _single_supplier(order, ranked, capacity) if rules.prefer_single_supplier else None
    # Book into a trial copy as lines are picked, so two lines of one order cannot both take
    # the same remaining room; the real capacity is charged only if the whole order routes.
    trial = Capacity(dict(capacity.left))
    picks: list[tuple[OrderLine, CatalogEntry]] = []
    for ln in order.lines:
        choice = next((e for e in ranked[ln.line_id]
                       if (single is None or e.supplier == single)
                       and trial.can_take(e.supplier, ln.quantity)), None)
        if choice is None:
            result.findings.append(Finding(
                "routing.capacity",
                f"line {ln.line_id}: every supplier of {ln.sku} ({', '.join(ln.candidates)}) "
                "is at today's capacity: raise a supplier's max_units_per_day or wait",
                line_id=ln.line_id))
            continue
        trial.book(choice.supplier, ln.quantity)
        picks.append((ln, choice))
    if result.findings:
        return result
    capacity.left = trial.left
    for ln, entry in picks:
        result.shares.setdefault(entry.supplier, []).append((ln, entry))
    return result


def _single_supplier(order: Order, ranked: dict[str, list[CatalogEntry]],
                     capacity: Capacity) -> str | None:
    """The supplier able to fill every line with the best summed rank; None if there is none."""
    rank = [{e.supplier: i for i, e in enumerate(ranked[ln.line_id])} for ln in order.lines]
    units = sum(ln.quantity for ln in order.lines)
    common = [s for s in set.intersection(*(set(r) for r in rank)) if capacity.can_take(s, units)]
    return min(common, key=lambda s: (sum(r[s] for r in rank), s), default=None)


def _unroutable(line: OrderLine, catalog: Catalog, partners: dict[str, Partner]) -> Finding:
    reasons = []
    for e in catalog.offers(line.sku):
        p = partners.get(e.supplier)
        if p is None:
            reasons.append(f"{e.supplier} has no partner file")
        elif not p.active or not e.active:
            reasons.append(f"{e.supplier} is inactive")
        elif not e.fits(line.quantity):
            top = "" if e.max_qty is None else f"-{e.max_qty}"
            reasons.append(f"{e.supplier} takes {e.min_qty}{top} per line")
    why = "; ".join(reasons) or "no catalog entry"
    return Finding("routing.no_supplier",
                   f"line {line.line_id}: no supplier can take {line.quantity} x {line.sku} "
                   f"({why}): adjust the catalog or the quantity", line_id=line.line_id)


def build_purchase_orders(order: Order, shares: dict[str, list[tuple[OrderLine, CatalogEntry]]],
                          po_numbers: list[str], partners: dict[str, Partner],
                          now: datetime, route_attempt: int = 1) -> list[PurchaseOrder]:
    """Turn a route into purchase orders (one per supplier, suppliers in sorted order)."""
    pos = []
    for number, supplier in zip(po_numbers, sorted(shares), strict=True):
        lines = [PoLine(line_number=i, order_line_id=ln.id, sku=ln.sku,
                        supplier_item=entry.supplier_item, description=ln.description,
                        quantity=ln.quantity, unit_cost=entry.cost, uom=entry.uom)
                 for i, (ln, entry) in enumerate(shares[supplier], start=1)]
        pos.append(PurchaseOrder(po_number=number, partner_id=supplier, order_id=order.id,
                                 lines=lines, created_at=now, route_attempt=route_attempt,
                                 test_mode=partners[supplier].test_mode))
    return pos
