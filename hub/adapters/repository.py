"""Orders and purchase orders in the store: bulk writes for intake, aggregate loads and saves.

Core statements on one connection owned by the unit of work. Bulk inserts are single
``executemany`` calls returning the new ids in parameter order (SQLAlchemy's
insertmanyvalues), so a batch of orders costs a handful of round trips.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, bindparam, func, insert, or_, select, update

from hub.adapters import tables as t
from hub.adapters.bookkeeping import Bookkeeping
from hub.domain.model import Address, Customer, Order, OrderLine, PoLine, PurchaseOrder
from hub.domain.states import PO_TRANSITIONS, LineState, OrderState, PoState
from hub.errors import HubError


class ConcurrentUpdateError(HubError):
    """Someone else changed the purchase order between our read and our write."""

    incident_code = "store.concurrent_update"


class Repository(Bookkeeping):
    """Reads and writes the hub's aggregates on one connection (and, inherited, its bookkeeping)."""

    # -- orders ---------------------------------------------------------------------------

    def existing_orders(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, str, str, str]]:
        """For keys already stored: (id, content hash, canonical payload, state)."""
        if not keys:
            return {}
        o = t.orders
        by_channel: dict[str, list[str]] = {}
        for channel, channel_order_id in keys:
            by_channel.setdefault(channel, []).append(channel_order_id)
        # Per channel "channel = ? AND channel_order_id IN (...)": SQLite looks each key up in
        # the unique index; a row-value IN over (channel, channel_order_id) scans every order.
        rows = self.conn.execute(
            select(o.c.channel, o.c.channel_order_id, o.c.id, o.c.content_hash, o.c.payload, o.c.state)
            .where(or_(*(and_(o.c.channel == channel, o.c.channel_order_id.in_(ids))
                         for channel, ids in by_channel.items()))))
        return {(r[0], r[1]): (r[2], r[3], r[4], r[5]) for r in rows}

    def known_customers(self, customer_ids: set[str]) -> set[str]:
        """Customer ids with at least one stored order."""
        if not customer_ids:
            return set()
        o = t.orders
        return set(self.conn.scalars(select(o.c.customer_id).distinct()
                                     .where(o.c.customer_id.in_(customer_ids))))

    def insert_orders(self, orders: list[Order], payloads: list[str], hashes: list[str],
                      now: datetime) -> None:
        """Insert new orders and their lines; set ``id`` on each order and line."""
        if not orders:
            return
        rows = [_order_row(o, p, h, now) for o, p, h in zip(orders, payloads, hashes, strict=True)]
        ids = self.conn.execute(insert(t.orders).returning(t.orders.c.id, sort_by_parameter_order=True),
                                rows).scalars().all()
        line_rows, lines = [], []
        for order, oid in zip(orders, ids, strict=True):
            order.id = oid
            for ln in order.lines:
                lines.append(ln)
                line_rows.append({"order_id": oid, "line_id": ln.line_id, "sku": ln.sku,
                                  "quantity": ln.quantity, "unit_price": ln.unit_price,
                                  "description": ln.description, "candidates": ",".join(ln.candidates)})
        line_ids = self.conn.execute(
            insert(t.order_lines).returning(t.order_lines.c.id, sort_by_parameter_order=True),
            line_rows).scalars().all()
        for ln, lid in zip(lines, line_ids, strict=True):
            ln.id = lid

    def update_orders(self, orders: list[Order], now: datetime) -> None:
        """Write back state, hold reason and routing candidates of stored orders."""
        if not orders:
            return
        self.update_order_states(orders, now)
        lines = [ln for o in orders for ln in o.lines]
        self.conn.execute(update(t.order_lines).where(t.order_lines.c.id == bindparam("lid")),
                          [{"lid": ln.id, "candidates": ",".join(ln.candidates), "cancelled": ln.cancelled}
                           for ln in lines])

    def update_order_states(self, orders: list[Order], now: datetime) -> None:
        """Write back only the state and hold reason of stored orders (their lines are left as stored)."""
        if orders:
            self.conn.execute(update(t.orders).where(t.orders.c.id == bindparam("oid")),
                              [{"oid": o.id, "state": o.state.value, "hold_reason": o.hold_reason,
                                "updated_at": now} for o in orders])

    def rewrite_order_details(self, order: Order, now: datetime) -> None:
        """Write back what an operator may edit: customer contact, ship-to, each line's SKU,
        quantity and description (the payload the channel sent is kept as it was)."""
        row = _order_row(order, "", "", now)
        keep = [k for k in row if k.startswith(("customer_", "ship_"))]
        self.conn.execute(update(t.orders).where(t.orders.c.id == order.id)
                          .values(**{k: row[k] for k in keep}, updated_at=now))
        self.conn.execute(update(t.order_lines).where(t.order_lines.c.id == bindparam("lid")),
                          [{"lid": ln.id, "sku": ln.sku, "quantity": ln.quantity,
                            "description": ln.description, "cancelled": ln.cancelled}
                           for ln in order.lines])

    def get_order(self, order_id: int) -> Order | None:
        """One order with its lines, or None."""
        row = self.conn.execute(select(*_ORDER_COLUMNS).where(t.orders.c.id == order_id)).mappings().first()
        return None if row is None else self._order_with_lines(row)

    def orders_by_id(self, ids: set[int]) -> dict[int, Order]:
        """Orders with their lines, by id, in two queries."""
        if not ids:
            return {}
        o, ol = t.orders, t.order_lines
        heads = self.conn.execute(select(*_ORDER_COLUMNS).where(o.c.id.in_(ids))).mappings().all()
        lines: dict[int, list[OrderLine]] = {h["id"]: [] for h in heads}
        for r in self.conn.execute(select(ol).where(ol.c.order_id.in_(ids)).order_by(ol.c.id)).mappings():
            lines[r["order_id"]].append(_order_line_from(r))
        return {h["id"]: _order_from(h, lines[h["id"]]) for h in heads}

    def find_order(self, channel: str, channel_order_id: str) -> Order | None:
        """An order by its channel and the channel's order id, or None."""
        o = t.orders
        row = self.conn.execute(select(*_ORDER_COLUMNS).where(o.c.channel == channel,
                                                o.c.channel_order_id == channel_order_id)).mappings().first()
        return None if row is None else self._order_with_lines(row)

    def _order_with_lines(self, row) -> Order:
        lines = self.conn.execute(select(t.order_lines).where(t.order_lines.c.order_id == row["id"])
                                  .order_by(t.order_lines.c.id)).mappings()
        return _order_from(row, [_order_line_from(r) for r in lines])

    # -- purchase orders ----------------------------------------------------------------------

    def insert_purchase_orders(self, pos: list[PurchaseOrder], now: datetime) -> None:
        """Insert purchase orders and their lines; set ``id`` on each."""
        if not pos:
            return
        ids = self.conn.execute(
            insert(t.purchase_orders).returning(t.purchase_orders.c.id, sort_by_parameter_order=True),
            [{"order_id": p.order_id, "po_number": p.po_number, "partner_id": p.partner_id,
              "state": p.state.value, "ack_status": p.ack_status, "route_attempt": p.route_attempt,
              "test_mode": p.test_mode, "created_at": p.created_at, "updated_at": now,
              "units": p.quantity_total()}
             for p in pos]).scalars().all()
        line_rows, lines = [], []
        for po, pid in zip(pos, ids, strict=True):
            po.id = pid
            for ln in po.lines:
                lines.append(ln)
                line_rows.append(_po_line_row(ln, pid))
        line_ids = self.conn.execute(
            insert(t.po_lines).returning(t.po_lines.c.id, sort_by_parameter_order=True),
            line_rows).scalars().all()
        for ln, lid in zip(lines, line_ids, strict=True):
            ln.id = lid

    def purchase_orders_of(self, order_id: int) -> list[PurchaseOrder]:
        """Every purchase order of one order, oldest first."""
        rows = self.conn.execute(select(*_PO_COLUMNS).where(t.purchase_orders.c.order_id == order_id)
                                 .order_by(t.purchase_orders.c.id)).mappings().all()
        return [self._po_with_lines(r) for r in rows]

    def purchase_orders_of_orders(self, order_ids: set[int]) -> dict[int, list[PurchaseOrder]]:
        """Every purchase order of each of these orders, oldest first, in two queries."""
        if not order_ids:
            return {}
        p = t.purchase_orders
        heads = self.conn.execute(select(*_PO_COLUMNS).where(p.c.order_id.in_(order_ids)).order_by(p.c.id)).mappings().all()
        found: dict[int, list[PurchaseOrder]] = {oid: [] for oid in order_ids}
        for po in self._with_lines(heads):
            found[po.order_id].append(po)
        return found

    def find_purchase_order(self, po_number: str) -> PurchaseOrder | None:
        """A purchase order by its number, or None."""
        p = t.purchase_orders
        row = self.conn.execute(select(*_PO_COLUMNS).where(p.c.po_number == po_number)).mappings().first()
        return None if row is None else self._po_with_lines(row)

    def _po_with_lines(self, row) -> PurchaseOrder:
        return self._with_lines([row])[0]

    def orders_of_purchase_orders(self, numbers: set[str], ids: set[int] = frozenset()) -> set[int]:
        """The orders of the purchase orders with these PO numbers or ids (unknown ones are left out)."""
        p = t.purchase_orders
        found: set[int] = set()
        for column, values in ((p.c.po_number, numbers), (p.c.id, ids)):
            if values:
                found.update(self.conn.execute(select(p.c.order_id).where(column.in_(values))).scalars())
        return found

    def purchase_orders_by_id(self, ids: set[int]) -> dict[int, PurchaseOrder]:
        """Purchase orders (with lines) by id, in two queries."""
        if not ids:
            return {}
        p = t.purchase_orders
        heads = self.conn.execute(select(*_PO_COLUMNS).where(p.c.id.in_(ids))).mappings().all()
        return {po.id: po for po in self._with_lines(heads)}

    def _with_lines(self, heads) -> list[PurchaseOrder]:
        ln = t.po_lines
        lines: dict[int, list[PoLine]] = {h["id"]: [] for h in heads}
        if lines:
            for r in self.conn.execute(select(ln).where(ln.c.purchase_order_id.in_(list(lines)))
                                       .order_by(ln.c.line_number)).mappings():
                lines[r["purchase_order_id"]].append(_po_line_from(r))
        return [_po_from(h, lines[h["id"]]) for h in heads]

    def save_purchase_orders(self, pos: list[PurchaseOrder], now: datetime,
                             stamps: dict[int, dict[str, datetime]] | None = None) -> None:
        """Write back several loaded purchase orders; refuse if any changed meanwhile."""
        if not pos:
            return
        stamps = stamps or {}
        p = t.purchase_orders
        by_stamp: dict[tuple, list[dict]] = {}
        for po in pos:
            extra = stamps.get(po.id, {})
            by_stamp.setdefault(tuple(sorted(extra)), []).append(
                {"pid": po.id, "v": po.version, "state": po.state.value, "ack_status": po.ack_status,
                 "updated_at": now, "version": po.version + 1, "units": po.quantity_total(), **extra})
        changed = 0
        for keys, rows in by_stamp.items():
            # Stamps keep the first arrival: a second 855 does not move poack_at.
            first = {k: func.coalesce(p.c[k], bindparam(f"s_{k}")) for k in keys}
            for row in rows:
                for k in keys:
                    row[f"s_{k}"] = row.pop(k)
            changed += self.conn.execute(update(p).where(p.c.id == bindparam("pid"),
                                                         p.c.version == bindparam("v")).values(**first),
                                         rows).rowcount
        if changed != len(pos):
            raise ConcurrentUpdateError("a purchase order changed while its answers were applied; "
                                        "the batch is applied again")
        for po in pos:
            po.version += 1
        # Only what a line's life changes is written back: what it orders, and from whom, is
        # fixed when the purchase order is made (binding the rest cost a third of the save).
        self.conn.execute(update(t.po_lines).where(t.po_lines.c.id == bindparam("lid")),
                          [{"lid": ln.id, **_po_line_progress(ln)} for po in pos for ln in po.lines])

    def set_purchase_order_states(self, changes: list[tuple[int, PoState]], now: datetime) -> None:
        """Set the state of purchase orders by id (bulk, no version check: intake-time only)."""
        if changes:
            self.conn.execute(update(t.purchase_orders).where(t.purchase_orders.c.id == bindparam("pid")),
                              [{"pid": pid, "state": s.value, "updated_at": now} for pid, s in changes])

    def advance_purchase_orders(self, ids: list[int], wanted: PoState, now: datetime,
                                stamp: str | None = None) -> int:
        """Move purchase orders to ``wanted`` where the transition table allows it; return how many."""
        if not ids:
            return 0
        sources = [s.value for s, nxt in PO_TRANSITIONS.items() if wanted in nxt]
        p = t.purchase_orders
        values = {"state": wanted.value, "updated_at": now, "version": p.c.version + 1}
        if stamp:
            values[stamp] = now
        return self.conn.execute(update(p).where(p.c.id.in_(ids), p.c.state.in_(sources))
                                 .values(**values)).rowcount

    def units_booked_since(self, since: datetime) -> dict[str, int]:
        """Units on live purchase orders created since ``since``, per supplier."""
        p = t.purchase_orders
        dead = (PoState.CANCELLED, PoState.FAILED, PoState.REJECTED)
        # Grouped by an expression, not the bare column: grouping by partner_id leads SQLite to
        # walk the partner index over every purchase order ever made instead of searching the
        # day's range of created_at (coalesce changes nothing: partner_id is never null).
        # units is written with the lines, so the index ix_purchase_orders_booked holds it all.
        partner = func.coalesce(p.c.partner_id, "")
        rows = self.conn.execute(
            select(partner, func.sum(p.c.units))
            .where(p.c.created_at >= since, p.c.state.not_in([s.value for s in dead]))
            .group_by(partner))
        return {partner_id: int(units) for partner_id, units in rows}

    def purchase_orders_awaiting_answers(self) -> list[dict]:
        """Sent purchase orders still expecting a 997, 855 or 856 (not shipped, closed or failed)."""
        p = t.purchase_orders
        waiting = (PoState.SENT, PoState.ACKNOWLEDGED, PoState.ACCEPTED, PoState.PARTIALLY_SHIPPED)
        rows = self.conn.execute(select(p.c.id, p.c.po_number, p.c.partner_id, p.c.order_id,
                                        p.c.sent_at, p.c.acked_at, p.c.poack_at, p.c.shipped_at)
                                 .where(p.c.state.in_([s.value for s in waiting])))
        return [dict(r) for r in rows.mappings()]


