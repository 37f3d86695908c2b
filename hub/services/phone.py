"""Orders taken by phone: typed in by an operator, then through the same intake, review and
routing as every other channel."""

from __future__ import annotations

import re
import secrets

from hub.errors import OrderInputError
from hub.services.audit import ActionRefused, audit
from hub.services.intake import IntakeResult, Submission, accept
from hub.services.order_input import parse_order
from hub.services.ports import HubContext

PHONE_CHANNEL = "phone"
_ORDER_ID = re.compile(r"^PH-[0-9A-F]{10}$")


class PhoneOrderRefused(ActionRefused):
    """A typed-in order with mistakes; ``problems`` names each field."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("the order was not taken: " + "; ".join(problems))


def new_phone_order_id() -> str:
    """A number for an order about to be typed in, given with the empty form: the same form
    sent twice (a double click, a reload) is then the same order, taken once."""
    return f"PH-{secrets.token_hex(5).upper()}"


def take_phone_order(hub: HubContext, data: dict, actor: str, order_id: str) -> IntakeResult:
    """Give a typed-in order its channel and time, and take it in as any channel's.

    ``data`` is the canonical order without channel, channel_order_id or placed_at; the hub
    sets them (channel "phone", ``order_id`` from :func:`new_phone_order_id`, now). Problems
    are refused all at once, before anything is stored.
    """
    if PHONE_CHANNEL not in hub.channels:
        raise ActionRefused("there is no phone channel: add [channels.phone] to edihub.toml")
    if not _ORDER_ID.match(order_id or ""):
        raise ActionRefused("the form had no valid order number: reload it")
    now = hub.clock()
    order = {**data, "channel": PHONE_CHANNEL, "channel_order_id": order_id,
             "placed_at": now.isoformat().replace("+00:00", "Z"), "currency": data.get("currency") or "USD"}
    try:   # checked first: a typing mistake is said on the form, not filed as an Incident
        parse_order(order, PHONE_CHANNEL)
    except OrderInputError as exc:
        raise PhoneOrderRefused(exc.problems) from None
    [result] = accept(hub, [Submission(f"entered by {actor}", order)], PHONE_CHANNEL)
    if result.status == "conflict":
        raise ActionRefused(f"order {order_id} was taken already with other content: reload the form "
                            "for a new order")
    if result.status == "created":
        with hub.uow() as uow:
            audit(uow, now, actor, "order.enter", f"order {PHONE_CHANNEL}/{order['channel_order_id']}",
                  after={"state": result.state}, order_id=result.order_id)
            uow.commit()
    return result
