"""The fields a purchase-order mapping can use, and how one PO's values are gathered.

A mapping file (X12 or XML) never sees domain objects: it names fields such as
``ship_to.name`` or ``line.supplier_item``. :data:`HEADER_FIELDS` and :data:`LINE_FIELDS`
list every name with a description; mapping files are checked against them when loaded.
Values are strings already formatted for EDI (dates CCYYMMDD, decimals without exponent).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from hub.domain.model import Order, PurchaseOrder
from hub.domain.partner import Partner

# name -> (description, free_text). Free text may be shortened to fit an element;
# anything else (ids, numbers, codes, e-mail) is refused when too long, never cut.
HEADER_FIELDS: dict[str, tuple[str, bool]] = {
    "po.number": ("purchase order number (BEG03)", False),
    "po.date": ("purchase order date, CCYYMMDD", False),
    "po.time": ("purchase order time, HHMM", False),
    "po.date_iso": ("purchase order date and time, ISO 8601 UTC", False),
    "po.line_count": ("number of lines", False),
    "po.quantity_total": ("total units ordered", False),
    "po.cost_total": ("total cost: quantity x unit cost", False),
    "po.route_attempt": ("1 for the first supplier tried, 2 after a re-route, ...", False),
    "po.test": ("1 in test mode, 0 in production", False),
    "order.channel": ("sales channel", False),
    "order.channel_order_id": ("the channel's order id", False),
    "order.placed_date": ("date the customer ordered, CCYYMMDD", False),
    "order.placed_at_iso": ("time the customer ordered, ISO 8601 UTC", False),
    "order.currency": ("ISO 4217 currency code", False),
    "order.total": ("order value at the shop's prices", False),
    "order.requested_delivery": ("delivery date the customer asked for, CCYYMMDD (empty: none)",
                                 False),
    "customer.id": ("the channel's customer id", False),
    "customer.name": ("customer name", True),
    "customer.email": ("customer e-mail", False),
    "customer.phone": ("customer phone", False),
    "ship_to.name": ("ship-to name (the end customer for drop-ship)", True),
    "ship_to.address1": ("ship-to street address", True),
    "ship_to.address2": ("ship-to address line 2", True),
    "ship_to.city": ("ship-to city", True),
    "ship_to.state": ("ship-to state or province code", False),
    "ship_to.postal_code": ("ship-to postal code", False),
    "ship_to.country": ("ship-to ISO 3166 country code", False),
    "buyer.name": ("our company name, from edihub.toml [company]", True),
    "buyer.id": ("our id at the supplier, from edihub.toml [company]", False),
    "partner.id": ("partner id (file name)", False),
    "partner.name": ("partner name", True),
}

LINE_FIELDS: dict[str, tuple[str, bool]] = {
    "line.number": ("line number on this PO, 1..n (PO101)", False),
    "line.order_line_id": ("the channel's line id", False),
    "line.quantity": ("units ordered", False),
    "line.uom": ("unit of measure code, e.g. EA", False),
    "line.unit_cost": ("our cost per unit at this supplier", False),
    "line.unit_price": ("the shop's price per unit", False),
    "line.extended_cost": ("quantity x unit cost", False),
    "line.sku": ("our SKU (buyer's part number)", False),
    "line.supplier_item": ("the supplier's item number", False),
    "line.description": ("item description", True),
}


def partner_field(name: str) -> bool:
    """True for ``partner.<key>`` names taken from a partner file's ``[fields]`` table."""
    return name.startswith("partner.") and len(name) > len("partner.")


def is_free_text(name: str, *tables: dict[str, tuple[str, bool]]) -> bool:
    """True if a field may be shortened to fit an element (looked up in ``tables``, by default
    the purchase order's fields)."""
    for table in tables or (HEADER_FIELDS, LINE_FIELDS):
        if name in table:
            return table[name][1]
    return False


@dataclass(slots=True)
class PoContext:
    """Everything a mapping may print about one purchase order, as strings."""

    po_number: str
    partner_id: str
    header: dict[str, str]
    lines: list[dict[str, str]]
    # A change's purchase order as it now stands, line by line (``lines`` then holds the lines
    # the change names): for layouts that resend the whole order, such as a cXML update.
    items: list[dict[str, str]] = field(default_factory=list)


def number(value: Decimal | int) -> str:
    """A decimal as X12 'R' text: no exponent, no trailing zeros, no trailing point."""
    if isinstance(value, int):
        return str(value)
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def build_context(po: PurchaseOrder, order: Order, partner: Partner,
                  company: dict[str, str]) -> PoContext:
    """Gather one purchase order's values for its mapping."""
    order_lines = {ln.id: ln for ln in order.lines}
    created: datetime = po.created_at
    c, s = order.customer, order.ship_to
    header = {
        "po.number": po.po_number,
        "po.date": created.strftime("%Y%m%d"),
        "po.time": created.strftime("%H%M"),
        "po.date_iso": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "po.line_count": str(len(po.lines)),
        "po.quantity_total": str(po.quantity_total()),
        "po.cost_total": number(po.cost_total()),
        "po.route_attempt": str(po.route_attempt),
        "po.test": "1" if po.test_mode else "0",
        "order.channel": order.channel,
        "order.channel_order_id": order.channel_order_id,
        "order.placed_date": order.placed_at.strftime("%Y%m%d"),
        "order.placed_at_iso": order.placed_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "order.currency": order.currency,
        "order.total": number(order.total()),
        "order.requested_delivery": (order.requested_delivery.strftime("%Y%m%d")
                                     if order.requested_delivery else ""),
        "customer.id": c.id,
        "customer.name": c.name,
        "customer.email": c.email,
        "customer.phone": c.phone,
        "ship_to.name": s.name,
        "ship_to.address1": s.address1,
        "ship_to.address2": s.address2,
        "ship_to.city": s.city,
        "ship_to.state": s.state,
        "ship_to.postal_code": s.postal_code,
        "ship_to.country": s.country,
        "buyer.name": company.get("name", ""),
        "buyer.id": company.get("id", ""),
        "partner.id": partner.id,
        "partner.name": partner.name,
    }
    for key, value in partner.fields.items():
        header[f"partner.{key}"] = value
    lines = []
    for ln in po.lines:
        source = order_lines.get(ln.order_line_id)
        lines.append({
            "line.number": str(ln.line_number),
            "line.order_line_id": source.line_id if source else "",
            "line.quantity": str(ln.quantity),
            "line.uom": ln.uom,
            "line.unit_cost": number(ln.unit_cost),
            "line.unit_price": number(source.unit_price) if source else "0",
            "line.extended_cost": number(ln.unit_cost * ln.quantity),
            "line.sku": ln.sku,
            "line.supplier_item": ln.supplier_item,
            "line.description": ln.description,
        })
    return PoContext(po.po_number, partner.id, header, lines)