# What loading an order or a purchase order reads: not the payload as received nor the
# bookkeeping stamps, which no domain object holds (they are much of a row's decoding time).
_ORDER_COLUMNS = [c for c in t.orders.c if c.name not in ("received_at", "content_hash", "payload", "updated_at")]
_PO_COLUMNS = [c for c in t.purchase_orders.c
               if c.name not in ("sent_at", "acked_at", "poack_at", "shipped_at", "updated_at", "units")]


def _order_row(o: Order, payload: str, digest: str, now: datetime) -> dict:
    c, s = o.customer, o.ship_to
    return {"channel": o.channel, "channel_order_id": o.channel_order_id, "placed_at": o.placed_at,
            "received_at": now, "currency": o.currency, "customer_id": c.id, "customer_name": c.name,
            "customer_email": c.email, "customer_phone": c.phone, "prepaid": c.prepaid,
            "ship_name": s.name, "ship_address1": s.address1, "ship_address2": s.address2,
            "ship_city": s.city, "ship_state": s.state, "ship_postal_code": s.postal_code,
            "ship_country": s.country, "state": o.state.value, "hold_reason": o.hold_reason,
            "content_hash": digest, "payload": payload, "updated_at": now}


def _order_from(r, lines: list[OrderLine]) -> Order:
    return Order(channel=r["channel"], channel_order_id=r["channel_order_id"], placed_at=r["placed_at"],
                 currency=r["currency"],
                 customer=Customer(r["customer_id"], r["customer_name"], r["customer_email"],
                                   r["customer_phone"], r["prepaid"]),
                 ship_to=Address(r["ship_name"], r["ship_address1"], r["ship_address2"], r["ship_city"],
                                 r["ship_state"], r["ship_postal_code"], r["ship_country"]),
                 lines=lines, id=r["id"], state=OrderState(r["state"]), hold_reason=r["hold_reason"],
                 requested_delivery=r.get("requested_delivery"))


