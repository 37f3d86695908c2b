"""Read models of the exceptions queue: Incidents filtered and counted, one Incident in full."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Connection, and_, func, or_, select

from hub.adapters import tables as t
from hub.domain.states import IncidentState
from hub.views.common import iso

STATES = tuple(s.value for s in IncidentState)


def _filters(state: str | None, partner: str | None, kind: str | None, since: datetime | None,
             order_id: int | None = None):
    i = t.incidents
    cond = []
    if state:
        cond.append(i.c.state == state)
    if partner:
        cond.append(i.c.partner_id == partner)
    if kind:   # a whole code ("transport.unreachable") or its family ("transport")
        cond.append(or_(i.c.code == kind, i.c.code.startswith(kind.rstrip(".") + ".", autoescape=True)))
    if since is not None:
        cond.append(i.c.updated_at >= since)
    if order_id is not None:
        cond.append(i.c.order_id == order_id)
    return and_(*cond) if cond else True


def incidents_list(conn: Connection, state: str | None = "open", partner: str | None = None,
                   kind: str | None = None, since: datetime | None = None, limit: int = 200,
                   offset: int = 0, newest_first: bool = False) -> list[dict]:
    """Incidents matching the filters (open ones by default), oldest first, with the order they
    concern (if any) as ``channel/channel_order_id``."""
    i, o = t.incidents, t.orders
    order = i.c.id.desc() if newest_first else i.c.id
    rows = conn.execute(select(i.c.id, i.c.code, i.c.state, i.c.message, i.c.partner_id, i.c.channel,
                               i.c.order_id, i.c.interchange_id, i.c.occurrences, i.c.created_at,
                               i.c.updated_at, i.c.resolved_by, o.c.channel.label("order_channel"),
                               o.c.channel_order_id)
                        .outerjoin(o, o.c.id == i.c.order_id)
                        .where(_filters(state, partner, kind, since)).order_by(order)
                        .limit(limit).offset(offset)).mappings()
    return [_row(r) for r in rows]


def open_incidents(conn: Connection, limit: int = 200) -> list[dict]:
    """Open Incidents, oldest first: the exceptions queue."""
    return incidents_list(conn, "open", limit=limit)


def incident_counts(conn: Connection, state: str | None = "open", partner: str | None = None,
                    since: datetime | None = None) -> dict[str, int]:
    """How many Incidents of each code match the filters, most frequent first."""
    i = t.incidents
    rows = conn.execute(select(i.c.code, func.count()).where(_filters(state, partner, None, since))
                        .group_by(i.c.code).order_by(func.count().desc(), i.c.code)).all()
    return {code: n for code, n in rows}


def incident_view(conn: Connection, incident_id: int) -> dict | None:
    """One Incident in full: its detail, the document and order behind it, and its audit trail."""
    i = t.incidents
    r = conn.execute(select(i).where(i.c.id == incident_id)).mappings().first()
    if r is None:
        return None
    view = _row({**r, "order_channel": None, "channel_order_id": None})
    view.update(detail=_json(r["detail"]), dedupe_key=r["dedupe_key"], resolution=r["resolution"],
                resolved_at=iso(r["resolved_at"]), purchase_order_id=r["purchase_order_id"])
    if r["order_id"]:
        o = conn.execute(select(t.orders.c.channel, t.orders.c.channel_order_id, t.orders.c.state)
                         .where(t.orders.c.id == r["order_id"])).first()
        if o is not None:
            view["order"] = f"{o.channel}/{o.channel_order_id}"
            view["order_state"] = o.state
    view["document"] = document_summary(conn, r["interchange_id"]) if r["interchange_id"] else None
    view["audit"] = audit_entries(conn, incident_id=incident_id)
    return view


def document_summary(conn: Connection, interchange_id: int) -> dict | None:
    """What an operator needs to know of one document to act on it (not its bytes)."""
    x = t.interchanges
    d = conn.execute(select(x.c.id, x.c.direction, x.c.doc_type, x.c.partner_id, x.c.channel, x.c.state,
                            x.c.control_number, x.c.filename, x.c.remote_name, x.c.archive_path, x.c.size,
                            x.c.attempts, x.c.last_error, x.c.created_at, x.c.done_at, x.c.next_attempt_at,
                            x.c.purchase_order_id, x.c.duplicate_of, x.c.resend_of)
                     .where(x.c.id == interchange_id)).mappings().first()
    if d is None:
        return None
    return {**dict(d), "created_at": iso(d["created_at"]), "done_at": iso(d["done_at"]),
            "next_attempt_at": iso(d["next_attempt_at"])}


def audit_entries(conn: Connection, *, incident_id: int | None = None, order_id: int | None = None,
                  interchange_id: int | None = None, limit: int = 200) -> list[dict]:
    """Audit entries about one Incident, order or document, oldest first."""
    a = t.audit_log
    cond = [c for c, v in ((a.c.incident_id == incident_id, incident_id), (a.c.order_id == order_id, order_id),
                           (a.c.interchange_id == interchange_id, interchange_id)) if v is not None]
    rows = conn.execute(select(a).where(or_(*cond)).order_by(a.c.id).limit(limit)).mappings()
    return [{"at": iso(r["at"]), "actor": r["actor"], "action": r["action"], "target": r["target"],
             "before": _json(r["before"]), "after": _json(r["after"]), "reason": r["reason"]} for r in rows]


def _row(r) -> dict:
    order = f"{r['order_channel']}/{r['channel_order_id']}" if r.get("channel_order_id") else None
    return {"id": r["id"], "code": r["code"], "state": r["state"], "message": r["message"],
            "partner": r["partner_id"], "channel": r["channel"], "order_id": r["order_id"], "order": order,
            "interchange_id": r["interchange_id"], "occurrences": r["occurrences"],
            "created_at": iso(r["created_at"]), "updated_at": iso(r["updated_at"]),
            "resolved_by": r["resolved_by"]}


def _json(text: str):
    try:
        return json.loads(text or "{}")
    except ValueError:
        return {"raw": text}
