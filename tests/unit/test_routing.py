"""Routing: ranking of candidate suppliers, capacity, the single-supplier preference, the
reasons an unroutable line gets, and the purchase orders built from a route."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.domain.model import Address, Customer, Order, OrderLine, PoLine
from hub.domain.partner import Catalog, CatalogEntry, Partner
from hub.domain.routing import (Capacity, RoutingRules, build_purchase_orders, candidates,
                                route)

NOW = datetime(2026, 11, 25, 10, tzinfo=timezone.utc)


def entry(sku: str, supplier: str, cost: str = "10.00", priority: int = 100, lead: int = 0,
          min_qty: int = 1, max_qty: int | None = None, active: bool = True,
          uom: str = "EA") -> CatalogEntry:
    return CatalogEntry(sku, supplier, f"{supplier.upper()}-{sku}", Decimal(cost), lead, priority,
                        min_qty, max_qty, active, uom)


def partners(*ids: str, inactive: tuple[str, ...] = (), test: tuple[str, ...] = ()) -> dict:
    return {p: Partner(p, p.title(), f"partners/{p}.toml", active=p not in inactive,
                       test_mode=p in test) for p in ids}


def make_order(*lines: tuple[str, int]) -> Order:
    return Order("webshop", "WS-1", NOW, "USD",
                 Customer("C-1", "Ada", "ada@example.com", "", True),
                 Address("Ada", "1 Main St", "", "Springfield", "IL", "62701", "US"),
                 [OrderLine(str(n), sku, qty, Decimal("1"), description=f"{sku} item", id=100 + n)
                  for n, (sku, qty) in enumerate(lines, 1)])


ALL = partners("acme", "globex", "initech")


def suppliers(entries: list[CatalogEntry]) -> list[str]:
    return [e.supplier for e in entries]


# -- candidates ------------------------------------------------------------------------------

RANKING = Catalog([
    entry("DESK", "acme", cost="12.00", priority=10, lead=5),
    entry("DESK", "globex", cost="11.00", priority=10, lead=9),
    entry("DESK", "initech", cost="20.00", priority=5, lead=2),
])


@pytest.mark.parametrize(("order_by", "expected"), [
    (("priority", "cost", "lead_time_days"), ["initech", "globex", "acme"]),
    (("cost",), ["globex", "acme", "initech"]),
    (("lead_time_days",), ["initech", "acme", "globex"]),
    (("priority", "lead_time_days"), ["initech", "acme", "globex"]),
])
def test_candidates_are_ranked_by_the_configured_keys(order_by, expected):
    line = OrderLine("1", "DESK", 1, Decimal("1"))
    ranked = candidates(line, RANKING, ALL, RoutingRules(order_by=order_by))
    assert suppliers(ranked) == expected


def test_ties_are_broken_by_supplier_id():
    catalog = Catalog([entry("DESK", s, cost="5") for s in ("initech", "acme", "globex")])
    line = OrderLine("1", "DESK", 1, Decimal("1"))
    assert suppliers(candidates(line, catalog, ALL, RoutingRules())) == ["acme", "globex",
                                                                         "initech"]


def test_candidates_leave_out_what_cannot_fill_the_line():
    catalog = Catalog([
        entry("DESK", "acme", active=False),                 # entry switched off
        entry("DESK", "globex"),                             # partner switched off
        entry("DESK", "initech", min_qty=5),                 # 3 is too few
        entry("DESK", "umbrella"),                           # no partner file
        entry("DESK", "hooli", max_qty=2),                   # 3 is too many
        entry("DESK", "stark", min_qty=3, max_qty=3),        # fits exactly
    ])
    ps = partners("acme", "globex", "initech", "hooli", "stark", inactive=("globex",))
    line = OrderLine("1", "DESK", 3, Decimal("1"))
    assert suppliers(candidates(line, catalog, ps, RoutingRules())) == ["stark"]


def test_excluded_suppliers_are_left_out():
    line = OrderLine("1", "DESK", 1, Decimal("1"))
    ranked = candidates(line, RANKING, ALL, RoutingRules(), exclude=frozenset({"initech"}))
    assert suppliers(ranked) == ["globex", "acme"]


# -- route -----------------------------------------------------------------------------------

def test_each_line_goes_to_its_best_supplier_and_keeps_its_plan():
    catalog = Catalog([entry("DESK", "acme", priority=10), entry("DESK", "initech", priority=20),
                       entry("LAMP", "initech")])
    order = make_order(("DESK", 2), ("LAMP", 1))
    result = route(order, catalog, ALL, RoutingRules(), Capacity())
    assert result.findings == []
    assert {s: [(ln.line_id, e.supplier_item) for ln, e in share]
            for s, share in result.shares.items()} == {"acme": [("1", "ACME-DESK")],
                                                       "initech": [("2", "INITECH-LAMP")]}
    assert [ln.candidates for ln in order.lines] == [("acme", "initech"), ("initech",)]


def test_unroutable_line_names_every_reason():
    catalog = Catalog([entry("DESK", "acme", max_qty=20), entry("DESK", "initech", active=False),
                       entry("DESK", "globex", min_qty=40, max_qty=60), entry("DESK", "umbrella"),
                       entry("LAMP", "acme")])
    ps = partners("acme", "initech", "globex")
    result = route(make_order(("LAMP", 1), ("DESK", 30)), catalog, ps, RoutingRules(), Capacity())
    assert result.shares == {}
    (f,) = result.findings
    assert (f.code, f.line_id, f.hold) == ("routing.no_supplier", "2", False)
    assert f.message == ("line 2: no supplier can take 30 x DESK (acme takes 1-20 per line; "
                         "initech is inactive; globex takes 40-60 per line; umbrella has no "
                         "partner file): adjust the catalog or the quantity")


def test_inactive_partner_is_named_inactive():
    catalog = Catalog([entry("DESK", "globex")])
    ps = partners("globex", inactive=("globex",))
    (f,) = route(make_order(("DESK", 1)), catalog, ps, RoutingRules(), Capacity()).findings
    assert "(globex is inactive)" in f.message


def test_sku_without_any_entry():
    (f,) = route(make_order(("GLOBE", 1)), RANKING, ALL, RoutingRules(), Capacity()).findings
    assert f.message == ("line 1: no supplier can take 1 x GLOBE (no catalog entry): adjust the "
                         "catalog or the quantity")


def test_capacity_is_booked_across_orders():
    catalog = Catalog([entry("DESK", "acme", priority=10), entry("DESK", "initech", priority=20)])
    capacity = Capacity({"acme": 10})
    first = route(make_order(("DESK", 6)), catalog, ALL, RoutingRules(), capacity)
    assert list(first.shares) == ["acme"]
    assert capacity.left == {"acme": 4}
    second = route(make_order(("DESK", 6)), catalog, ALL, RoutingRules(), capacity)
    assert list(second.shares) == ["initech"]      # no room at acme any more
    assert capacity.left == {"acme": 4}            # initech has no limit
    third = route(make_order(("DESK", 4)), catalog, ALL, RoutingRules(), capacity)
    assert list(third.shares) == ["acme"]
    assert capacity.left == {"acme": 0}


def test_every_supplier_at_capacity_books_nothing():
    catalog = Catalog([entry("DESK", "acme", priority=10), entry("DESK", "initech", priority=20),
                       entry("LAMP", "acme")])
    capacity = Capacity({"acme": 5, "initech": 2})
    result = route(make_order(("LAMP", 1), ("DESK", 6)), catalog, ALL, RoutingRules(), capacity)
    assert result.shares == {}
    (f,) = result.findings
    assert (f.code, f.line_id) == ("routing.capacity", "2")
    assert f.message == ("line 2: every supplier of DESK (acme, initech) is at today's capacity: "
                         "raise a supplier's max_units_per_day or wait")
    assert capacity.left == {"acme": 5, "initech": 2}


def test_lines_of_one_order_share_a_supplier_capacity():
    # acme may take 10 more units today; two lines of 6 cannot both go there
    catalog = Catalog([entry(sku, s, priority=p) for sku in ("DESK", "CHAIR")
                       for s, p in (("acme", 10), ("initech", 20))])
    capacity = Capacity({"acme": 10})
    result = route(make_order(("DESK", 6), ("CHAIR", 6)), catalog, ALL, RoutingRules(), capacity)
    at_acme = sum(ln.quantity for ln, _ in result.shares.get("acme", []))
    assert at_acme <= 10
    assert capacity.left["acme"] >= 0


def test_capacity_can_take_and_book():
    c = Capacity({"acme": 3, "initech": None})
    assert c.can_take("acme", 3) and not c.can_take("acme", 4)
    assert c.can_take("initech", 10**6) and c.can_take("unknown", 10**6)
    c.book("acme", 2)
    c.book("initech", 5)
    c.book("unknown", 5)
    assert c.left == {"acme": 1, "initech": None}


@given(st.lists(st.integers(1, 8), min_size=1, max_size=12), st.integers(0, 30))
def test_booked_orders_never_exceed_a_limit(quantities, limit):
    catalog = Catalog([entry("DESK", "acme", priority=10), entry("DESK", "initech", priority=20)])
    capacity = Capacity({"acme": limit})
    at_acme = 0
    for q in quantities:
        result = route(make_order(("DESK", q)), catalog, ALL, RoutingRules(), capacity)
        assert result.findings == []
        at_acme += sum(ln.quantity for ln, _ in result.shares.get("acme", []))
    assert at_acme <= limit
    assert capacity.left["acme"] == limit - at_acme


# -- prefer_single_supplier ------------------------------------------------------------------

SPLIT = Catalog([entry("DESK", "acme", priority=10), entry("DESK", "initech", priority=20),
                 entry("LAMP", "initech", priority=10), entry("LAMP", "globex", priority=5)])


def test_without_the_preference_each_line_takes_its_best():
    result = route(make_order(("DESK", 1), ("LAMP", 1)), SPLIT, ALL, RoutingRules(), Capacity())
    assert sorted(result.shares) == ["acme", "globex"]


def test_single_supplier_avoids_a_split_shipment():
    result = route(make_order(("DESK", 1), ("LAMP", 1)), SPLIT, ALL,
                   RoutingRules(prefer_single_supplier=True), Capacity())
    assert list(result.shares) == ["initech"]
    assert [ln.line_id for ln, _ in result.shares["initech"]] == ["1", "2"]


def test_single_supplier_picks_the_best_summed_rank_then_the_id():
    catalog = Catalog([entry("DESK", "acme", priority=10), entry("DESK", "initech", priority=20),
                       entry("LAMP", "initech", priority=10), entry("LAMP", "acme", priority=20)])
    # acme ranks 0 + 1, initech 1 + 0: a tie, broken by the supplier id
    result = route(make_order(("DESK", 1), ("LAMP", 1)), catalog, ALL,
                   RoutingRules(prefer_single_supplier=True), Capacity())
    assert list(result.shares) == ["acme"]


def test_single_supplier_falls_back_when_none_sells_everything():
    catalog = Catalog([entry("DESK", "acme"), entry("LAMP", "initech")])
    result = route(make_order(("DESK", 1), ("LAMP", 1)), catalog, ALL,
                   RoutingRules(prefer_single_supplier=True), Capacity())
    assert sorted(result.shares) == ["acme", "initech"]


def test_single_supplier_needs_room_for_the_whole_order():
    capacity = Capacity({"initech": 3})
    result = route(make_order(("DESK", 2), ("LAMP", 2)), SPLIT, ALL,
                   RoutingRules(prefer_single_supplier=True), capacity)
    assert sorted(result.shares) == ["acme", "globex"]
    assert capacity.left == {"initech": 3}


# -- purchase orders -------------------------------------------------------------------------

def test_build_purchase_orders_numbers_suppliers_in_order_and_lines_from_one():
    order = make_order(("LAMP", 3), ("DESK", 1), ("SHELF", 2))
    order.id = 77
    l1, l2, l3 = order.lines
    e_lamp = entry("LAMP", "initech", cost="14.20")
    e_desk = entry("DESK", "acme", cost="212.00")
    e_shelf = entry("SHELF", "initech", cost="23.10", uom="CA")
    shares = {"initech": [(l1, e_lamp), (l3, e_shelf)], "acme": [(l2, e_desk)]}
    pos = build_purchase_orders(order, shares, ["DR-000001", "DR-000002"],
                                partners("acme", "initech", test=("initech",)), NOW,
                                route_attempt=2)
    assert [(p.po_number, p.partner_id, p.order_id, p.created_at, p.route_attempt, p.test_mode)
            for p in pos] == [("DR-000001", "acme", 77, NOW, 2, False),
                              ("DR-000002", "initech", 77, NOW, 2, True)]
    assert pos[0].lines == [PoLine(1, 102, "DESK", "ACME-DESK", "DESK item", 1,
                                   Decimal("212.00"), "EA")]
    assert pos[1].lines == [
        PoLine(1, 101, "LAMP", "INITECH-LAMP", "LAMP item", 3, Decimal("14.20"), "EA"),
        PoLine(2, 103, "SHELF", "INITECH-SHELF", "SHELF item", 2, Decimal("23.10"), "CA"),
    ]
    assert pos[1].quantity_total() == 5
    assert pos[1].cost_total() == Decimal("88.80")


def test_build_purchase_orders_needs_one_number_per_supplier():
    order = make_order(("DESK", 1), ("LAMP", 1))
    shares = {"acme": [(order.lines[0], entry("DESK", "acme"))],
              "initech": [(order.lines[1], entry("LAMP", "initech"))]}
    with pytest.raises(ValueError):
        build_purchase_orders(order, shares, ["DR-1"], ALL, NOW)


def test_route_then_build():
    order = make_order(("DESK", 2), ("LAMP", 1))
    result = route(order, SPLIT, ALL, RoutingRules(prefer_single_supplier=True), Capacity())
    (po,) = build_purchase_orders(order, result.shares, ["DR-9"], ALL, NOW)
    assert (po.partner_id, [ln.line_number for ln in po.lines]) == ("initech", [1, 2])
    assert [ln.supplier_item for ln in po.lines] == ["INITECH-DESK", "INITECH-LAMP"]


def test_single_supplier_prefers_the_better_summed_rank_over_the_id():
    catalog = Catalog([entry("DESK", "acme", priority=20), entry("DESK", "initech", priority=10),
                       entry("LAMP", "acme", priority=20), entry("LAMP", "initech", priority=10)])
    # initech ranks 0 + 0, acme 1 + 1: initech, although acme comes first by id
    result = route(make_order(("DESK", 1), ("LAMP", 1)), catalog, ALL,
                   RoutingRules(prefer_single_supplier=True), Capacity())
    assert list(result.shares) == ["initech"]


def test_every_line_at_capacity_gets_its_own_finding():
    catalog = Catalog([entry("DESK", "acme"), entry("LAMP", "acme"), entry("CHAIR", "acme")])
    result = route(make_order(("DESK", 3), ("LAMP", 1), ("CHAIR", 3)), catalog, ALL,
                   RoutingRules(), Capacity({"acme": 2}))
    assert [(f.code, f.line_id) for f in result.findings] == [("routing.capacity", "1"),
                                                             ("routing.capacity", "3")]
    assert result.shares == {}


def test_an_entry_without_an_upper_limit_names_only_its_minimum():
    catalog = Catalog([entry("DESK", "acme", min_qty=40)])
    (f,) = route(make_order(("DESK", 30)), catalog, ALL, RoutingRules(), Capacity()).findings
    assert "(acme takes 40 per line)" in f.message


def test_purchase_orders_are_a_first_routing_attempt_unless_told_otherwise():
    order = make_order(("DESK", 1))
    (po,) = build_purchase_orders(order, {"acme": [(order.lines[0], entry("DESK", "acme"))]},
                                  ["DR-1"], ALL, NOW)
    assert po.route_attempt == 1
