"""Tell the sales channel what happened to its order: a signed webhook and/or a file, through the outbox.

One notification per event and channel target (``channel_targets``: its webhook, its
notification folder), carrying the event's document as stored for the events feed. It is
named ``<type>-<event id>.json`` (e.g. ``order.shipped-42.json``): the name is the delivery's
idempotency key, the same on every retry, and the webhook transport reads the event type
from it. The shape is described in docs/webhooks.md.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from hub.domain.states import InterchangeState
from hub.services.ports import HubContext


def event_notifications(hub: HubContext, events: list[dict], now: datetime) -> list[dict]:
    """Outbox rows telling each event's channel, once per target it has configured.

    ``events``: stored events (id, channel, type, document, purchase_order_id).
    """
    rows = []
    for event in events:
        body = event["document"].encode()
        name = f"{event['type']}-{event['id']}"
        for target in hub.channel_targets.get(event["channel"], ()):
            rows.append({"direction": "out", "partner_id": None, "channel": event["channel"],
                         "doc_type": target, "control_number": name,
                         "purchase_order_id": event.get("purchase_order_id"),
                         "filename": f"{name}.json", "content_type": "application/json",
                         "payload": body, "sha256": hashlib.sha256(body).hexdigest(),
                         "size": len(body), "state": InterchangeState.QUEUED.value,
                         "created_at": now, "next_attempt_at": now})
    return rows
