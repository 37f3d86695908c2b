"""What inbound processing reads and writes: received interchanges, acks, shipments, order lines."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, bindparam, insert, select, update

from hub.adapters import tables as t
from hub.domain.states import InterchangeState


class InboundStore:
    """Received interchanges and the records answers leave behind, on one connection."""

    def __init__(self, conn: Connection):
        self.conn = conn

    def first_with_sha(self, sha: str) -> dict | None:
        """The earliest inbound row holding exactly these bytes and not refused, if any:
        id, state, partner_id, doc_type, control_number, purchase_order_id.

        A refused file (unknown sender, misrouted) is not an original: the same bytes sent
        again after the cause was fixed are read again.
        """
        i = t.interchanges
        row = self.conn.execute(select(i.c.id, i.c.state, i.c.partner_id, i.c.doc_type,
                                       i.c.control_number, i.c.purchase_order_id).where(
            i.c.direction == "in", i.c.sha256 == sha,
            i.c.state.not_in([InterchangeState.DUPLICATE.value, InterchangeState.REJECTED.value]))
            .order_by(i.c.id).limit(1)).mappings().first()
        return None if row is None else dict(row)

    def seen_control(self, partner_id: str, control: str) -> tuple[int, str, str] | None:
        """(id, sha256, state) of the live inbound interchange with this ISA13 from the partner
        (duplicates and refused envelopes do not count: they never took the number)."""
        i = t.interchanges
        row = self.conn.execute(select(i.c.id, i.c.sha256, i.c.state).where(
            i.c.direction == "in", i.c.partner_id == partner_id, i.c.doc_type == "X12",
            i.c.control_number == control,
            i.c.state.not_in([InterchangeState.DUPLICATE.value, InterchangeState.REJECTED.value]))).first()
        return None if row is None else (row[0], row[1], row[2])

    def unsettled(self, archive_path: str) -> list[int]:
        """Ids of the rows a file opened and did not settle (still "received")."""
        i = t.interchanges
        return list(self.conn.scalars(select(i.c.id).where(
            i.c.direction == "in", i.c.archive_path == archive_path,
            i.c.state == InterchangeState.RECEIVED.value).order_by(i.c.id)))

    def reopen(self, interchange_id: int) -> None:
        """Take a processed interchange up again (an operator's reprocess): "received" until
        its answers are applied once more (applying an answer twice changes nothing)."""
        i = t.interchanges
        self.conn.execute(update(i).where(i.c.id == interchange_id)
                          .values(state=InterchangeState.RECEIVED.value, done_at=None))

    def add(self, **row) -> int:
        """Insert one inbound interchange row; return its id."""
        row.setdefault("direction", "in")
        return self.conn.execute(insert(t.interchanges).returning(t.interchanges.c.id), row).scalar_one()

    def add_transaction_sets(self, rows: list[dict]) -> None:
        """Record the sets of received interchanges and the purchase orders they are about."""
        if rows:
            self.conn.execute(insert(t.transaction_sets), rows)

    def settle(self, interchange_id: int, state: InterchangeState, now: datetime, error: str = "") -> None:
        """Mark an inbound interchange processed, rejected or duplicate."""
        i = t.interchanges
        self.conn.execute(update(i).where(i.c.id == interchange_id).values(
            state=state.value, done_at=now, last_error=error[:4000]))

    def sent_sets(self, partner_id: str, group_controls: set[str]) -> dict[tuple[str, str], tuple[int, int, str]]:
        """Our 850s and 860s to a partner by (GS06, ST02): (interchange id, purchase order id,
        document type)."""
        if not group_controls:
            return {}
        i = t.interchanges
        rows = self.conn.execute(select(i.c.group_control, i.c.set_control, i.c.id, i.c.purchase_order_id,
                                        i.c.doc_type)
                                 .where(i.c.direction == "out", i.c.partner_id == partner_id,
                                        i.c.group_control.in_(group_controls)))
        return {(r[0], r[1]): (r[2], r[3], r[4]) for r in rows}

    def record_acks(self, verdicts: list[tuple[int, str, int]]) -> None:
        """Note a 997/999 verdict on our interchanges: (our interchange id, status, the 997's id)."""
        if verdicts:
            i = t.interchanges
            self.conn.execute(update(i).where(i.c.id == bindparam("iid")),
                              [{"iid": a, "ack_status": s, "ack_interchange_id": b} for a, s, b in verdicts])

    def shipment_exists(self, pairs: set[tuple[int, str]]) -> set[tuple[int, str]]:
        """Which (purchase order id, shipment id) pairs are already recorded."""
        if not pairs:
            return set()
        s = t.shipments
        rows = self.conn.execute(select(s.c.purchase_order_id, s.c.shipment_id)
                                 .where(s.c.purchase_order_id.in_({p for p, _ in pairs})))
        return {tuple(r) for r in rows} & pairs

    def add_shipments(self, rows: list[dict], lines: list[list[dict]]) -> list[int]:
        """Insert shipments and, for each, its lines and its tracking numbers (each a row of
        its own, so that a number finds its shipment); return the shipment ids."""
        if not rows:
            return []
        # Matched back by (purchase order, shipment id), unique within a batch: RETURNING in
        # parameter order would make SQLite insert one row per statement.
        s = t.shipments
        found = {(po, sid): row_id for row_id, po, sid in self.conn.execute(
            insert(s).returning(s.c.id, s.c.purchase_order_id, s.c.shipment_id), rows)}
        ids = [found[(r["purchase_order_id"], r["shipment_id"])] for r in rows]
        flat = [{**ln, "shipment_id": sid} for sid, group in zip(ids, lines, strict=True) for ln in group]
        if flat:
            self.conn.execute(insert(t.shipment_lines), flat)
        tracking = [{"shipment_id": sid, "tracking_number": number} for sid, row in zip(ids, rows, strict=True)
                    for number in dict.fromkeys(row.get("tracking_numbers", "").split(",")) if number]
        if tracking:
            self.conn.execute(insert(t.shipment_tracking), tracking)
        return ids

    def add_line_acks(self, rows: list[dict]) -> None:
        """Keep each 855 line status as received (the history behind the PO line's quantities)."""
        if rows:
            self.conn.execute(insert(t.line_acks), rows)

    def order_lines_of(self, order_ids: set[int]) -> dict[int, list[dict]]:
        """Order lines (id, line_id, sku, quantity, candidates) per order."""
        ol = t.order_lines
        out: dict[int, list[dict]] = {oid: [] for oid in order_ids}
        if order_ids:
            for r in self.conn.execute(select(ol).where(ol.c.order_id.in_(order_ids))
                                       .order_by(ol.c.id)).mappings():
                out[r["order_id"]].append(dict(r))
        return out
