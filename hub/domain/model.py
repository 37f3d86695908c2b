"""The hub's business objects: orders as the shop sent them, and purchase orders per supplier.

Plain dataclasses, no I/O: the repository maps them to tables. State changes go through
methods that consult the transition tables in :mod:`hub.domain.states`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from hub.domain import states
from hub.domain.states import LineState, OrderState, PoState


@dataclass(slots=True)
class Address:
    """A postal address; for drop-ship the ship-to is the end customer."""

    name: str
    address1: str
    address2: str
    city: str
    state: str
    postal_code: str
    country: str


@dataclass(slots=True)
class Customer:
    """The shop's customer, as the channel identifies them."""

    id: str
    name: str
    email: str
    phone: str
    prepaid: bool


@dataclass(slots=True)
class OrderLine:
    """One line of a customer's order; EDI never changes it."""

    line_id: str
    sku: str
    quantity: int
    unit_price: Decimal
    description: str = ""
    id: int | None = None
    # Supplier ids able to fill this line, best first: routing's plan, kept for re-routing.
    candidates: tuple[str, ...] = ()
    cancelled: int = 0             # units an operator cancelled (no supplier fills them)

    @property
    def wanted(self) -> int:
        """Units still to be filled: ordered less cancelled."""
        return self.quantity - self.cancelled


@dataclass(slots=True)
class Order:
    """A customer's order in canonical form, from any channel."""

    channel: str
    channel_order_id: str
    placed_at: datetime
    currency: str
    customer: Customer
    ship_to: Address
    lines: list[OrderLine]
    id: int | None = None
    state: OrderState = OrderState.RECEIVED
    hold_reason: str = ""
    requested_delivery: date | None = None   # set by a change from the channel

    @property
    def key(self) -> tuple[str, str]:
        """The idempotency key: the channel and the channel's own order id."""
        return (self.channel, self.channel_order_id)

    @property
    def ref(self) -> str:
        """A short human reference such as ``webshop/WS-10001``."""
        return f"{self.channel}/{self.channel_order_id}"

    def total(self) -> Decimal:
        """Sum of quantity times unit price over all lines."""
        return sum((ln.unit_price * ln.quantity for ln in self.lines), Decimal(0))

    def move_to(self, wanted: OrderState) -> None:
        """Change state if the order transition table allows it."""
        self.state = states.check(states.ORDER_TRANSITIONS, "order", self.ref, self.state, wanted)


def canonical_json(order: Order) -> str:
    """The order as compact, key-sorted JSON: the public contract and the basis of its hash."""
    return json.dumps(order_to_dict(order), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)


def content_hash(canonical: str) -> str:
    """SHA-256 of an order's canonical JSON, used to tell a repeat from a conflicting duplicate."""
    return hashlib.sha256(canonical.encode()).hexdigest()


def order_to_dict(order: Order) -> dict:
    """The canonical-order dictionary (the shape ``POST /api/v1/orders`` accepts)."""
    c, s = order.customer, order.ship_to
    return {
        "channel": order.channel,
        "channel_order_id": order.channel_order_id,
        "placed_at": order.placed_at.isoformat().replace("+00:00", "Z"),
        "currency": order.currency,
        "customer": {"id": c.id, "name": c.name, "email": c.email, "phone": c.phone,
                     "prepaid": c.prepaid},
        "ship_to": {"name": s.name, "address1": s.address1, "address2": s.address2,
                    "city": s.city, "state": s.state, "postal_code": s.postal_code,
                    "country": s.country},
        "lines": [{"line_id": ln.line_id, "sku": ln.sku, "quantity": ln.quantity,
                   "unit_price": str(ln.unit_price), "description": ln.description}
                  for ln in order.lines],
    }


@dataclass(slots=True)
class PoLine:
    """One line of a purchase order: an order line's quantity sent to one supplier."""

    line_number: int               # PO101: the number the supplier quotes back
    order_line_id: int | None
    sku: str
    supplier_item: str
    description: str
    quantity: int
    unit_cost: Decimal
    uom: str = "EA"
    id: int | None = None
    state: LineState = LineState.OPEN
    qty_accepted: int = 0
    qty_rejected: int = 0
    qty_backordered: int = 0
    qty_shipped: int = 0
    promised_date: date | None = None

    def move_to(self, wanted: LineState, po_number: str = "") -> None:
        """Change state if the line transition table allows it."""
        self.state = states.check(states.LINE_TRANSITIONS, "purchase order line",
                                  f"{po_number}#{self.line_number}", self.state, wanted)


@dataclass(slots=True)
class PurchaseOrder:
    """One supplier's share of an order; owns the business status."""

    po_number: str
    partner_id: str
    order_id: int | None
    lines: list[PoLine]
    created_at: datetime
    id: int | None = None
    state: PoState = PoState.QUEUED
    ack_status: str = ""           # last 997/999 verdict: accepted, accepted_with_errors, rejected
    route_attempt: int = 1         # 1 for the first supplier tried, 2 after one re-route, ...
    test_mode: bool = False
    version: int = 1               # optimistic lock: bumped by every save
    events: list[str] = field(default_factory=list)   # timeline lines recorded by state changes

    def move_to(self, wanted: PoState) -> None:
        """Change state if the purchase-order transition table allows it."""
        self.state = states.check(states.PO_TRANSITIONS, "purchase order", self.po_number,
                                  self.state, wanted)

    def quantity_total(self) -> int:
        """Total units ordered on this purchase order (CTT02's hash total)."""
        return sum(ln.quantity for ln in self.lines)

    def cost_total(self) -> Decimal:
        """Sum of quantity times unit cost."""
        return sum((ln.unit_cost * ln.quantity for ln in self.lines), Decimal(0))


@dataclass(slots=True)
class IncidentDraft:
    """An exceptions-queue entry about to be filed: a code and a sentence an operator acts on."""

    code: str
    message: str
    order_id: int | None = None
    purchase_order_id: int | None = None
    interchange_id: int | None = None
    partner_id: str = ""
    channel: str = ""
    detail: dict = field(default_factory=dict)
    # Filing the same key twice while the first is open adds nothing: reruns stay quiet.
    dedupe_key: str = ""
