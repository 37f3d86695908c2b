"""The outbox: outbound interchanges claimed by workers under a lease, then marked done.

A worker claims due rows in a short transaction (PostgreSQL: ``FOR UPDATE SKIP LOCKED``,
so concurrent workers get disjoint rows), commits the lease, sends, and records the result
in a second transaction. A worker that dies leaves a lease that expires; the next worker
re-sends, and the transport recognises a file that already arrived. A worker that was only
stopped and wakes after its lease was taken over finds out (``renew``, ``held``: the claim's
owner and attempt number are its fencing token) and leaves the row alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, bindparam, or_, select, update

from hub.adapters import tables as t
from hub.domain.states import InterchangeState

_Q = InterchangeState.QUEUED.value


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One outbound interchange a worker has claimed."""

    id: int
    partner_id: str | None
    channel: str | None
    doc_type: str
    control_number: str | None
    purchase_order_id: int | None
    filename: str
    content_type: str
    payload: bytes
    attempts: int      # this attempt's number: 1 for the first delivery attempt


class Outbox:
    """Claims and settles outbound interchanges on one connection."""

    def __init__(self, conn: Connection):
        self.conn = conn

    def claim(self, now: datetime, owner: str, lease: timedelta, limit: int = 50,
              partner_ids: list[str] | None = None) -> list[OutboxItem]:
        """Lease up to ``limit`` due interchanges to ``owner``; oldest first."""
        i = t.interchanges
        due = [i.c.state == _Q, i.c.direction == "out",
               or_(i.c.next_attempt_at.is_(None), i.c.next_attempt_at <= now),
               or_(i.c.lease_until.is_(None), i.c.lease_until < now)]
        if partner_ids is not None:
            due.append(i.c.partner_id.in_(partner_ids))
        q = (select(i.c.id, i.c.partner_id, i.c.channel, i.c.doc_type, i.c.control_number,
                    i.c.purchase_order_id, i.c.filename, i.c.content_type, i.c.payload,
                    (i.c.attempts + 1).label("attempt"))
             .where(and_(*due)).order_by(i.c.id).limit(limit))
        if self.conn.dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True)
        items = [OutboxItem(*row) for row in self.conn.execute(q)]
        if items:
            self.conn.execute(update(i).where(i.c.id.in_([x.id for x in items]))
                              .values(lease_owner=owner, lease_until=now + lease,
                                      attempts=i.c.attempts + 1))
        return items

    def renew(self, item_id: int, owner: str, attempt: int, until: datetime) -> bool:
        """Extend ``owner``'s lease on a row if it still holds it under that claim; False if
        another worker has claimed it since (or it is no longer queued).

        ``attempts`` grows with every claim, so with the owner it names one claim: it is the
        fencing token that tells a worker whether its claim is still the current one.
        """
        i = t.interchanges
        return self.conn.execute(update(i).where(
            i.c.id == item_id, i.c.state == _Q, i.c.lease_owner == owner, i.c.attempts == attempt)
            .values(lease_until=until)).rowcount == 1

    def held(self, claims: list[tuple[int, int]], owner: str) -> set[int]:
        """Of ``(id, attempt)`` claims, the ids ``owner`` still holds under that same claim.

        On PostgreSQL the rows stay locked until the transaction ends, so what is recorded
        for them in it cannot race another worker's claim (SQLite's write lock does the same).
        """
        if not claims:
            return set()
        i = t.interchanges
        wanted = dict(claims)
        q = select(i.c.id, i.c.attempts).where(i.c.id.in_(list(wanted)), i.c.state == _Q,
                                                i.c.lease_owner == owner)
        if self.conn.dialect.name == "postgresql":
            q = q.with_for_update()
        return {item_id for item_id, attempts in self.conn.execute(q) if wanted[item_id] == attempts}

    def mark_sent_many(self, receipts: list[tuple[int, dict]], now: datetime) -> set[int]:
        """Record several deliveries in one statement; return the ids that were still queued."""
        if not receipts:
            return set()
        i = t.interchanges
        ids = [item_id for item_id, _ in receipts]
        still = set(self.conn.scalars(select(i.c.id).where(i.c.id.in_(ids), i.c.state == _Q)))
        rows = [{"iid": item_id, "receipt": json.dumps(r, default=str),
                 "remote_name": str(r.get("remote_name", ""))} for item_id, r in receipts if item_id in still]
        if rows:
            self.conn.execute(update(i).where(i.c.id == bindparam("iid")).values(
                state=InterchangeState.SENT.value, done_at=now, last_error="", lease_owner=None,
                lease_until=None), rows)
        return still

    def unarchived(self, limit: int) -> list:
        """Sent documents with no archive copy yet (rows with id, filename, payload, done_at)."""
        i = t.interchanges
        return self.conn.execute(select(i.c.id, i.c.filename, i.c.payload, i.c.done_at)
                                 .where(i.c.direction == "out", i.c.state == InterchangeState.SENT.value,
                                        i.c.archive_path == "").order_by(i.c.id).limit(limit)).all()

    def set_archive_paths(self, paths: list[tuple[int, str]]) -> None:
        """Note where each document's archive copy is."""
        if paths:
            i = t.interchanges
            self.conn.execute(update(i).where(i.c.id == bindparam("iid")),
                              [{"iid": iid, "archive_path": path} for iid, path in paths])

    def mark_retry(self, item_id: int, error: str, next_attempt_at: datetime) -> None:
        """Keep the row queued, due again at ``next_attempt_at``."""
        i = t.interchanges
        self.conn.execute(update(i).where(i.c.id == item_id, i.c.state == _Q).values(
            last_error=error, next_attempt_at=next_attempt_at, lease_owner=None, lease_until=None))

    def mark_failed(self, item_id: int, error: str, now: datetime) -> None:
        """Give up on a row: it stays in the store, failed, until an operator requeues it."""
        i = t.interchanges
        self.conn.execute(update(i).where(i.c.id == item_id, i.c.state == _Q).values(
            state=InterchangeState.FAILED.value, last_error=error, done_at=now,
            lease_owner=None, lease_until=None))

    # -- what operators do to outbound documents --------------------------------------------

    def get(self, item_id: int) -> dict | None:
        """One interchange row (either direction), or None."""
        i = t.interchanges
        row = self.conn.execute(select(i).where(i.c.id == item_id)).mappings().first()
        return None if row is None else dict(row)

    def requeue(self, item_id: int, now: datetime) -> bool:
        """A failed document queued again as it is, or a waiting one made due now: False when
        the row is neither (or a worker is sending it right now)."""
        i = t.interchanges
        idle = or_(i.c.lease_until.is_(None), i.c.lease_until < now)
        # The retry budget starts again. Lowering ``attempts`` leaves fencing sound: a claim is
        # (owner, attempt), and a worker held up with an old claim on this row cannot claim it
        # anew before that attempt has ended, so no new claim can carry its token.
        return bool(self.conn.execute(
            update(i).where(i.c.id == item_id, i.c.direction == "out", idle,
                            i.c.state.in_([InterchangeState.FAILED.value, _Q]))
            .values(state=_Q, next_attempt_at=now, attempts=0, done_at=None,
                    lease_owner=None, lease_until=None)).rowcount)

    def due_now(self, partner_id: str, now: datetime) -> int:
        """Every document waiting for a partner (backoff) made due now; return how many."""
        i = t.interchanges
        return self.conn.execute(update(i).where(i.c.direction == "out", i.c.partner_id == partner_id,
                                                 i.c.state == _Q, i.c.next_attempt_at > now)
                                 .values(next_attempt_at=now)).rowcount

    def withdraw(self, item_ids: list[int], now: datetime) -> int:
        """Cancel documents that have not left (queued and not being sent, or failed)."""
        if not item_ids:
            return 0
        i = t.interchanges
        idle = or_(i.c.lease_until.is_(None), i.c.lease_until < now)
        return self.conn.execute(
            update(i).where(i.c.id.in_(item_ids), i.c.direction == "out", idle,
                            i.c.state.in_([InterchangeState.FAILED.value, _Q]))
            .values(state=InterchangeState.CANCELLED.value, done_at=now, lease_owner=None,
                    lease_until=None)).rowcount

    def copy_for_resend(self, item: dict, now: datetime) -> dict:
        """A new outbox row carrying the same bytes as ``item`` (a notification sent again)."""
        keep = ("partner_id", "channel", "doc_type", "control_number", "purchase_order_id", "filename",
                "content_type", "payload", "sha256", "size")
        return {**{k: item[k] for k in keep}, "direction": "out", "state": _Q, "created_at": now,
                "next_attempt_at": now, "resend_of": item["id"]}

    def documents_of(self, purchase_order_ids: list[int]) -> list[dict]:
        """Outbound documents about these purchase orders (id, state, doc type, lease)."""
        if not purchase_order_ids:
            return []
        i = t.interchanges
        return [dict(r) for r in self.conn.execute(
            select(i.c.id, i.c.state, i.c.doc_type, i.c.purchase_order_id, i.c.lease_until, i.c.partner_id)
            .where(i.c.direction == "out", i.c.purchase_order_id.in_(purchase_order_ids))).mappings()]

    def latest_resend(self, item_id: int) -> int | None:
        """The newest document queued as a resend of ``item_id``."""
        i = t.interchanges
        return self.conn.scalar(select(i.c.id).where(i.c.resend_of == item_id).order_by(i.c.id.desc()).limit(1))

    def pending_resend(self, item_id: int) -> int | None:
        """A resend of ``item_id`` that has not left yet (queued), if any."""
        i = t.interchanges
        return self.conn.scalar(select(i.c.id).where(i.c.resend_of == item_id, i.c.state == _Q).limit(1))
