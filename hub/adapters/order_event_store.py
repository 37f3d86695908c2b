"""The events channels hear of, numbered and kept: the feed behind ``GET /api/v1/events``.

Each event gets a feed number (``id``, the cursor across all orders) and a sequence within
its order. Numbers are taken from a counter row that stays locked until the transaction
commits, so transactions that add events commit in the order of their numbers: a reader
that has seen event N never later finds a new event below N (PostgreSQL hands out
autoincrement ids at insert time, and a transaction holding a lower one may commit later).
"""

from __future__ import annotations

from sqlalchemy import Connection, func, insert, select

from hub.adapters import tables as t
from hub.adapters.bookkeeping import Bookkeeping

COUNTER = "order_events"


class OrderEventStore:
    """Numbers and appends channel events on one connection."""

    def __init__(self, conn: Connection):
        self.conn = conn

    def number(self, order_ids: list[int]) -> list[tuple[int, int]]:
        """(feed id, order sequence) for one new event per entry of ``order_ids``, in order.

        Holds the event counter's row lock until commit: call it last in a unit of work.
        """
        if not order_ids:
            return []
        first = Bookkeeping(self.conn).take_counter(COUNTER, len(order_ids))
        e = t.order_events
        last = dict(self.conn.execute(select(e.c.order_id, func.max(e.c.sequence))
                                      .where(e.c.order_id.in_(set(order_ids)))
                                      .group_by(e.c.order_id)).all())
        out = []
        for k, oid in enumerate(order_ids):
            last[oid] = (last.get(oid) or 0) + 1
            out.append((first + k, last[oid]))
        return out

    def append(self, rows: list[dict]) -> None:
        """Store numbered events (id, order_id, channel, sequence, type, occurred_at, document)."""
        if rows:
            self.conn.execute(insert(t.order_events), rows)
