"""Check a canonical order (already decoded from JSON or CSV) and build an :class:`Order`.

Every problem is reported with its field path ("lines[2].quantity: ...") so the sender can
fix it; all problems of an order are reported at once. See docs/orders.md for the contract.
"""

from __future__ import annotations

import difflib
import re
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from hub.domain.model import Address, Customer, Order, OrderLine
from hub.errors import OrderInputError

MAX_LINES = 1000
_TOP = ("channel", "channel_order_id", "placed_at", "currency", "customer", "ship_to", "lines")
_CUSTOMER = {"id": 80, "name": 120, "email": 254, "phone": 40}
_SHIP_TO = {"name": 120, "address1": 120, "address2": 120, "city": 80, "state": 40,
            "postal_code": 20, "country": 2}
_LINE = ("line_id", "sku", "quantity", "unit_price", "description")
# C0 and C1 control characters; descriptions may hold tabs and line breaks.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# JSON's \ud800 escapes decode to lone surrogates: text Python holds but UTF-8 cannot carry.
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
EARLIEST_YEAR = 1900
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


class _Problems(list):
    def add(self, path: str, problem: str) -> None:
        # A path may echo a field name the sender chose: keep the message printable and storable.
        self.append(f"{shown(path)}: {problem}")


def shown(text: str) -> str:
    """``text`` with control characters and lone surrogates written as escapes (``\\ud800``)."""
    return _UNPRINTABLE.sub(lambda m: m[0].encode("unicode_escape").decode("ascii"), text)


def parse_order(data: Any, channel: str | None = None) -> Order:
    """Build an Order from a decoded canonical order; raise OrderInputError listing every problem.

    ``channel`` fills in a missing channel (file imports with ``--channel``); an order that
    names another channel is refused rather than silently moved.
    """
    p = _Problems()
    if not isinstance(data, dict):
        raise OrderInputError([f"order: must be a JSON object, got {_kind(data)}"])
    _unknown(p, "", data, _TOP)
    if channel and data.get("channel") not in (None, "", channel):
        p.add("channel", f"is {data.get('channel')!r} but these orders are imported for {channel!r}")
    ch = _text(p, "channel", data.get("channel") or channel, 40, required=True)
    coid = data.get("channel_order_id")
    if isinstance(coid, int) and not isinstance(coid, bool):
        coid = str(coid)  # numeric ids are common in shop exports; the key is text
    coid = _text(p, "channel_order_id", coid, 80, required=True)
    placed = _timestamp(p, "placed_at", data.get("placed_at"))
    sent = _text(p, "currency", data.get("currency"), 3, required=True)
    currency = sent.upper()
    if currency and not _CURRENCY.match(currency):
        p.add("currency", f"must be an ISO 4217 code such as USD, got {sent!r}")
    customer = _customer(p, data.get("customer"))
    ship_to = _ship_to(p, data.get("ship_to"))
    lines = _lines(p, data.get("lines"))
    if p:
        raise OrderInputError(list(p))
    return Order(channel=ch, channel_order_id=coid, placed_at=placed, currency=currency,
                 customer=customer, ship_to=ship_to, lines=lines)


def _customer(p: _Problems, data: Any) -> Customer:
    if not isinstance(data, dict):
        p.add("customer", f"must be an object, got {_kind(data)}")
        return Customer("", "", "", "", False)
    _unknown(p, "customer.", data, (*_CUSTOMER, "prepaid"))
    cid = data.get("id")
    if isinstance(cid, int) and not isinstance(cid, bool):
        cid = str(cid)
    values = {k: _text(p, f"customer.{k}", cid if k == "id" else data.get(k), n, required=k == "id")
              for k, n in _CUSTOMER.items()}
    if values["email"] and not _EMAIL.match(values["email"]):
        p.add("customer.email", f"{values['email']!r} is not an e-mail address")
    prepaid = data.get("prepaid", False)
    if not isinstance(prepaid, bool):
        p.add("customer.prepaid", f"must be true or false, got {prepaid!r}")
        prepaid = False
    return Customer(values["id"], values["name"], values["email"], values["phone"], prepaid)


def _ship_to(p: _Problems, data: Any) -> Address:
    if not isinstance(data, dict):
        p.add("ship_to", f"must be an object, got {_kind(data)}")
        data = {}
    _unknown(p, "ship_to.", data, tuple(_SHIP_TO))
    # Empty address parts are accepted here: review files an Incident an operator can fix.
    v = {k: _text(p, f"ship_to.{k}", data.get(k), n) for k, n in _SHIP_TO.items()}
    v["country"] = v["country"].upper()
    if v["country"] and not re.fullmatch(r"[A-Z]{2}", v["country"]):
        p.add("ship_to.country", f"must be a two-letter ISO 3166 code such as US, got {v['country']!r}")
    return Address(v["name"], v["address1"], v["address2"], v["city"], v["state"],
                   v["postal_code"], v["country"])


