"""The canonical order contract: what parse_order accepts, and the exact problems it reports.

Every problem carries its field path; all problems of an order come back at once. Expected
messages are written from the contract.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.domain.model import Address, Customer
from hub.errors import HubError, OrderInputError
from hub.services.order_input import MAX_LINES, parse_order

UTC = timezone.utc

VALID = {
    "channel": "webshop",
    "channel_order_id": "WS-10001",
    "placed_at": "2026-11-25T10:00:00Z",
    "currency": "USD",
    "customer": {"id": "C-1", "name": "Ada Lovelace", "email": "ada@example.com",
                 "phone": "+1 555 0100", "prepaid": True},
    "ship_to": {"name": "Ada Lovelace", "address1": "1 Main St", "address2": "Apt 2",
                "city": "Springfield", "state": "IL", "postal_code": "62701", "country": "US"},
    "lines": [{"line_id": "1", "sku": "DESK-OAK-120", "quantity": 2, "unit_price": "212.00",
               "description": "Oak desk"}],
}


DROP = object()


def order(**changes) -> dict:
    """A valid order; ``changes`` set paths written with "__" (customer__email, lines__0__sku).

    The value ``DROP`` removes the key.
    """
    data = copy.deepcopy(VALID)
    for path, value in changes.items():
        *parents, last = path.split("__")
        target = data
        for p in parents:
            target = target[int(p)] if isinstance(target, list) else target[p]
        if value is DROP:
            target.pop(last)
        else:
            target[last] = value
    return data


def problems(data, channel: str | None = None) -> list[str]:
    with pytest.raises(OrderInputError) as info:
        parse_order(data, channel)
    return info.value.problems


def line(**fields) -> dict:
    base = {"sku": "DESK-OAK-120", "quantity": 1, "unit_price": "1.00"}
    base.update(fields)
    return base


# -- the good case ---------------------------------------------------------------------------

def test_valid_order_becomes_an_order():
    o = parse_order(order())
    assert o.key == ("webshop", "WS-10001")
    assert o.placed_at == datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    assert o.currency == "USD"
    assert o.customer == Customer("C-1", "Ada Lovelace", "ada@example.com", "+1 555 0100", True)
    assert o.ship_to == Address("Ada Lovelace", "1 Main St", "Apt 2", "Springfield", "IL",
                                "62701", "US")
    (ln,) = o.lines
    assert (ln.line_id, ln.sku, ln.quantity, ln.unit_price, ln.description) == \
        ("1", "DESK-OAK-120", 2, Decimal("212.00"), "Oak desk")
    assert type(ln.quantity) is int
    assert o.total() == Decimal("424.00")


def test_text_is_trimmed():
    o = parse_order(order(channel_order_id="  WS-7 ", customer__name=" Ada ", lines__0__sku=" A1 "))
    assert (o.channel_order_id, o.customer.name, o.lines[0].sku) == ("WS-7", "Ada", "A1")


def test_optional_parts_may_be_missing():
    data = order(customer={"id": "C-9"}, ship_to={}, lines=[{"sku": "X", "quantity": 1,
                                                            "unit_price": "0"}])
    o = parse_order(data)
    assert o.customer == Customer("C-9", "", "", "", False)
    assert o.ship_to == Address("", "", "", "", "", "", "")   # review files the Incident
    assert o.lines[0].description == ""


def test_error_is_a_hub_error_with_its_code_and_joined_message():
    with pytest.raises(OrderInputError) as info:
        parse_order(order(currency="US", lines__0__quantity=0))
    err = info.value
    assert isinstance(err, HubError) and err.incident_code == "intake.invalid_order"
    assert str(err) == ("currency: must be an ISO 4217 code such as USD, got 'US'; "
                        "lines[0].quantity: must be greater than 0, got 0")


@pytest.mark.parametrize(("data", "kind"), [([], "a list"), (None, "null"), ("{}", "text"),
                                            (5, "a number")])
def test_order_that_is_not_an_object(data, kind):
    assert problems(data) == [f"order: must be a JSON object, got {kind}"]


# -- all problems at once --------------------------------------------------------------------

def test_every_problem_is_reported_at_once_in_field_order():
    data = order(currency="US", customer__email="ada", lines__0__quantity=0)
    data["lines"][0].pop("sku")
    assert problems(data) == [
        "currency: must be an ISO 4217 code such as USD, got 'US'",
        "customer.email: 'ada' is not an e-mail address",
        "lines[0].sku: is required",
        "lines[0].quantity: must be greater than 0, got 0",
    ]


CORRUPTIONS = {
    "placed_at": ("placed_at", "yesterday"),
    "currency": ("currency", "12"),
    "customer.email": ("customer__email", "nobody"),
    "customer.prepaid": ("customer__prepaid", "yes"),
    "ship_to.country": ("ship_to__country", "1"),
    "lines[0].sku": ("lines__0__sku", ""),
    "lines[0].quantity": ("lines__0__quantity", -4),
    "lines[0].unit_price": ("lines__0__unit_price", "ten"),
    "channel_order_id": ("channel_order_id", None),
}


@given(st.sets(st.sampled_from(sorted(CORRUPTIONS)), min_size=1))
def test_reported_paths_are_exactly_the_broken_fields(broken):
    data = order(**dict(CORRUPTIONS[path] for path in broken))
    reported = {p.split(": ", 1)[0] for p in problems(data)}
    assert reported == broken


# -- unknown fields --------------------------------------------------------------------------

def test_unknown_fields_are_named_with_a_suggestion():
    data = order()
    data["curency"] = "USD"
    data["customer"]["emial"] = "x@example.com"
    data["ship_to"]["zip"] = "62701"
    data["lines"][0]["qty"] = 3
    assert problems(data) == [
        "curency: unknown field (did you mean 'currency'?)",
        "customer.emial: unknown field (did you mean 'email'?)",
        "ship_to.zip: unknown field",
        "lines[0].qty: unknown field",
    ]


# -- ids -------------------------------------------------------------------------------------

def test_numeric_ids_are_accepted_as_text():
    o = parse_order(order(channel_order_id=10042, customer__id=7, lines__0__line_id=3))
    assert (o.channel_order_id, o.customer.id, o.lines[0].line_id) == ("10042", "7", "3")


@pytest.mark.parametrize(("value", "kind"), [(True, "true/false"), (1.5, "a number"),
                                             ([1], "a list"), ({"a": 1}, "an object")])
def test_ids_of_other_types_are_refused(value, kind):
    assert problems(order(channel_order_id=value)) == [
        f"channel_order_id: must be text, got {kind}"]


@pytest.mark.parametrize("value", [None, "", "   "])
def test_required_ids(value):
    assert problems(order(channel_order_id=value, customer__id=value)) == [
        "channel_order_id: is required", "customer.id: is required"]


def test_line_ids_default_to_positions_and_must_be_unique():
    o = parse_order(order(lines=[line(), line(sku="B")]))
    assert [ln.line_id for ln in o.lines] == ["1", "2"]
    assert problems(order(lines=[line(line_id="A"), line(line_id="A")])) == [
        "lines[1].line_id: 'A' is used by an earlier line"]
    # an explicit id may collide with a default one
    assert problems(order(lines=[line(), line(line_id="1")])) == [
        "lines[1].line_id: '1' is used by an earlier line"]


# -- quantities ------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    (5, 5), ("5", 5), (" 12 ", 12), ("+3", 3), (Decimal("2.0"), 2), (Decimal("1E+2"), 100),
    (1_000_000, 1_000_000),
])
def test_accepted_quantities(value, expected):
    q = parse_order(order(lines__0__quantity=value)).lines[0].quantity
    assert q == expected and type(q) is int


@pytest.mark.parametrize(("value", "problem"), [
    ("-1", "must be greater than 0, got -1"),
    (-1, "must be greater than 0, got -1"),
    (0, "must be greater than 0, got 0"),
    ("0", "must be greater than 0, got 0"),
    ("1.5", "must be a whole number, got '1.5'"),
    (Decimal("1.5"), "must be a whole number, got Decimal('1.5')"),
    (2.0, "must be a whole number, got 2.0"),
    ("two", "must be a whole number, got 'two'"),
    ("", "must be a whole number, got ''"),
    (True, "must be a whole number, got True"),
    (None, "must be a whole number, got None"),
    (1_000_001, "1000001 is not a plausible quantity"),
    ("1000001", "1000001 is not a plausible quantity"),
])
def test_refused_quantities(value, problem):
    assert problems(order(lines__0__quantity=value)) == [f"lines[0].quantity: {problem}"]


@given(st.integers(1, 1_000_000), st.booleans())
def test_any_plausible_quantity_is_accepted_as_number_or_text(q, as_text):
    value = str(q) if as_text else q
    assert parse_order(order(lines__0__quantity=value)).lines[0].quantity == q


@given(st.integers(min_value=-10**9, max_value=0))
def test_any_quantity_up_to_zero_is_refused(q):
    assert problems(order(lines__0__quantity=str(q))) == [
        f"lines[0].quantity: must be greater than 0, got {q}"]


@pytest.mark.parametrize("value", [
    "9" * 5000,                                                          # a CSV cell or JSON text
    json.loads('{"q": 1e5000}', parse_float=Decimal)["q"],               # the JSON number 1e5000
])
def test_an_absurdly_long_quantity_is_reported_not_raised(value):
    # Both reach parse_order from the API and from order files; they must become a field
    # problem, not a ValueError from Python's int/str digit limit.
    (problem,) = problems(order(lines__0__quantity=value))
    assert problem.startswith("lines[0].quantity: ")


# -- prices ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    ("19.99", Decimal("19.99")), (" 5 ", Decimal("5")), ("0", Decimal("0")), (7, Decimal("7")),
    (Decimal("0.0001"), Decimal("0.0001")), ("1E+2", Decimal("100")),
    ("999999999.9999", Decimal("999999999.9999")),
])
def test_accepted_prices(value, expected):
    assert parse_order(order(lines__0__unit_price=value)).lines[0].unit_price == expected


@pytest.mark.parametrize(("value", "problem"), [
    ("-0.01", "must not be negative, got -0.01"),
    (-3, "must not be negative, got -3"),
    ("1.23456", "1.23456 has more than 4 decimals or is implausibly large"),
    ("1000000000", "1000000000 has more than 4 decimals or is implausibly large"),
    ("abc", "must be a decimal amount such as \"19.99\", got 'abc'"),
    ("", "must be a decimal amount such as \"19.99\", got ''"),
    ("12,50", "must be a decimal amount such as \"19.99\", got '12,50'"),
    ("NaN", "must be a decimal amount such as \"19.99\", got 'NaN'"),
    ("Infinity", "must be a decimal amount such as \"19.99\", got 'Infinity'"),
    (None, "must be a decimal amount such as \"19.99\", got None"),
    (True, "must be a decimal amount such as \"19.99\", got True"),
])
def test_refused_prices(value, problem):
    assert problems(order(lines__0__unit_price=value)) == [f"lines[0].unit_price: {problem}"]


@given(st.decimals(min_value=0, max_value=Decimal("999999999.9999"), places=4,
                   allow_nan=False, allow_infinity=False), st.booleans())
def test_any_price_with_up_to_four_decimals_is_kept_exactly(price, as_text):
    value = str(price) if as_text else price
    assert parse_order(order(lines__0__unit_price=value)).lines[0].unit_price == price


# -- placed_at -------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    ("2026-11-25T10:00:00Z", datetime(2026, 11, 25, 10, 0, tzinfo=UTC)),
    ("2026-11-25T10:00:00", datetime(2026, 11, 25, 10, 0, tzinfo=UTC)),        # no zone: UTC
    ("2026-11-25T12:30:00+02:00", datetime(2026, 11, 25, 10, 30, tzinfo=UTC)),
    ("2026-11-24T21:00:00-05:00", datetime(2026, 11, 25, 2, 0, tzinfo=UTC)),
    (" 2026-11-25 10:00:00.250 ", datetime(2026, 11, 25, 10, 0, 0, 250000, tzinfo=UTC)),
])
def test_placed_at_is_read_as_iso_8601_and_kept_in_utc(value, expected):
    placed = parse_order(order(placed_at=value)).placed_at
    assert placed == expected
    assert placed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(("value", "problem"), [
    (DROP, "is required: an ISO 8601 time such as 2026-11-25T10:00:00Z"),
    ("", "is required: an ISO 8601 time such as 2026-11-25T10:00:00Z"),
    ("25/11/2026", "'25/11/2026' is not an ISO 8601 time such as 2026-11-25T10:00:00Z"),
    ("2026-13-01T00:00:00Z", "'2026-13-01T00:00:00Z' is not an ISO 8601 time such as "
                             "2026-11-25T10:00:00Z"),
])
def test_refused_placed_at(value, problem):
    assert problems(order(placed_at=value)) == [f"placed_at: {problem}"]


# -- currency --------------------------------------------------------------------------------

def test_currency_is_upper_cased():
    assert parse_order(order(currency="eur")).currency == "EUR"


@pytest.mark.parametrize(("value", "problem"), [
    (DROP, "is required"),
    ("", "is required"),
    ("US", "must be an ISO 4217 code such as USD, got 'US'"),
    ("U$D", "must be an ISO 4217 code such as USD, got 'U$D'"),
    ("123", "must be an ISO 4217 code such as USD, got '123'"),
])
def test_refused_currency(value, problem):
    assert problems(order(currency=value)) == [f"currency: {problem}"]


def test_currency_too_long_names_the_limit():
    assert problems(order(currency="USDX"))[0] == "currency: is 4 characters long; at most 3"


# -- channel ---------------------------------------------------------------------------------

@pytest.mark.parametrize("named", [DROP, "", None, "marketplace"])
def test_import_channel_fills_in_or_agrees(named):
    o = parse_order(order(channel=named), channel="marketplace")
    assert o.channel == "marketplace"


def test_an_order_of_another_channel_is_not_moved_silently():
    assert problems(order(channel="webshop"), channel="marketplace") == [
        "channel: is 'webshop' but these orders are imported for 'marketplace'"]


def test_channel_is_required_without_an_import_channel():
    assert problems(order(channel=DROP)) == ["channel: is required"]


def test_channel_named_in_the_order_is_used_without_an_import_channel():
    assert parse_order(order(channel="phone")).channel == "phone"


# -- control characters and lengths ----------------------------------------------------------

@pytest.mark.parametrize(("path", "label"), [
    ("channel_order_id", "channel_order_id"), ("customer__name", "customer.name"),
    ("ship_to__city", "ship_to.city"), ("lines__0__sku", "lines[0].sku"),
    ("lines__0__description", "lines[0].description"),
])
@pytest.mark.parametrize("char", ["\x00", "\x08", "\x1b", "\x7f", "\x0c"])
def test_control_characters_are_refused(path, label, char):
    assert problems(order(**{path: f"AB{char}CD"})) == [f"{label}: contains control characters"]


@pytest.mark.parametrize(("path", "label"), [
    ("channel_order_id", "channel_order_id"), ("lines__0__sku", "lines[0].sku"),
])
@pytest.mark.parametrize("char", ["\n", "\t"])
def test_line_breaks_and_tabs_inside_identifiers_are_refused(path, label, char):
    # A tab or line break inside a SKU or an order id cannot be a real identifier; taking it
    # only moves the failure to the moment the purchase order is written.
    assert problems(order(**{path: f"AB{char}CD"})) == [f"{label}: contains control characters"]


LIMITS = [
    ("channel", "channel", 40), ("channel_order_id", "channel_order_id", 80),
    ("customer__id", "customer.id", 80), ("customer__name", "customer.name", 120),
    ("customer__phone", "customer.phone", 40), ("ship_to__name", "ship_to.name", 120),
    ("ship_to__address1", "ship_to.address1", 120), ("ship_to__address2", "ship_to.address2", 120),
    ("ship_to__city", "ship_to.city", 80), ("ship_to__state", "ship_to.state", 40),
    ("ship_to__postal_code", "ship_to.postal_code", 20), ("lines__0__sku", "lines[0].sku", 80),
    ("lines__0__line_id", "lines[0].line_id", 40),
    ("lines__0__description", "lines[0].description", 240),
]


@pytest.mark.parametrize(("path", "label", "limit"), LIMITS, ids=[x[1] for x in LIMITS])
def test_maximum_lengths(path, label, limit):
    assert parse_order(order(**{path: "A" * limit}))
    assert problems(order(**{path: "A" * (limit + 1)})) == [
        f"{label}: is {limit + 1} characters long; at most {limit}"]


def test_email_length_limit():
    local = "a" * 64
    ok = f"{local}@{'b' * (254 - 64 - 1 - 4)}.com"
    assert len(ok) == 254 and parse_order(order(customer__email=ok))
    too_long = "c" + ok
    assert problems(order(customer__email=too_long)) == [
        "customer.email: is 255 characters long; at most 254"]


# -- customer and address --------------------------------------------------------------------

@pytest.mark.parametrize("email", ["ada", "ada@example", "@example.com", "ada @example.com",
                                   "ada@@example.com"])
def test_refused_emails(email):
    assert problems(order(customer__email=email)) == [
        f"customer.email: {email!r} is not an e-mail address"]


def test_customer_must_be_an_object():
    assert problems(order(customer=DROP)) == ["customer: must be an object, got null"]
    assert problems(order(customer="C-1")) == ["customer: must be an object, got text"]


@pytest.mark.parametrize("value", ["yes", 1, "true", None])
def test_prepaid_is_true_or_false(value):
    assert problems(order(customer__prepaid=value)) == [
        f"customer.prepaid: must be true or false, got {value!r}"]


def test_prepaid_defaults_to_false():
    assert parse_order(order(customer__prepaid=DROP)).customer.prepaid is False


def test_ship_to_must_be_an_object():
    assert problems(order(ship_to=["1 Main St"])) == ["ship_to: must be an object, got a list"]


def test_country_is_upper_cased():
    assert parse_order(order(ship_to__country="de")).ship_to.country == "DE"


@pytest.mark.parametrize("country", ["U1", "U.", "USA"])
def test_refused_countries(country):
    found = problems(order(ship_to__country=country))
    assert found and all(p.startswith("ship_to.country: ") for p in found)


@pytest.mark.parametrize("country", ["U", "ÜS"])
def test_country_must_be_two_ascii_letters(country):
    # the message promises "a two-letter ISO 3166 code"; N404 of the 850 is built from it
    assert problems(order(ship_to__country=country)) == [
        f"ship_to.country: must be a two-letter ISO 3166 code such as US, got {country.upper()!r}"]


# -- lines -----------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [DROP, [], "DESK", {"sku": "DESK"}])
def test_lines_must_be_a_non_empty_list(value):
    assert problems(order(lines=value)) == ["lines: must be a non-empty list of order lines"]


def test_line_count_limit():
    many = [line(line_id=str(n)) for n in range(MAX_LINES)]
    assert len(parse_order(order(lines=many)).lines) == 1000
    assert problems(order(lines=many + [line(line_id="x")])) == [
        "lines: has 1001 lines; at most 1000 per order"]


def test_a_line_that_is_not_an_object_does_not_hide_the_others():
    assert problems(order(lines=[line(), "DESK x 2", line(quantity="x")])) == [
        "lines[1]: must be an object, got text",
        "lines[2].quantity: must be a whole number, got 'x'",
    ]


@pytest.mark.parametrize("char", ["\x80", "\x85", "\x9b", "\x9f"])
@pytest.mark.parametrize(("path", "label"), [
    ("customer__name", "customer.name"), ("lines__0__description", "lines[0].description"),
])
def test_c1_control_characters_are_refused(path, label, char):
    # U+0080-U+009F are control characters too (NEL, CSI, ...): a terminal or an EDI
    # translator downstream acts on them.
    assert problems(order(**{path: f"AB{char}CD"})) == [f"{label}: contains control characters"]


def test_letters_next_to_the_c1_block_are_text():
    o = parse_order(order(customer__name="\x7eAda\xa0Lovelace\xff"))
    assert o.customer.name == "~Ada\xa0Lovelace\xff"


@pytest.mark.parametrize(("path", "label"), [
    ("channel_order_id", "channel_order_id"), ("customer__name", "customer.name"),
    ("lines__0__sku", "lines[0].sku"), ("lines__0__description", "lines[0].description"),
])
def test_a_lone_surrogate_is_refused_by_name(path, label):
    # JSON may escape "\ud800" on its own; Python holds it, but no encoding can store it.
    assert problems(order(**{path: "AB\ud800CD"})) == [
        f"{label}: is not valid Unicode: it holds a lone surrogate (\\ud800), which no character "
        "encoding can carry"]


def test_a_field_name_with_a_surrogate_or_control_is_reported_printably():
    data = order()
    data["x\ud83d\x00"] = 1
    assert problems(data) == ["x\\ud83d\\x00: unknown field"]
    assert problems(data)[0].encode("utf-8")  # storable as it is


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+01:00"])
def test_placed_at_past_either_end_of_the_calendar_in_utc_is_refused(value):
    assert problems(order(placed_at=value)) == [
        f"placed_at: '{value}' lies outside the years 1 to 9999 once converted to UTC"]


def test_placed_at_at_the_last_moment_of_the_calendar_in_utc_is_read():
    assert parse_order(order(placed_at="9999-12-31T23:59:59Z")).placed_at == datetime(
        9999, 12, 31, 23, 59, 59, tzinfo=UTC)


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00Z", "1899-12-31T23:59:59Z"])
def test_placed_at_before_1900_is_refused(value):
    assert problems(order(placed_at=value)) == [
        f"placed_at: '{value}' is before 1900: not a time an order was placed"]


def test_a_refused_currency_is_echoed_as_sent():
    assert problems(order(currency="u$d")) == [
        "currency: must be an ISO 4217 code such as USD, got 'u$d'"]
