"""Review: completeness, reasonableness and risk findings, each with a sentence to act on."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.domain.model import Address, Customer, Order, OrderLine
from hub.domain.partner import Catalog, CatalogEntry
from hub.domain.review import Finding, ReviewRules, review

CATALOG = Catalog([
    CatalogEntry("DESK", "acme", "AC-1", Decimal("200")),
    CatalogEntry("LAMP", "initech", "IN-9", Decimal("10")),
    CatalogEntry("POT", "initech", "IN-5", Decimal("5"), active=False),
])


def make_order(*lines: tuple[str, int, str], prepaid: bool = True, email: str = "ada@example.com",
               phone: str = "", **address) -> Order:
    ship = dict(name="Ada Lovelace", address1="1 Main St", address2="", city="Springfield",
                state="IL", postal_code="62701", country="US")
    ship.update(address)
    return Order("webshop", "WS-1", datetime(2026, 11, 25, 10, tzinfo=timezone.utc), "USD",
                 Customer("C-1", "Ada", email, phone, prepaid), Address(**ship),
                 [OrderLine(str(n), sku, qty, Decimal(price))
                  for n, (sku, qty, price) in enumerate(lines or [("DESK", 1, "212.00")], 1)])


def codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


def test_a_complete_prepaid_order_has_no_findings():
    assert review(make_order(), CATALOG, ReviewRules(), known_customer=False) == []


# -- completeness ----------------------------------------------------------------------------

def test_missing_address_parts_are_listed_in_one_finding():
    findings = review(make_order(name="", city="  ", postal_code=""), CATALOG, ReviewRules(), True)
    assert findings == [Finding("review.incomplete_address",
                                "ship-to address has no name, city, postal_code: complete the "
                                "address, then release the order")]
    assert findings[0].hold is False


@pytest.mark.parametrize("country", ["US", "us", "CA", "AU", "MX", "BR"])
def test_state_is_required_where_addresses_have_one(country):
    (f,) = review(make_order(state="", country=country), CATALOG, ReviewRules(), True)
    assert f.message == ("ship-to address has no state: complete the address, then release "
                         "the order")


@pytest.mark.parametrize("country", ["DE", "GB", "FR"])
def test_state_is_optional_elsewhere(country):
    assert review(make_order(state="", country=country), CATALOG, ReviewRules(), True) == []


def test_missing_country_is_reported():
    (f,) = review(make_order(country=""), CATALOG, ReviewRules(), True)
    assert f.message.startswith("ship-to address has no country:")


def test_country_not_served():
    rules = ReviewRules(ship_to_countries=("US", "CA"))
    assert review(make_order(country="us"), CATALOG, rules, True) == []
    assert review(make_order(country="DE", state=""), CATALOG, rules, True) == [
        Finding("review.country_not_served",
                "ship-to country 'DE' is not one we ship to (US, CA)")]


def test_contact_rules():
    assert review(make_order(email=" "), CATALOG, ReviewRules(), True) == [
        Finding("review.missing_contact",
                "customer has no e-mail address: suppliers and carriers need a contact")]
    assert review(make_order(email=""), CATALOG, ReviewRules(require_email=False), True) == []
    assert review(make_order(), CATALOG, ReviewRules(require_phone=True), True) == [
        Finding("review.missing_contact",
                "customer has no phone number: this shop requires one for delivery")]
    assert review(make_order(phone="555-0100"), CATALOG, ReviewRules(require_phone=True),
                  True) == []


def test_unknown_and_no_longer_sold_skus_are_named_per_line():
    findings = review(make_order(("DESK", 1, "1"), ("GLOBE", 1, "1"), ("POT", 2, "1")),
                      CATALOG, ReviewRules(), True)
    assert [(f.code, f.line_id) for f in findings] == [("review.unknown_sku", "2"),
                                                        ("review.unknown_sku", "3")]
    assert findings[0].message == (
        "line 2: SKU 'GLOBE' is not in the supplier catalog (or no supplier sells it any more): "
        "add it to partners/catalog.csv or correct the SKU")


# -- reasonableness --------------------------------------------------------------------------

def test_quantity_limit_per_line():
    rules = ReviewRules(max_quantity_per_line=50)
    assert review(make_order(("LAMP", 50, "1")), CATALOG, rules, True) == []
    assert review(make_order(("LAMP", 50, "1"), ("DESK", 51, "1")), CATALOG, rules, True) == [
        Finding("review.quantity_limit",
                "line 2: quantity 51 of DESK is over the limit of 50 per line: confirm with "
                "the customer", line_id="2")]


def test_order_value_limit():
    rules = ReviewRules(max_order_value=Decimal("400"))
    # 2 x 212.00 = 424.00
    assert review(make_order(("DESK", 2, "212.00")), CATALOG, rules, True) == [
        Finding("review.order_value_limit",
                "order value 424.00 USD is over the limit of 400: confirm with the customer")]
    assert review(make_order(("DESK", 2, "200.00")), CATALOG, rules, True) == []


def test_completeness_and_reasonableness_are_reported_together():
    rules = ReviewRules(max_quantity_per_line=5)
    findings = review(make_order(("GLOBE", 9, "1"), city=""), CATALOG, rules, True)
    assert codes(findings) == ["review.incomplete_address", "review.unknown_sku",
                               "review.quantity_limit"]


# -- risk ------------------------------------------------------------------------------------

def test_first_unpaid_order_of_a_new_customer_over_the_limit_is_held():
    # 3 x 200.00 = 600.00 > 500 (the default)
    order = make_order(("DESK", 3, "200.00"), prepaid=False)
    assert review(order, CATALOG, ReviewRules(), known_customer=False) == [
        Finding("review.hold_new_customer",
                "first order of customer 'C-1', worth 600.00 USD, over 500 and not prepaid: "
                "check payment, then release the order", hold=True)]


@pytest.mark.parametrize(("known", "prepaid", "price"), [
    (True, False, "200.00"),      # known customer
    (False, True, "200.00"),      # prepaid
    (False, False, "166.66"),     # 499.98
])
def test_no_new_customer_hold(known, prepaid, price):
    order = make_order(("DESK", 3, price), prepaid=prepaid)
    assert review(order, CATALOG, ReviewRules(), known_customer=known) == []


def test_exactly_the_limit_is_not_over_it():
    order = make_order(("DESK", 5, "100.00"), prepaid=False)
    assert review(order, CATALOG, ReviewRules(), known_customer=False) == []


def test_unpaid_hold_applies_to_known_customers_and_comes_first():
    rules = ReviewRules(hold_unpaid_over=Decimal("100"))
    order = make_order(("LAMP", 3, "50.00"), prepaid=False)   # 150.00
    for known in (True, False):
        assert review(order, CATALOG, rules, known_customer=known) == [
            Finding("review.hold_unpaid",
                    "order value 150.00 USD is over 100 and not prepaid: check payment, then "
                    "release the order", hold=True)]


def test_no_hold_limits_at_all():
    rules = ReviewRules(hold_new_customer_unpaid_over=None)
    order = make_order(("DESK", 100, "999.99"), prepaid=False)
    assert review(order, CATALOG, rules, known_customer=False) == []


def test_risk_is_not_judged_while_something_must_be_fixed():
    order = make_order(("DESK", 10, "200.00"), prepaid=False, address1="")
    findings = review(order, CATALOG, ReviewRules(), known_customer=False)
    assert codes(findings) == ["review.incomplete_address"]
    assert not any(f.hold for f in findings)


@given(qty=st.integers(1, 1000), cents=st.integers(0, 10**8), known=st.booleans())
def test_a_prepaid_order_is_never_held(qty, cents, known):
    order = make_order(("LAMP", qty, str(Decimal(cents) / 100)))
    rules = ReviewRules(hold_unpaid_over=Decimal("1"))
    assert review(order, CATALOG, rules, known_customer=known) == []


@given(qty=st.integers(1, 50), cents=st.integers(0, 10**6))
def test_new_unpaid_customer_is_held_exactly_when_over_the_limit(qty, cents):
    price = Decimal(cents) / 100
    order = make_order(("LAMP", qty, str(price)), prepaid=False)
    held = review(order, CATALOG, ReviewRules(), known_customer=False)
    assert bool(held) == (qty * price > 500)
    assert all(f.hold and f.code == "review.hold_new_customer" for f in held)


@pytest.mark.parametrize("part", ["name", "address1", "city", "postal_code", "country"])
def test_each_missing_address_part_is_named(part):
    (f,) = review(make_order(**{part: ""}), CATALOG, ReviewRules(), True)
    assert f.code == "review.incomplete_address"
    assert f.message.startswith(f"ship-to address has no {part}:")


def test_exactly_the_unpaid_limit_is_not_over_it():
    rules = ReviewRules(hold_unpaid_over=Decimal("150.00"))
    order = make_order(("LAMP", 3, "50.00"), prepaid=False)   # 150.00
    assert review(order, CATALOG, rules, known_customer=True) == []
