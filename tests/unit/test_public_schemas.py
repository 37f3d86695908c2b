"""The JSON Schemas in docs/schemas/ are valid, and the examples in the docs follow them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.support.schemas import assert_valid, validator

DOCS = Path(__file__).resolve().parents[2] / "docs"


def example(doc: str, heading: str) -> dict:
    """The first ```json block after ``heading`` in docs/<doc>."""
    text = (DOCS / doc).read_text()
    after = text[text.index(heading):]
    return json.loads(re.search(r"```json\n(.*?)```", after, re.S).group(1))


@pytest.mark.parametrize("doc, heading, schema", [
    ("orders.md", "### `GET /api/v1/orders/<channel>/<channel_order_id>`", "order"),
    ("webhooks.md", "## The event", "event"),
])
def test_the_documented_examples_follow_the_schemas(doc, heading, schema):
    assert_valid(schema, example(doc, heading))


@pytest.mark.parametrize("change, problem", [
    (lambda e: e.update(type="order.lost"), "'order.lost' is not one of"),
    (lambda e: e.update(shipment=None), "None is not of type 'object'"),          # shipped needs one
    (lambda e: e.update(extra=1), "Additional properties are not allowed"),
    (lambda e: e["lines"][0].update(quantity=0), "0 is less than the minimum of 1"),
    (lambda e: e.update(occurred_at="2026-11-26 09:00"), "does not match"),
])
def test_the_event_schema_is_strict(change, problem):
    event = example("webhooks.md", "## The event")
    change(event)
    messages = [e.message for e in validator("event").iter_errors(event)]
    assert any(problem in m for m in messages), messages