def _lines(p: _Problems, data: Any) -> list[OrderLine]:
    if not isinstance(data, list) or not data:
        p.add("lines", "must be a non-empty list of order lines")
        return []
    if len(data) > MAX_LINES:
        p.add("lines", f"has {len(data)} lines; at most {MAX_LINES} per order")
        return []
    lines, seen = [], set()
    for n, item in enumerate(data):
        where = f"lines[{n}]"
        if not isinstance(item, dict):
            p.add(where, f"must be an object, got {_kind(item)}")
            continue
        _unknown(p, f"{where}.", item, _LINE)
        lid = item.get("line_id", str(n + 1))
        if isinstance(lid, int) and not isinstance(lid, bool):
            lid = str(lid)
        lid = _text(p, f"{where}.line_id", lid, 40, required=True)
        if lid in seen:
            p.add(f"{where}.line_id", f"{lid!r} is used by an earlier line")
        seen.add(lid)
        lines.append(OrderLine(line_id=lid, sku=_text(p, f"{where}.sku", item.get("sku"), 80, required=True),
                               quantity=_quantity(p, f"{where}.quantity", item.get("quantity")),
                               unit_price=_price(p, f"{where}.unit_price", item.get("unit_price")),
                               description=_text(p, f"{where}.description", item.get("description"), 240,
                                                             multiline=True)))
    return lines


def _text(p: _Problems, path: str, value: Any, max_len: int, required: bool = False,
          multiline: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        p.add(path, f"must be text, got {_kind(value)}")
        return ""
    value = value.strip()
    if required and not value:
        p.add(path, "is required")
    elif len(value) > max_len:
        p.add(path, f"is {len(value)} characters long; at most {max_len}")
    elif lone := _SURROGATE.search(value):
        p.add(path, f"is not valid Unicode: it holds a lone surrogate ({shown(lone[0])}), "
                    "which no character encoding can carry")
    elif (_CONTROL_TEXT if multiline else _CONTROL).search(value):
        p.add(path, "contains control characters")
    return value


def _quantity(p: _Problems, path: str, value: Any) -> int:
    # Bound the size before converting: int() of a huge number is slow or refused outright.
    if isinstance(value, str) and re.fullmatch(r"[+-]?\d{1,12}", value.strip()):
        value = int(value)
    elif isinstance(value, Decimal) and value.is_finite() and value.adjusted() < 12 \
            and value == value.to_integral_value():
        value = int(value)
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10 ** 12:
        value = "a number of more than 12 digits"
    if not isinstance(value, int) or isinstance(value, bool):
        text = repr(value)
        p.add(path, f"must be a whole number, got {text if len(text) <= 40 else text[:40] + '...'}")
        return 0
    if value <= 0:
        p.add(path, f"must be greater than 0, got {value}")
    elif value > 1_000_000:
        p.add(path, f"{value} is not a plausible quantity")
    return value


def _price(p: _Problems, path: str, value: Any) -> Decimal:
    try:
        if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
            raise InvalidOperation
        price = Decimal(value.strip() if isinstance(value, str) else value)
        if not price.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        p.add(path, f"must be a decimal amount such as \"19.99\", got {value!r}")
        return Decimal(0)
    if price < 0:
        p.add(path, f"must not be negative, got {price}")
    elif price.as_tuple().exponent < -4 or price >= Decimal("1e9"):
        p.add(path, f"{price} has more than 4 decimals or is implausibly large")
    return price


def _timestamp(p: _Problems, path: str, value: Any) -> datetime:
    if not isinstance(value, str) or not value.strip():
        p.add(path, "is required: an ISO 8601 time such as 2026-11-25T10:00:00Z")
        return datetime.now(timezone.utc)
    try:
        ts = datetime.fromisoformat(value.strip())
    except ValueError:
        p.add(path, f"{value!r} is not an ISO 8601 time such as 2026-11-25T10:00:00Z")
        return datetime.now(timezone.utc)
    try:
        # A time without zone is taken as UTC: marketplace exports often omit it.
        ts = ts.replace(tzinfo=timezone.utc) if ts.tzinfo is None else ts.astimezone(timezone.utc)
    except OverflowError:  # 9999-12-31T23:59-23:59 is past the end of the calendar in UTC
        p.add(path, f"{value!r} lies outside the years 1 to 9999 once converted to UTC")
        return datetime.now(timezone.utc)
    if ts.year < EARLIEST_YEAR:
        p.add(path, f"{value!r} is before {EARLIEST_YEAR}: not a time an order was placed")
    return ts


def _unknown(p: _Problems, prefix: str, data: dict, allowed: tuple[str, ...]) -> None:
    for key in data:
        if key not in allowed:
            near = difflib.get_close_matches(str(key), allowed, n=1)
            p.add(f"{prefix}{key}", "unknown field" + (f" (did you mean '{near[0]}'?)" if near else ""))


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false",
            type(None): "null"}.get(type(value), "a number" if isinstance(value, (int, float, Decimal))
                                     else type(value).__name__)
