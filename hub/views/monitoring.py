"""Read models for monitoring: what /metrics and /healthz report, read from the store at each
request so that every web process says the same (no counters kept in one process's memory)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, func, select

from hub.adapters import tables as t
from hub.domain.states import InterchangeState

WORKER = "worker:"
POLL = "poll:"
WORKER_HORIZON = timedelta(days=1)   # older worker heartbeats are workers long gone


def outbox_depth(conn: Connection) -> list[dict]:
    """Outbound documents waiting (queued) or given up (failed), per partner or channel."""
    i = t.interchanges
    states = [InterchangeState.QUEUED.value, InterchangeState.FAILED.value]
    rows = conn.execute(select(i.c.partner_id, i.c.channel, i.c.state, func.count())
                        .where(i.c.direction == "out", i.c.state.in_(states))
                        .group_by(i.c.partner_id, i.c.channel, i.c.state))
    return [{"partner": p or "", "channel": c or "", "state": s, "count": n} for p, c, s, n in rows]


def document_counts(conn: Connection) -> list[dict]:
    """Documents ever recorded, per partner (or channel), direction and type: outbound by the
    type sent (850, xml-po, 997, ...); inbound by each transaction set read (997, 855, 856,
    xml-confirmation, ...), and a received file that gave no document (refused, unreadable,
    a duplicate) once, by its format (X12, unknown, ...)."""
    i, ts = t.interchanges, t.transaction_sets
    keys = (i.c.partner_id, i.c.channel)
    read = select(ts.c.id).where(ts.c.interchange_id == i.c.id).exists()
    queries = [
        select(*keys, i.c.direction, i.c.doc_type, func.count()).where(i.c.direction == "out")
        .group_by(*keys, i.c.direction, i.c.doc_type),
        select(*keys, i.c.direction, ts.c.set_id, func.count()).join(ts, ts.c.interchange_id == i.c.id)
        .where(i.c.direction == "in").group_by(*keys, i.c.direction, ts.c.set_id),
        select(*keys, i.c.direction, i.c.doc_type, func.count()).where(i.c.direction == "in", ~read)
        .group_by(*keys, i.c.direction, i.c.doc_type)]
    counts: dict[tuple, int] = {}
    for q in queries:
        for p, c, d, k, n in conn.execute(q):
            key = (p or "", c or "", d, k)
            counts[key] = counts.get(key, 0) + n
    return [{"partner": p, "channel": c, "direction": d, "doc_type": k, "count": n}
            for (p, c, d, k), n in sorted(counts.items())]


def open_incident_counts(conn: Connection) -> dict[str, int]:
    """Open Incidents per code."""
    i = t.incidents
    return dict(conn.execute(select(i.c.code, func.count()).where(i.c.state == "open")
                             .group_by(i.c.code).order_by(i.c.code)).all())


def heartbeats(conn: Connection, prefix: str, since: datetime | None = None) -> list[dict]:
    """Heartbeats whose name starts with ``prefix`` (``worker:``, ``poll:``), newest first,
    each named without the prefix; only those since ``since`` if given."""
    h = t.heartbeats
    q = select(h.c.name, h.c.at, h.c.ok, h.c.detail).where(h.c.name.startswith(prefix, autoescape=True))
    if since is not None:
        q = q.where(h.c.at >= since)
    return [{"name": r.name.removeprefix(prefix), "at": r.at, "ok": r.ok, "detail": r.detail}
            for r in conn.execute(q.order_by(h.c.at.desc(), h.c.name))]


def newest_worker_heartbeat(conn: Connection) -> dict | None:
    """The most recent heartbeat of any worker, or None if no worker ever ran on this store."""
    found = heartbeats(conn, WORKER)
    return found[0] if found else None


def outbox_lag(conn: Connection, now: datetime) -> float:
    """Seconds the oldest document due for sending has been waiting (0 when none is due)."""
    i = t.interchanges
    due_since = func.coalesce(i.c.next_attempt_at, i.c.created_at)
    oldest = conn.scalar(select(func.min(due_since)).where(
        i.c.direction == "out", i.c.state == InterchangeState.QUEUED.value, due_since <= now))
    return 0.0 if oldest is None else max((now - oldest).total_seconds(), 0.0)