def _po_from(row, lines: list[PoLine]) -> PurchaseOrder:
    return PurchaseOrder(po_number=row["po_number"], partner_id=row["partner_id"],
                         order_id=row["order_id"], lines=lines, created_at=row["created_at"],
                         id=row["id"], state=PoState(row["state"]), ack_status=row["ack_status"],
                         route_attempt=row["route_attempt"], test_mode=row["test_mode"],
                         version=row["version"])


def _order_line_from(r) -> OrderLine:
    return OrderLine(line_id=r["line_id"], sku=r["sku"], quantity=r["quantity"],
                     unit_price=r["unit_price"], description=r["description"], id=r["id"],
                     candidates=tuple(x for x in r["candidates"].split(",") if x),
                     cancelled=r["cancelled"])


def _po_line_row(ln: PoLine, po_id: int) -> dict:
    return {"purchase_order_id": po_id, "order_line_id": ln.order_line_id, "line_number": ln.line_number,
            "sku": ln.sku, "supplier_item": ln.supplier_item, "description": ln.description,
            "unit_cost": ln.unit_cost, "uom": ln.uom, **_po_line_progress(ln)}


def _po_line_progress(ln: PoLine) -> dict:
    """What a purchase-order line's life changes (saved back); the rest is fixed when it is made."""
    return {"quantity": ln.quantity, "state": ln.state.value, "qty_accepted": ln.qty_accepted,
            "qty_rejected": ln.qty_rejected, "qty_backordered": ln.qty_backordered,
            "qty_shipped": ln.qty_shipped, "promised_date": ln.promised_date}


def _po_line_from(r) -> PoLine:
    return PoLine(line_number=r["line_number"], order_line_id=r["order_line_id"], sku=r["sku"],
                  supplier_item=r["supplier_item"], description=r["description"],
                  quantity=r["quantity"], unit_cost=r["unit_cost"], uom=r["uom"], id=r["id"],
                  state=LineState(r["state"]), qty_accepted=r["qty_accepted"],
                  qty_rejected=r["qty_rejected"], qty_backordered=r["qty_backordered"],
                  qty_shipped=r["qty_shipped"], promised_date=r["promised_date"])
