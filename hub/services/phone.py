"""Orders taken by phone: typed in by an operator, then through the same intake, review and
routing as every other channel."""

from __future__ import annotations

from hub.errors import OrderInputError
from hub.services.audit import ActionRefused, audit
from hub.services.intake import IntakeResult, Submission, accept
from hub.services.order_input import parse_order
from hub.services.ports import HubContext

PHONE_CHANNEL = "phone"


class PhoneOrderRefused(ActionRefused):
    """A typed-in order with mistakes; ``problems`` names each field."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("the order was not taken: " + "; ".join(problems))


def take_phone_order(hub: HubContext, data: dict, actor: str) -> IntakeResult:
    """Give a typed-in order its channel, number and time, and take it in as any channel's.

    ``data`` is the canonical order without channel, channel_order_id or placed_at (the hub
    sets them: channel "phone", PH-000001, now). Problems come back as the intake's, all at once.
    """
    if PHONE_CHANNEL not in hub.channels:
        raise ActionRefused("there is no phone channel: add [channels.phone] to edihub.toml")
    now = hub.clock()
    with hub.uow() as uow:
        number = uow.repo.take_counter("phone_order", 1)
        uow.commit()
    order = {**data, "channel": PHONE_CHANNEL, "channel_order_id": f"PH-{number:06d}",
             "placed_at": now.isoformat().replace("+00:00", "Z"), "currency": data.get("currency") or "USD"}
    try:   # checked first: a typing mistake is said on the form, not filed as an Incident
        parse_order(order, PHONE_CHANNEL)
    except OrderInputError as exc:
        raise PhoneOrderRefused(exc.problems) from None
    [result] = accept(hub, [Submission(f"entered by {actor}", order)], PHONE_CHANNEL)
    if result.order_id is not None:
        with hub.uow() as uow:
            audit(uow, now, actor, "order.enter", f"order {PHONE_CHANNEL}/{order['channel_order_id']}",
                  after={"state": result.state}, order_id=result.order_id)
            uow.commit()
    return result
