"""Check a change to an order (decoded from JSON) and build a :class:`ChangeRequest`.

The contract is in docs/orders.md ("Changing an order"). As with orders, every problem is
reported with its field path ("lines[1].quantity: ...") and all of them at once.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from hub.domain.changes import ChangeRequest, LineRequest
from hub.errors import OrderInputError
from hub.services.order_input import MAX_LINES, _Problems, _kind, _quantity, _ship_to, _text, _unknown

_TOP = ("channel", "channel_order_id", "change_id", "cancel", "lines", "ship_to",
        "requested_delivery_date", "reason")
_LINE = ("line_id", "quantity", "cancel")
_ADDRESS_NEEDS = ("name", "address1", "city", "country")


class ChangeInputError(OrderInputError):
    """A change that is not a valid change; ``problems`` lists each field error."""

    incident_code = "change.invalid"


def parse_change(data: Any, today: date) -> ChangeRequest:
    """Build a ChangeRequest from decoded JSON; raise ChangeInputError listing every problem.

    ``channel`` and ``channel_order_id`` may be present (a file names the order in each
    record); the caller checks them against the order it acts on.
    """
    p = _Problems()
    if not isinstance(data, dict):
        raise ChangeInputError([f"change: must be a JSON object, got {_kind(data)}"])
    _unknown(p, "", data, _TOP)
    change_id = data.get("change_id")
    if isinstance(change_id, int) and not isinstance(change_id, bool):
        change_id = str(change_id)
    change_id = _text(p, "change_id", change_id, 80, required=True)
    cancel = data.get("cancel", False)
    if not isinstance(cancel, bool):
        p.add("cancel", f"must be true or false, got {_kind(cancel)}")
        cancel = False
    lines = _lines(p, data["lines"]) if "lines" in data else ()
    ship_to = _new_ship_to(p, data["ship_to"]) if "ship_to" in data else None
    when = _date(p, data["requested_delivery_date"], today) if "requested_delivery_date" in data else None
    reason = _text(p, "reason", data.get("reason"), 240, multiline=True)
    asked = [k for k in ("lines", "ship_to", "requested_delivery_date") if k in data]
    if cancel and asked:
        p.add("cancel", f"cancels the whole order, so it cannot come with {', '.join(asked)}: send "
                        "those as a change of their own, or cancel lines one by one")
    if not cancel and not asked and not p:
        p.add("change", "asks for nothing: give cancel, lines, ship_to or requested_delivery_date")
    if p:
        raise ChangeInputError(list(p))
    return ChangeRequest(change_id, cancel, lines, ship_to, when, reason)


def _lines(p: _Problems, data: Any) -> tuple[LineRequest, ...]:
    """``lines``: a non-empty list of {line_id, quantity} or {line_id, cancel: true}."""
    if not isinstance(data, list) or not data:
        p.add("lines", "must be a non-empty list of line changes")
        return ()
    if len(data) > MAX_LINES:
        p.add("lines", f"has {len(data)} entries; at most {MAX_LINES}")
        return ()
    out, seen = [], set()
    for n, item in enumerate(data):
        where = f"lines[{n}]"
        if not isinstance(item, dict):
            p.add(where, f"must be an object, got {_kind(item)}")
            continue
        _unknown(p, f"{where}.", item, _LINE)
        line_id = item.get("line_id")
        if isinstance(line_id, int) and not isinstance(line_id, bool):
            line_id = str(line_id)
        line_id = _text(p, f"{where}.line_id", line_id, 40, required=True)
        if line_id and line_id in seen:
            p.add(f"{where}.line_id", f"{line_id!r} is changed by an earlier entry")
        seen.add(line_id)
        cancel = item.get("cancel", False)
        if not isinstance(cancel, bool):
            p.add(f"{where}.cancel", f"must be true or false, got {_kind(cancel)}")
            continue
        if cancel and "quantity" in item:
            p.add(where, "gives both cancel and quantity: cancel the line, or give the units "
                         "wanted from now on")
            continue
        if not cancel and "quantity" not in item:
            p.add(where, "needs quantity (the units wanted from now on) or cancel: true")
            continue
        quantity = 0 if cancel else _new_quantity(p, f"{where}.quantity", item["quantity"])
        out.append(LineRequest(line_id, quantity))
    return tuple(out)


def _new_quantity(p: _Problems, path: str, value: Any) -> int:
    """Units wanted from now on: a whole number, 0 (cancel the line) or more."""
    said = _Problems()
    units = _quantity(said, path, value)
    if len(said) == 1 and "greater than 0" in said[0]:
        if units == 0:
            return 0    # an order line needs a unit; a change may take them all away
        p.add(path, f"must be 0 (cancels the line) or more, got {units}")
        return 0
    p.extend(said)
    return units


def _new_ship_to(p: _Problems, data: Any):
    """A whole new ship-to address, checked as an order's is, its essentials given."""
    before = len(p)
    address = _ship_to(p, data)
    if len(p) == before and isinstance(data, dict):
        for key in _ADDRESS_NEEDS:
            if not getattr(address, key):
                p.add(f"ship_to.{key}", "is required in a new ship-to (give the whole address)")
    return address


def _date(p: _Problems, value: Any, today: date) -> date | None:
    """A calendar date, YYYY-MM-DD, not in the past."""
    if not isinstance(value, str):
        p.add("requested_delivery_date", f"must be a date written YYYY-MM-DD, got {_kind(value)}")
        return None
    try:
        when = date.fromisoformat(value.strip())
    except ValueError:
        p.add("requested_delivery_date", f"{value!r} is not a date written YYYY-MM-DD")
        return None
    if len(value.strip()) != 10:
        p.add("requested_delivery_date", f"{value!r} is not a date written YYYY-MM-DD")
        return None
    if when < today:
        p.add("requested_delivery_date", f"{when.isoformat()} is in the past (today is "
                                         f"{today.isoformat()})")
    return when
