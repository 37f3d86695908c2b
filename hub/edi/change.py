"""The fields a purchase-order change mapping can use (X12 860 or a supplier's XML), and how one
change's values are gathered for one purchase order.

A change mapping sees every purchase-order header field (the order as it stands after the
change: new ship-to, new date) plus the ``change.*`` fields, and one line per purchase-order
line the change touches, with its change code and quantities before and after.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime

from hub.domain.changes import PoLineChange, held
from hub.domain.model import Order, PurchaseOrder
from hub.domain.partner import Partner
from hub.edi.context import HEADER_FIELDS, PoContext, build_context, number

CHANGE_HEADER_FIELDS: dict[str, tuple[str, bool]] = {
    **HEADER_FIELDS,
    "change.id": ("the channel's id of the change", False),
    "change.purpose": ("01 when the whole purchase order is cancelled, 04 for a change (BCH01)",
                       False),
    "change.sequence": ("1 for the first change of this purchase order, 2 for the next, ... "
                        "(BCH05)", False),
    "change.date": ("date of the change, CCYYMMDD (BCH11)", False),
    "change.time": ("time of the change, HHMM", False),
    "change.date_iso": ("date and time of the change, ISO 8601 UTC", False),
    "change.delivery_date": ("the new requested delivery date, CCYYMMDD; empty when the change "
                             "does not move it", False),
    "change.delivery_date_iso": ("the same, YYYY-MM-DD", False),
    "change.ship_to_changed": ("1 when the change gives a new ship-to (the ship_to fields hold "
                               "it), empty otherwise", False),
    "change.line_count": ("number of lines the change names", False),
    "change.previous_document_id": ("control number of the last document this purchase order "
                                    "was sent in", False),
    "change.reason": ("why the customer changed the order, as the channel said", True),
}

CHANGE_LINE_FIELDS: dict[str, tuple[str, bool]] = {
    "line.number": ("line number on the purchase order (PO101, POC01)", False),
    "line.order_line_id": ("the channel's line id", False),
    "line.change_code": ("DI delete, QD quantity decrease, QI quantity increase, CT change of "
                         "dates, CA changes to line items (POC02)", False),
    "line.quantity": ("units ordered from now on; empty for a deleted line (POC03)", False),
    "line.quantity_left": ("units still to ship from now on; empty for a deleted line (POC04)",
                           False),
    "line.previous_quantity": ("units ordered before the change", False),
    "line.quantity_change": ("units added or taken away, without sign; empty when unchanged",
                             False),
    "line.uom": ("unit of measure code, e.g. EA", False),
    "line.unit_cost": ("our cost per unit at this supplier", False),
    "line.unit_price": ("the shop's price per unit", False),
    "line.sku": ("our SKU (buyer's part number)", False),
    "line.supplier_item": ("the supplier's item number", False),
    "line.description": ("item description", True),
}


@dataclass(frozen=True, slots=True)
class ChangeFacts:
    """What the service knows about one purchase order's change, beyond the order itself."""

    change_id: str
    purpose: str                    # "01" or "04"
    sequence: int
    at: datetime
    lines: tuple[PoLineChange, ...]
    delivery_date: date | None = None
    ship_to_changed: bool = False
    previous_document_id: str = ""
    reason: str = ""


def build_change_context(po: PurchaseOrder, order: Order, partner: Partner,
                         company: dict[str, str], facts: ChangeFacts) -> PoContext:
    """Gather one purchase order's change for its change mapping: the header and ``items`` of
    the purchase order as it now stands, and the lines the change names."""
    standing = dataclasses.replace(po, lines=[dataclasses.replace(pl, quantity=held(po, pl))
                                              for pl in po.lines if held(po, pl)])
    base = build_context(standing, order, partner, company)
    header = {**base.header, **change_header(facts)}
    order_lines = {ln.id: ln for ln in order.lines}
    by_number = {pl.line_number: pl for pl in po.lines}
    lines = []
    for change in facts.lines:
        pl = by_number[change.line_number]
        source = order_lines.get(pl.order_line_id)
        deleted = change.code == "DI"
        lines.append({
            "line.number": str(pl.line_number),
            "line.order_line_id": source.line_id if source else "",
            "line.change_code": change.code,
            "line.quantity": "" if deleted else str(change.after),
            "line.quantity_left": "" if deleted else str(max(0, change.after - change.shipped)),
            "line.previous_quantity": str(change.before),
            "line.quantity_change": str(abs(change.quantity_change)) if change.quantity_change else "",
            "line.uom": pl.uom,
            "line.unit_cost": number(pl.unit_cost),
            "line.unit_price": number(source.unit_price) if source else "0",
            "line.sku": pl.sku,
            "line.supplier_item": pl.supplier_item,
            "line.description": pl.description,
        })
    return PoContext(po.po_number, partner.id, header, lines, base.lines)


def change_header(facts: ChangeFacts) -> dict[str, str]:
    """The ``change.*`` fields of one purchase order's change."""
    when = facts.delivery_date
    return {
        "change.id": facts.change_id,
        "change.purpose": facts.purpose,
        "change.sequence": str(facts.sequence),
        "change.date": facts.at.strftime("%Y%m%d"),
        "change.time": facts.at.strftime("%H%M"),
        "change.date_iso": facts.at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "change.delivery_date": when.strftime("%Y%m%d") if when else "",
        "change.delivery_date_iso": when.isoformat() if when else "",
        "change.ship_to_changed": "1" if facts.ship_to_changed else "",
        "change.line_count": str(len(facts.lines)),
        "change.previous_document_id": facts.previous_document_id,
        "change.reason": facts.reason,
    }
