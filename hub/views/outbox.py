"""Read models of the outbox: what waits to be delivered, and why."""

from __future__ import annotations

from sqlalchemy import Connection, literal_column, select

from hub.adapters import tables as t
from hub.domain.states import InterchangeState
from hub.views.common import iso as _iso


def outbox_waiting(conn: Connection) -> list[dict]:
    """Documents not delivered yet, per partner or channel: how many wait, since when, until
    when, and the last error; and how many were given up (failed, waiting for an operator)."""
    from sqlalchemy import func
    i = t.interchanges
    who = func.coalesce(i.c.partner_id, literal_column("'channel '") + i.c.channel)
    rows = conn.execute(select(who.label("to"), i.c.state, func.count(), func.min(i.c.next_attempt_at),
                               func.max(i.c.attempts))
                        .where(i.c.direction == "out", i.c.state.in_([InterchangeState.QUEUED.value,
                                                                      InterchangeState.FAILED.value]))
                        .group_by(who, i.c.state)).all()
    out: dict[str, dict] = {}
    for to, state, count, due, attempts in rows:
        entry = out.setdefault(to, {"to": to, "queued": 0, "failed": 0, "next_attempt_at": None,
                                    "attempts": 0, "last_error": ""})
        entry["queued" if state == InterchangeState.QUEUED.value else "failed"] = count
        if state == InterchangeState.QUEUED.value:
            entry["next_attempt_at"], entry["attempts"] = _iso(due), attempts
    for entry in out.values():
        entry["last_error"] = conn.scalar(
            select(i.c.last_error).where(i.c.direction == "out", who == entry["to"], i.c.last_error != "",
                                         i.c.state.in_([InterchangeState.QUEUED.value,
                                                        InterchangeState.FAILED.value]))
            .order_by(i.c.id.desc()).limit(1)) or ""
    return sorted(out.values(), key=lambda e: e["to"])

