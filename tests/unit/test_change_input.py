"""The change contract (docs/orders.md, "Changing an order"): every problem with its field path."""

from __future__ import annotations

from datetime import date

import pytest

from hub.domain.changes import ChangeRequest, LineRequest
from hub.domain.model import Address
from hub.services.change_input import ChangeInputError, parse_change

TODAY = date(2026, 11, 25)
ADDRESS = {"name": "Bo Lee", "address1": "2 Side St", "city": "Dallas", "state": "TX",
           "postal_code": "75201", "country": "us"}


def problems(data) -> list[str]:
    with pytest.raises(ChangeInputError) as exc:
        parse_change(data, TODAY)
    return exc.value.problems


def test_a_full_change_is_read():
    change = parse_change({"change_id": 17, "channel": "webshop", "channel_order_id": "WS-1",
                           "lines": [{"line_id": 1, "quantity": 3}, {"line_id": "2", "cancel": True},
                                     {"line_id": "3", "quantity": 0}],
                           "ship_to": ADDRESS, "requested_delivery_date": "2026-12-01",
                           "reason": "moved"}, TODAY)
    assert change == ChangeRequest("17", False, (LineRequest("1", 3), LineRequest("2", 0), LineRequest("3", 0)),
                                   Address("Bo Lee", "2 Side St", "", "Dallas", "TX", "75201", "US"),
                                   date(2026, 12, 1), "moved")
    assert parse_change({"change_id": "C", "cancel": True}, TODAY).cancel


def test_every_problem_is_named_with_its_path():
    assert problems({"change_id": "", "cancel": "yes", "colour": "red",
                     "lines": [{"line_id": "1"}, {"line_id": "1", "quantity": -1, "quantty": 3},
                               {"line_id": "4", "quantity": 2, "cancel": True}, "x"],
                     "ship_to": {"name": "Bo"}, "requested_delivery_date": "2026-1-1"}) == [
        "colour: unknown field",
        "change_id: is required",
        "cancel: must be true or false, got text",
        "lines[0]: needs quantity (the units wanted from now on) or cancel: true",
        "lines[1].quantty: unknown field (did you mean 'quantity'?)",
        "lines[1].line_id: '1' is changed by an earlier entry",
        "lines[1].quantity: must be 0 (cancels the line) or more, got -1",
        "lines[2]: gives both cancel and quantity: cancel the line, or give the units wanted from now on",
        "lines[3]: must be an object, got text",
        "ship_to.address1: is required in a new ship-to (give the whole address)",
        "ship_to.city: is required in a new ship-to (give the whole address)",
        "ship_to.country: is required in a new ship-to (give the whole address)",
        "requested_delivery_date: '2026-1-1' is not a date written YYYY-MM-DD",
    ]


@pytest.mark.parametrize("data, expected", [
    ({"change_id": "C"}, "change: asks for nothing: give cancel, lines, ship_to or requested_delivery_date"),
    ({"change_id": "C", "cancel": True, "lines": [{"line_id": "1", "cancel": True}]},
     "cancel: cancels the whole order, so it cannot come with lines"),
    ({"change_id": "C", "requested_delivery_date": "2026-11-24"},
     "requested_delivery_date: 2026-11-24 is in the past (today is 2026-11-25)"),
    ({"change_id": "C", "lines": []}, "lines: must be a non-empty list of line changes"),
    ([], "change: must be a JSON object, got a list"),
])
def test_changes_that_ask_nothing_or_too_much(data, expected):
    assert any(p.startswith(expected) for p in problems(data)), problems(data)
