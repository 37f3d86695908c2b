"""What operators do to orders: release a held order, retry one that needed attention."""

from __future__ import annotations

from hub.domain.states import OrderState
from hub.errors import HubError, NotFoundError
from hub.services.fulfil import Outcome, route_and_queue
from hub.services.ports import HubContext


class NotReleasableError(HubError):
    """The order is not waiting for an operator."""

    incident_code = "operations.not_releasable"


def release_order(hub: HubContext, order_id: int, actor: str, note: str = "") -> Outcome:
    """Release an order that is on hold or needed attention: review again (risk holds waived
    for a held order) and, if it passes, route it and queue its documents."""
    now = hub.clock()
    with hub.uow() as uow:
        order = uow.repo.get_order(order_id)
        if order is None:
            raise NotFoundError(f"no order with id {order_id}")
        if order.state not in (OrderState.ON_HOLD, OrderState.NEEDS_ATTENTION):
            raise NotReleasableError(f"order {order.ref} is {order.state.value}: only orders on "
                                     "hold or needing attention can be released")
        if uow.repo.purchase_orders_of(order_id):
            raise NotReleasableError(f"order {order.ref} already has purchase orders: work on "
                                     "those instead")
        waive_risk = order.state == OrderState.ON_HOLD
        uow.repo.resolve_incidents_of_order(order_id, now, f"released by {actor}: {note}".strip(": "),
                                            actor, prefix="review.")
        order.hold_reason = ""
        uow.repo.add_events([{"at": now, "order_id": order_id, "purchase_order_id": None,
                              "interchange_id": None, "kind": "order.released",
                              "message": note or "released", "actor": actor}])
        # A customer's own order does not make them "known": keep the risk rules honest.
        outcome = route_and_queue(uow, hub, [order], set(), now, release=waive_risk)
        uow.commit()
    if outcome.queued:
        hub.on_queued()
    return outcome
