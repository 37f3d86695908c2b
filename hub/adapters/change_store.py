"""Changes from the channel in the store: one row per change (order_changes) and one per
purchase order it reaches (po_changes), with what each supplier was sent and answered."""

from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import Connection, bindparam, func, insert, select, update

from hub.adapters import tables as t
from hub.domain.states import InterchangeState

_PO_DOCUMENTS = ("850", "xml-po", "860", "xml-change")


class ChangeStore:
    """Reads and writes order and purchase-order changes on one connection."""

    def __init__(self, conn: Connection):
        self.conn = conn

    def find(self, order_id: int, change_id: str) -> dict | None:
        """The stored change with this id on this order, or None."""
        c = t.order_changes
        row = self.conn.execute(select(c).where(c.c.order_id == order_id, c.c.change_id == change_id)
                                ).mappings().first()
        return None if row is None else dict(row)

    def get(self, order_change_id: int) -> dict | None:
        """One stored change by its row id, or None."""
        c = t.order_changes
        row = self.conn.execute(select(c).where(c.c.id == order_change_id)).mappings().first()
        return None if row is None else dict(row)

    def add(self, row: dict) -> int:
        """Store a new change; return its row id (IntegrityError when the id is taken)."""
        return self.conn.execute(insert(t.order_changes).returning(t.order_changes.c.id), row).scalar_one()

    def update(self, order_change_id: int, **values) -> None:
        """Change columns of one stored change."""
        c = t.order_changes
        self.conn.execute(update(c).where(c.c.id == order_change_id).values(**values))

    def add_po_changes(self, rows: list[dict]) -> list[int]:
        """Store purchase-order changes; return their ids in order."""
        if not rows:
            return []
        p = t.po_changes
        return list(self.conn.execute(insert(p).returning(p.c.id, sort_by_parameter_order=True),
                                      rows).scalars().all())

    def po_change(self, po_change_id: int) -> dict | None:
        """One purchase-order change (with its PO's number, partner and order), or None."""
        rows = self._po_changes(t.po_changes.c.id == po_change_id)
        return rows[0] if rows else None

    def po_changes_of(self, order_change_id: int) -> list[dict]:
        """Every purchase-order change of one change, oldest first."""
        return self._po_changes(t.po_changes.c.order_change_id == order_change_id)

    def by_interchanges(self, interchange_ids: list[int]) -> list[dict]:
        """The purchase-order changes sent as these interchanges."""
        if not interchange_ids:
            return []
        return self._po_changes(t.po_changes.c.interchange_id.in_(interchange_ids))

    def of_purchase_order(self, po_number: str) -> list[dict]:
        """Every change of one purchase order (by its number), oldest first."""
        return self._po_changes(t.purchase_orders.c.po_number == po_number)

    def _po_changes(self, condition) -> list[dict]:
        p, po = t.po_changes, t.purchase_orders
        rows = self.conn.execute(select(p, po.c.po_number, po.c.partner_id, po.c.order_id)
                                 .join(po, po.c.id == p.c.purchase_order_id)
                                 .where(condition).order_by(p.c.id)).mappings()
        return [_decoded(r) for r in rows]

    def update_po_change(self, po_change_id: int, **values) -> None:
        """Change columns of one purchase-order change (``lines`` given as a list)."""
        if "lines" in values:
            values["lines"] = json.dumps(values["lines"])
        p = t.po_changes
        self.conn.execute(update(p).where(p.c.id == po_change_id).values(**values))

    def next_sequences(self, po_ids: list[int]) -> dict[int, int]:
        """Per purchase order, the number its next change document gets (1 for the first)."""
        if not po_ids:
            return {}
        p = t.po_changes
        rows = self.conn.execute(select(p.c.purchase_order_id, func.max(p.c.sequence))
                                 .where(p.c.purchase_order_id.in_(po_ids)).group_by(p.c.purchase_order_id))
        found = {pid: (top or 0) + 1 for pid, top in rows}
        return {pid: found.get(pid, 1) for pid in po_ids}

    def last_documents(self, po_ids: list[int]) -> dict[int, str]:
        """Per purchase order, the control number of the newest order or change document
        that went (or goes) out about it."""
        if not po_ids:
            return {}
        i = t.interchanges
        rows = self.conn.execute(select(i.c.purchase_order_id, i.c.control_number)
                                 .where(i.c.purchase_order_id.in_(po_ids), i.c.direction == "out",
                                        i.c.doc_type.in_(_PO_DOCUMENTS),
                                        i.c.state != InterchangeState.CANCELLED.value)
                                 .order_by(i.c.id))
        return {pid: number or "" for pid, number in rows}

    def awaiting_answers(self) -> list[dict]:
        """Purchase-order changes delivered and waiting for the supplier's answer, with their
        purchase order's number, partner and order."""
        p, po = t.po_changes, t.purchase_orders
        rows = self.conn.execute(select(p.c.id, p.c.sent_at, p.c.acked_at, po.c.po_number, po.c.partner_id,
                                        po.c.order_id, po.c.id.label("purchase_order_id"))
                                 .join(po, po.c.id == p.c.purchase_order_id)
                                 .where(p.c.state == "sent"))
        return [dict(r) for r in rows.mappings()]

    def set_requested_delivery(self, order_id: int, when: date | None, now: datetime) -> None:
        """Note the delivery date the customer now asks for."""
        o = t.orders
        self.conn.execute(update(o).where(o.c.id == order_id).values(requested_delivery=when, updated_at=now))

    def set_states(self, rows: list[tuple[int, str]], now: datetime) -> None:
        """Set the state of several stored changes: (row id, state)."""
        if rows:
            c = t.order_changes
            self.conn.execute(update(c).where(c.c.id == bindparam("cid")),
                              [{"cid": cid, "state": state, "updated_at": now} for cid, state in rows])


def _decoded(row) -> dict:
    out = dict(row)
    out["lines"] = json.loads(out["lines"] or "[]")
    return out
