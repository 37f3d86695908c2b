"""The store's bookkeeping: numbers, the outbox rows, leases, incidents and timeline events.

Shared by every use case through :class:`~hub.adapters.repository.Repository`, which
inherits it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, insert, or_, select, text, update

from hub.adapters import tables as t
from hub.domain.model import IncidentDraft
from hub.domain.states import IncidentState

OUTBOX_CHANNEL = "edihub_outbox"   # PostgreSQL notification channel: "documents were queued"


class Bookkeeping:
    """Counters, control numbers, outbox rows, leases, incidents and events on one connection."""

    def __init__(self, conn: Connection):
        self.conn = conn

    # -- numbers ---------------------------------------------------------------------------

    def take_counter(self, name: str, count: int) -> int:
        """Reserve ``count`` consecutive values of a named counter; return the first."""
        c = t.counters
        row = self.conn.execute(update(c).where(c.c.name == name).values(value=c.c.value + count)
                                .returning(c.c.value)).first()
        if row is None:
            self.conn.execute(insert(c).values(name=name, value=count))
            return 1
        return row[0] - count + 1

    def lock_control_numbers(self, partner_id: str) -> tuple[int, int, int]:
        """The last ISA13, GS06 and ST02 used for a partner, with the row locked until commit."""
        cn = t.control_numbers
        row = self.conn.execute(update(cn).where(cn.c.partner_id == partner_id)
                                .values(isa=cn.c.isa).returning(cn.c.isa, cn.c.gs, cn.c.st)).first()
        if row is None:
            self.conn.execute(insert(cn).values(partner_id=partner_id, isa=0, gs=0, st=0))
            return (0, 0, 0)
        return tuple(row)

    def set_control_numbers(self, partner_id: str, isa: int, gs: int, st: int) -> None:
        """Record the last control numbers used for a partner."""
        cn = t.control_numbers
        self.conn.execute(update(cn).where(cn.c.partner_id == partner_id).values(isa=isa, gs=gs, st=st))

    # -- interchanges, incidents, events ----------------------------------------------------

    def insert_interchanges(self, rows: list[dict]) -> list[int]:
        """Insert interchange rows (outbox entries or received files); return their ids.

        Queuing outbound rows wakes waiting workers on PostgreSQL (NOTIFY is delivered at
        commit, so they never look before the rows are there).
        """
        if not rows:
            return []
        ids = self.conn.execute(
            insert(t.interchanges).returning(t.interchanges.c.id, sort_by_parameter_order=True),
            rows).scalars().all()
        if self.conn.dialect.name == "postgresql" and any(r.get("direction") == "out" for r in rows):
            self.conn.execute(text(f"NOTIFY {OUTBOX_CHANNEL}"))
        return ids

    def take_lease(self, name: str, owner: str, now: datetime, until: datetime) -> bool:
        """Hold a named lease until ``until`` if it is free, expired or already ours."""
        le = t.leases
        got = self.conn.execute(update(le).where(le.c.name == name, or_(le.c.until < now, le.c.owner == owner))
                                .values(owner=owner, until=until)).rowcount
        if got:
            return True
        if self.conn.scalar(select(le.c.name).where(le.c.name == name)) is not None:
            return False
        self.conn.execute(insert(le).values(name=name, owner=owner, until=until))
        return True

    def release_lease(self, name: str, owner: str) -> None:
        """Give a lease back (only the owner can)."""
        le = t.leases
        self.conn.execute(delete(le).where(le.c.name == name, le.c.owner == owner))

    def release_leases_of(self, owners: list[str], now: datetime) -> int:
        """Free every lease (named or on outbox rows) held by these workers; they are gone."""
        if not owners:
            return 0
        i, le = t.interchanges, t.leases
        freed = self.conn.execute(update(i).where(i.c.lease_owner.in_(owners))
                                  .values(lease_owner=None, lease_until=None)).rowcount
        return freed + self.conn.execute(delete(le).where(le.c.owner.in_(owners))).rowcount

    def lease_owners(self, prefix: str) -> set[str]:
        """Workers holding leases whose owner name starts with ``prefix`` (e.g. "host:")."""
        i, le = t.interchanges, t.leases
        return set(self.conn.scalars(select(i.c.lease_owner).distinct().where(i.c.lease_owner.startswith(prefix)))) | \
            set(self.conn.scalars(select(le.c.owner).distinct().where(le.c.owner.startswith(prefix))))

    def file_incidents(self, drafts: list[IncidentDraft], now: datetime, count_repeats: bool = True) -> None:
        """File incidents; one whose dedupe key is already open only counts another occurrence
        and takes the newest message, which says how things stand now (or, with
        ``count_repeats=False``, is left as it is: for conditions re-checked on a timer)."""
        if not drafts:
            return
        for d in drafts:
            if len(d.dedupe_key) > 200:  # the column's width: keep the start, hash the rest
                d.dedupe_key = d.dedupe_key[:150] + "#" + hashlib.sha256(d.dedupe_key.encode()).hexdigest()[:40]
        keyed = {d.dedupe_key for d in drafts if d.dedupe_key}
        i = t.incidents
        open_keys = set()
        if keyed:
            open_keys = set(self.conn.scalars(select(i.c.dedupe_key).where(
                i.c.state == IncidentState.OPEN.value, i.c.dedupe_key.in_(keyed))))
        fresh, repeats, batch_keys = [], [], set()
        for d in drafts:
            if d.dedupe_key and (d.dedupe_key in open_keys or d.dedupe_key in batch_keys):
                repeats.append({"k": d.dedupe_key, "now": now, "msg": d.message})
                continue
            batch_keys.add(d.dedupe_key) if d.dedupe_key else None
            fresh.append({"code": d.code, "state": IncidentState.OPEN.value, "message": d.message,
                          "partner_id": d.partner_id or None, "channel": d.channel or None,
                          "order_id": d.order_id, "purchase_order_id": d.purchase_order_id,
                          "interchange_id": d.interchange_id,
                          "detail": json.dumps(d.detail, default=str, ensure_ascii=False),
                          "dedupe_key": d.dedupe_key, "created_at": now, "updated_at": now})
        if fresh:
            self.conn.execute(insert(i), fresh)
        if repeats and count_repeats:
            self.conn.execute(update(i).where(i.c.dedupe_key == bindparam("k"),
                                              i.c.state == IncidentState.OPEN.value)
                              .values(occurrences=i.c.occurrences + 1, updated_at=bindparam("now"),
                                      message=bindparam("msg")), repeats)

    def resolve_incidents(self, dedupe_keys: list[str], now: datetime, resolution: str,
                          actor: str = "hub") -> int:
        """Resolve open incidents by dedupe key (the hub clears what it raised itself)."""
        if not dedupe_keys:
            return 0
        i = t.incidents
        return self.conn.execute(update(i).where(i.c.state == IncidentState.OPEN.value,
                                                 i.c.dedupe_key.in_(dedupe_keys))
                                 .values(state=IncidentState.RESOLVED.value, resolved_at=now,
                                         resolved_by=actor, resolution=resolution,
                                         updated_at=now)).rowcount

    def resolve_incidents_of_order(self, order_id: int, now: datetime, resolution: str, actor: str,
                                   prefix: str = "") -> int:
        """Resolve an order's open incidents (those whose code starts with ``prefix``)."""
        i = t.incidents
        return self.conn.execute(update(i).where(i.c.order_id == order_id,
                                                 i.c.state == IncidentState.OPEN.value,
                                                 i.c.code.startswith(prefix))
                                 .values(state=IncidentState.RESOLVED.value, resolved_at=now,
                                         resolved_by=actor, resolution=resolution,
                                         updated_at=now)).rowcount

    def open_incident_keys(self, prefix: str) -> list[str]:
        """Dedupe keys of open incidents starting with ``prefix``."""
        i = t.incidents
        return list(self.conn.scalars(select(i.c.dedupe_key).where(
            i.c.state == IncidentState.OPEN.value, i.c.dedupe_key.startswith(prefix))))

    def open_incident(self, dedupe_key: str) -> dict | None:
        """The open incident filed under ``dedupe_key``, as stored (its detail read), or None."""
        i = t.incidents
        row = self.conn.execute(select(i).where(i.c.state == IncidentState.OPEN.value,
                                                i.c.dedupe_key == dedupe_key)).mappings().first()
        return None if row is None else {**row, "detail": json.loads(row["detail"] or "{}")}

    def restate_incident(self, incident_id: int, message: str, detail: dict, now: datetime,
                         again: bool = True) -> None:
        """Say how an open incident stands now; ``again``: it occurred once more (else the same
        occurrence only grew)."""
        i = t.incidents
        self.conn.execute(update(i).where(i.c.id == incident_id).values(
            occurrences=i.c.occurrences + (1 if again else 0), message=message, updated_at=now,
            detail=json.dumps(detail, default=str, ensure_ascii=False)))

    def add_events(self, rows: list[dict]) -> None:
        """Append timeline events (order_id, purchase_order_id, kind, message, at, ...)."""
        if rows:
            self.conn.execute(insert(t.events), rows)

    # -- the audit log -------------------------------------------------------------------------

    def add_audit(self, row: dict) -> None:
        """Record one operator action (see :func:`hub.services.audit.audit`)."""
        self.conn.execute(insert(t.audit_log), row)

    def incident(self, incident_id: int) -> dict | None:
        """One incident as stored, or None."""
        i = t.incidents
        row = self.conn.execute(select(i).where(i.c.id == incident_id)).mappings().first()
        return None if row is None else dict(row)

    def close_incident(self, incident_id: int, state: IncidentState, now: datetime, actor: str,
                       resolution: str) -> bool:
        """Close one open incident (resolved or ignored); False when it was not open any more."""
        i = t.incidents
        return bool(self.conn.execute(update(i).where(i.c.id == incident_id, i.c.state == IncidentState.OPEN.value)
                                      .values(state=state.value, resolved_at=now, resolved_by=actor,
                                              resolution=resolution, updated_at=now)).rowcount)

    def resolve_incidents_of_interchanges(self, interchange_ids, now: datetime, resolution: str,
                                          actor: str = "hub") -> int:
        """Resolve the open incidents about these interchanges (their cause was dealt with)."""
        if not interchange_ids:
            return 0
        i = t.incidents
        return self.conn.execute(update(i).where(i.c.interchange_id.in_(list(interchange_ids)),
                                                 i.c.state == IncidentState.OPEN.value)
                                 .values(state=IncidentState.RESOLVED.value, resolved_at=now,
                                         resolved_by=actor, resolution=resolution,
                                         updated_at=now)).rowcount

    def beat(self, name: str, now: datetime, ok: bool = True, detail: str = "") -> None:
        """Note that ``name`` (a worker, a partner's poll) ran now, and how it went."""
        h = t.heartbeats
        values = {"at": now, "ok": ok, "detail": detail[:2000]}
        if not self.conn.execute(update(h).where(h.c.name == name).values(**values)).rowcount:
            self.conn.execute(insert(h).values(name=name, **values))
