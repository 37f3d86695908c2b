"""Review: is an order complete, reasonable and safe to send to suppliers?

Pure functions over an :class:`Order`. Each problem is a :class:`Finding` with a sentence an
operator can act on; a finding either holds the order (risk: an operator may release it)
or needs attention (something must be fixed first).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from hub.domain.model import Order
from hub.domain.partner import Catalog

# Countries whose addresses need a state or province code.
_STATE_REQUIRED = frozenset({"US", "CA", "AU", "MX", "BR"})


@dataclass(frozen=True, slots=True)
class ReviewRules:
    """The review policy, from the ``[review]`` table of edihub.toml."""

    require_email: bool = True
    require_phone: bool = False
    max_quantity_per_line: int = 1000
    max_order_value: Decimal | None = None
    # A first order from a customer who has not prepaid goes on hold above this value.
    hold_new_customer_unpaid_over: Decimal | None = Decimal("500")
    # Any order not prepaid goes on hold above this value.
    hold_unpaid_over: Decimal | None = None
    ship_to_countries: tuple[str, ...] = ()  # empty: ship anywhere


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing review found wrong with an order."""

    code: str
    message: str
    hold: bool = False        # True: risk hold an operator may release; False: must be fixed
    line_id: str = ""


def review(order: Order, catalog: Catalog, rules: ReviewRules, known_customer: bool) -> list[Finding]:
    """Check an order; return every finding (empty when it may be routed)."""
    findings = _completeness(order, catalog, rules) + _reasonableness(order, rules)
    if not findings:
        findings = _risk(order, rules, known_customer)
    return findings


def _completeness(order: Order, catalog: Catalog, rules: ReviewRules) -> list[Finding]:
    out: list[Finding] = []
    s = order.ship_to
    missing = [label for label, value in (("name", s.name), ("address1", s.address1),
                                          ("city", s.city), ("postal_code", s.postal_code),
                                          ("country", s.country)) if not value.strip()]
    if s.country.upper() in _STATE_REQUIRED and not s.state.strip():
        missing.append("state")
    if missing:
        out.append(Finding("review.incomplete_address",
                           f"ship-to address has no {', '.join(missing)}: "
                           "complete the address, then release the order"))
    if rules.ship_to_countries and s.country.upper() not in rules.ship_to_countries:
        out.append(Finding("review.country_not_served",
                           f"ship-to country {s.country!r} is not one we ship to "
                           f"({', '.join(rules.ship_to_countries)})"))
    c = order.customer
    if rules.require_email and not c.email.strip():
        out.append(Finding("review.missing_contact",
                           "customer has no e-mail address: suppliers and carriers need a contact"))
    if rules.require_phone and not c.phone.strip():
        out.append(Finding("review.missing_contact",
                           "customer has no phone number: this shop requires one for delivery"))
    for ln in order.lines:
        if not catalog.knows(ln.sku):
            out.append(Finding("review.unknown_sku",
                               f"line {ln.line_id}: SKU {ln.sku!r} is not in the supplier catalog "
                               "(or no supplier sells it any more): add it to partners/catalog.csv "
                               "or correct the SKU", line_id=ln.line_id))
    return out


def _reasonableness(order: Order, rules: ReviewRules) -> list[Finding]:
    out = [Finding("review.quantity_limit",
                   f"line {ln.line_id}: quantity {ln.quantity} of {ln.sku} is over the limit of "
                   f"{rules.max_quantity_per_line} per line: confirm with the customer",
                   line_id=ln.line_id)
           for ln in order.lines if ln.quantity > rules.max_quantity_per_line]
    if rules.max_order_value is not None and order.total() > rules.max_order_value:
        out.append(Finding("review.order_value_limit",
                           f"order value {order.total()} {order.currency} is over the limit of "
                           f"{rules.max_order_value}: confirm with the customer"))
    return out


def _risk(order: Order, rules: ReviewRules, known_customer: bool) -> list[Finding]:
    if order.customer.prepaid:
        return []
    total = order.total()
    if rules.hold_unpaid_over is not None and total > rules.hold_unpaid_over:
        return [Finding("review.hold_unpaid",
                        f"order value {total} {order.currency} is over {rules.hold_unpaid_over} "
                        "and not prepaid: check payment, then release the order", hold=True)]
    limit = rules.hold_new_customer_unpaid_over
    if not known_customer and limit is not None and total > limit:
        return [Finding("review.hold_new_customer",
                        f"first order of customer {order.customer.id!r}, worth {total} "
                        f"{order.currency}, over {limit} and not prepaid: check payment, "
                        "then release the order", hold=True)]
    return []
