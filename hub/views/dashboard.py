"""Read models of the dashboard: orders by state, open Incidents by kind and age, each
partner's health, and orders and documents per day."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, case, func, select

from hub.adapters import tables as t
from hub.domain.states import InterchangeState
from hub.views.common import iso

AGES = (("under 1 h", timedelta(hours=1)), ("1-24 h", timedelta(days=1)), ("over 24 h", None))


def orders_by_state(conn: Connection) -> dict[str, int]:
    """How many orders are in each state."""
    o = t.orders
    return dict(conn.execute(select(o.c.state, func.count()).group_by(o.c.state).order_by(o.c.state)).all())


def incidents_by_kind_and_age(conn: Connection, now: datetime) -> list[dict]:
    """Open Incidents per code, split by how long they have been open."""
    i = t.incidents
    hour, day = now - timedelta(hours=1), now - timedelta(days=1)
    rows = conn.execute(select(i.c.code,
                               func.sum(case((i.c.created_at >= hour, 1), else_=0)),
                               func.sum(case(((i.c.created_at < hour) & (i.c.created_at >= day), 1), else_=0)),
                               func.sum(case((i.c.created_at < day, 1), else_=0)), func.count())
                        .where(i.c.state == "open").group_by(i.c.code).order_by(func.count().desc(), i.c.code))
    return [{"code": code, "ages": [int(a or 0), int(b or 0), int(c or 0)], "total": total}
            for code, a, b, c, total in rows]


def partner_health(conn: Connection, partner_ids: list[str]) -> list[dict]:
    """Per partner: last document sent, last poll and how it went, documents waiting or failed,
    open Incidents, and the circuit breaker as the last dispatch left it (closed, open, half-open)."""
    x, i, h = t.interchanges, t.incidents, t.heartbeats
    # One query per partner: the newest entry of its own range of an index (migration 0004)
    # is read directly, where grouping by partner would read every document it ever had.
    sent = {pid: conn.scalar(select(func.max(x.c.done_at)).where(
        x.c.partner_id == pid, x.c.direction == "out", x.c.state == InterchangeState.SENT.value))
        for pid in partner_ids}
    received = {pid: conn.scalar(select(func.max(x.c.created_at)).where(
        x.c.partner_id == pid, x.c.direction == "in")) for pid in partner_ids}
    waiting = {(p, s): n for p, s, n in conn.execute(
        select(x.c.partner_id, x.c.state, func.count())
        .where(x.c.direction == "out", x.c.partner_id.in_(partner_ids),
               x.c.state.in_([InterchangeState.QUEUED.value, InterchangeState.FAILED.value]))
        .group_by(x.c.partner_id, x.c.state))}
    polls = {r.name.removeprefix("poll:"): r for r in conn.execute(
        select(h.c.name, h.c.at, h.c.ok, h.c.detail).where(h.c.name.in_([f"poll:{p}" for p in partner_ids])))}
    breakers = {r.name.removeprefix("breaker:"): r for r in conn.execute(
        select(h.c.name, h.c.at, h.c.ok, h.c.detail).where(h.c.name.in_([f"breaker:{p}" for p in partner_ids])))}
    problems = dict(conn.execute(select(i.c.partner_id, func.count()).where(
        i.c.state == "open", i.c.partner_id.in_(partner_ids)).group_by(i.c.partner_id)).all())
    out = []
    for pid in partner_ids:
        poll = polls.get(pid)
        out.append({"partner": pid, "last_sent": iso(sent.get(pid)), "last_received": iso(received.get(pid)),
                    "last_poll": iso(poll.at) if poll else None, "poll_ok": poll.ok if poll else None,
                    "poll_detail": poll.detail if poll else "",
                    "queued": waiting.get((pid, InterchangeState.QUEUED.value), 0),
                    "failed": waiting.get((pid, InterchangeState.FAILED.value), 0),
                    "open_incidents": problems.get(pid, 0),
                    "circuit": breakers[pid].detail.split(",")[0] if pid in breakers else "closed",
                    "circuit_at": iso(breakers[pid].at) if pid in breakers else None})
    return out


def orders_per_day(conn: Connection, since: datetime) -> dict[str, dict[str, int]]:
    """Orders received per day and channel since ``since``: {day: {channel: n}}."""
    o = t.orders
    day = func.substr(func.cast(o.c.received_at, t.String), 1, 10)
    rows = conn.execute(select(day, o.c.channel, func.count()).where(o.c.received_at >= since)
                        .group_by(day, o.c.channel))
    out: dict[str, dict[str, int]] = {}
    for d, channel, n in rows:
        out.setdefault(d, {})[channel] = n
    return out


def documents_per_partner(conn: Connection, since: datetime) -> list[dict]:
    """Documents in and out per partner since ``since``."""
    x = t.interchanges
    # Grouped by an expression, not by the column: SQLite (without statistics) would rather
    # read a whole per-partner index in group order than the period's range of the index by
    # date (migration 0004). Documents of no partner (to channels) fall in "" and are left out.
    partner = func.coalesce(x.c.partner_id, "")
    rows = conn.execute(select(partner, x.c.direction, func.count())
                        .where(x.c.created_at >= since, x.c.state != InterchangeState.CANCELLED.value)
                        .group_by(partner, x.c.direction))
    out: dict[str, dict] = {}
    for pid, direction, n in rows:
        if pid:
            out.setdefault(pid, {"partner": pid, "in": 0, "out": 0})[direction] = n
    return sorted(out.values(), key=lambda r: r["partner"])
