"""Read models of orders: find one by any reference, describe it for people and programs."""

from __future__ import annotations

import json
from datetime import datetime
from dataclasses import dataclass

from sqlalchemy import Connection, and_, func, literal_column, or_, select

from hub.adapters import tables as t
from hub.adapters.archive import SUFFIXES
from hub.adapters.as2_store import message_key
from hub.domain.states import InterchangeState
from hub.views.common import iso as _iso
from hub.views.incidents import audit_entries

# The kinds of reference an operator may name explicitly as ``kind:value``.
REFERENCE_KINDS = ("id", "order", "po", "control", "tracking", "shipment", "customer")
MAX_MATCHES = 50


@dataclass(frozen=True, slots=True)
class OrderMatch:
    """One way a reference names an order: the order, what matched and whose it is."""

    order_id: int
    order: str            # channel/channel_order_id
    state: str
    kind: str             # "order id", "ISA13 of the 850 sent to acme", ...
    partner: str = ""     # the partner whose number it is, for control numbers and POs


def find_orders(conn: Connection, ref: str) -> list[OrderMatch]:
    """Every order a reference may mean, tried as every kind of id, with what matched.

    ``ref`` is an order id, ``channel/channel_order_id``, a channel order id, a PO number, a
    control number (ISA13, GS06 or ST02, of a document we sent or one a partner sent about
    the order, with or without leading zeros, or an AS2 Message-ID), a tracking number, a
    supplier's shipment id, or a customer's e-mail or name (or part of it).
    ``kind:value`` (kinds: id, order, po, control, tracking, shipment, customer) tries one kind only.
    Control numbers repeat across partners, so more than one order may match: the caller
    must then let the person choose, never pick one.
    """
    ref = ref.strip()
    kind, sep, value = ref.partition(":")
    only = kind.lower() if sep and kind.lower() in REFERENCE_KINDS else None
    value = value.strip() if only else ref
    if not value:
        return []
    matches: list[tuple[int, str, str]] = []
    for name, label, query in _lookups(value, conn.dialect.name):
        if only in (None, name):
            matches += [(oid, label.format(doc=doc, partner=partner), partner or "")
                        for oid, doc, partner in conn.execute(query.limit(MAX_MATCHES))]
    if not matches:
        return []
    o = t.orders
    heads = {r.id: r for r in conn.execute(select(o.c.id, o.c.channel, o.c.channel_order_id, o.c.state)
                                           .where(o.c.id.in_({m[0] for m in matches})))}
    out = []
    for oid, what, partner in dict.fromkeys(matches):
        if oid in heads:
            h = heads[oid]
            out.append(OrderMatch(oid, f"{h.channel}/{h.channel_order_id}", h.state, what, partner))
    return out


def matched_orders(matches: list[OrderMatch]) -> list[int]:
    """The distinct orders among matches, in the order found."""
    return list(dict.fromkeys(m.order_id for m in matches))


# An AS2 message and a document it carried (both interchanges); made once: an alias of a
# wide table takes longer to make than the search takes to run.
_AS2, _CARRIED = t.interchanges.alias("as2"), t.interchanges.alias("carried")


def _lookups(ref: str, dialect: str):
    """(kind, label, query) triples; each query yields (order id, document type, partner).

    Each is an index lookup (see migration 0004), so a search costs the same on any size of store.
    """
    o, p, i, ts, s, st = (t.orders, t.purchase_orders, t.interchanges, t.transaction_sets, t.shipments,
                          t.shipment_tracking)
    none = literal_column("NULL")
    if ref.isdigit() and not ref.startswith("0"):
        yield "id", "order id", select(o.c.id, none, none).where(o.c.id == int(ref))
    if "/" in ref:
        channel, _, coid = ref.partition("/")
        yield "order", "channel/order id", select(o.c.id, none, none).where(
            o.c.channel == channel, o.c.channel_order_id == coid)
    yield "order", "channel order id", select(o.c.id, none, none).where(o.c.channel_order_id == ref)
    yield "po", "PO number (to {partner})", select(p.c.order_id, none, p.c.partner_id).where(p.c.po_number == ref)
    numbers = _control_forms(ref)
    # Documents we sent a partner about a PO (850s, XML POs; not notifications to channels).
    for column, what in ((i.c.control_number, "ISA13 / document number"), (i.c.group_control, "GS06"),
                         (i.c.set_control, "ST02")):
        yield "control", what + " of the {doc} sent to {partner}", (
            select(p.c.order_id, i.c.doc_type, i.c.partner_id).join(p, p.c.id == i.c.purchase_order_id)
            .where(i.c.direction == "out", i.c.partner_id.is_not(None), column.in_(numbers)))
    # Documents partners sent: their ISA13, and each set's GS06/ST02 (or an XML answer's own id).
    yield "control", "ISA13 of the {doc} received from {partner}", (
        select(p.c.order_id, ts.c.set_id, i.c.partner_id)
        .join(ts, ts.c.interchange_id == i.c.id).join(p, p.c.id == ts.c.purchase_order_id)
        .where(i.c.direction == "in", i.c.control_number.in_(numbers)))
    for column, what in ((ts.c.group_control, "GS06"), (ts.c.set_control, "ST02 / document id")):
        yield "control", what + " of the {doc} received from {partner}", (
            select(p.c.order_id, ts.c.set_id, p.c.partner_id).join(ts, ts.c.purchase_order_id == p.c.id)
            .where(column.in_(numbers)))
    yield "tracking", "tracking number (shipped by {partner})", (
        select(p.c.order_id, none, p.c.partner_id).join(s, s.c.purchase_order_id == p.c.id)
        .join(st, st.c.shipment_id == s.c.id).where(st.c.tracking_number == ref))
    yield "customer", "customer e-mail", select(o.c.id, none, none).where(
        func.lower(o.c.customer_email) == ref.lower()).order_by(o.c.id.desc())
    if len(ref) >= 3:
        yield "customer", "customer name", select(o.c.id, none, none).where(
            _starts_with(func.lower(o.c.customer_name), ref.lower(), dialect)).order_by(o.c.id.desc())
    # An AS2 Message-ID: the documents it carried were archived beside it, as
    # <message>.payload.<extension> (hub.adapters.archive), and are found by that exact name.
    a, j = _AS2, _CARRIED
    beside = func.replace(a.c.archive_path, ".as2", ".payload.")
    yield "control", "AS2 Message-ID of the {doc} received from {partner}", (
        select(p.c.order_id, ts.c.set_id, a.c.partner_id)
        .join(j, j.c.archive_path.in_([beside + suffix for suffix in SUFFIXES]))
        .join(ts, ts.c.interchange_id == j.c.id).join(p, p.c.id == ts.c.purchase_order_id)
        .where(a.c.direction == "in", a.c.doc_type == "as2",
               a.c.remote_name.in_({message_key(m) for m in (ref, ref.strip("<>"), f"<{ref.strip('<>')}>")})))
    yield "shipment", "shipment id of {partner}", (
        select(p.c.order_id, none, p.c.partner_id).join(s, s.c.purchase_order_id == p.c.id)
        .where(s.c.shipment_id == ref))


def _starts_with(column, prefix: str, dialect: str):
    """``column`` begins with ``prefix``, in the form the database serves from an index.

    PostgreSQL serves LIKE 'prefix%' from the text_pattern_ops index. SQLite's LIKE ignores
    case and uses no index but a NOCASE one; a range it serves from the index, and under its
    binary order the range is exact: prefix <= value < prefix with its last character one up.
    """
    if dialect != "sqlite":
        return column.startswith(prefix, autoescape=True)
    last = ord(prefix[-1]) + 1
    if 0xD800 <= last <= 0xDFFF:      # no character there: the next one is U+E000
        last = 0xE000
    if last > 0x10FFFF:
        return column.startswith(prefix, autoescape=True)
    return and_(column >= prefix, column < prefix[:-1] + chr(last))


def _control_forms(ref: str) -> list[str]:
    """A control number as partners may write it: as given and, if numeric, zero-padded to any
    width up to nine digits (ISA13 is always nine, GS06 and ST02 are padded as each partner likes)."""
    if not ref.isdigit() or len(ref) > 9:
        return [ref]
    bare = ref.lstrip("0") or "0"
    return list(dict.fromkeys([ref] + [bare.zfill(width) for width in range(len(bare), 10)]))


def order_view(conn: Connection, order_id: int) -> dict | None:
    """An order with its lines, purchase orders, documents, open incidents and timeline."""
    o = conn.execute(select(t.orders).where(t.orders.c.id == order_id)).mappings().first()
    if o is None:
        return None
    lines = conn.execute(select(t.order_lines).where(t.order_lines.c.order_id == order_id)
                         .order_by(t.order_lines.c.id)).mappings().all()
    pos = conn.execute(select(t.purchase_orders).where(t.purchase_orders.c.order_id == order_id)
                       .order_by(t.purchase_orders.c.id)).mappings().all()
    po_ids = [p["id"] for p in pos]
    po_lines = conn.execute(select(t.po_lines).where(t.po_lines.c.purchase_order_id.in_(po_ids))
                            .order_by(t.po_lines.c.line_number)).mappings().all() if po_ids else []
    docs = _documents(conn, po_ids) + _received(conn, order_id, po_ids)
    return {
        "id": o["id"], "channel": o["channel"], "channel_order_id": o["channel_order_id"],
        "state": o["state"], "hold_reason": o["hold_reason"],
        "customer": {"id": o["customer_id"], "name": o["customer_name"], "email": o["customer_email"],
                     "phone": o["customer_phone"], "prepaid": o["prepaid"]},
        "ship_to": {k: o[f"ship_{k}"] for k in ("name", "address1", "address2", "city", "state",
                                                 "postal_code", "country")},
        "placed_at": _iso(o["placed_at"]), "received_at": _iso(o["received_at"]),
        "order": json.loads(o["payload"]),
        "lines": [{"line_id": ln["line_id"], "sku": ln["sku"], "quantity": ln["quantity"],
                   "cancelled": ln["cancelled"], "description": ln["description"],
                   "unit_price": str(ln["unit_price"]),
                   "suppliers": [x for x in ln["candidates"].split(",") if x],
                   "purchase_orders": [_po_line(pl, pos) for pl in po_lines
                                       if pl["order_line_id"] == ln["id"]]}
                  for ln in lines],
        "purchase_orders": [{"po_number": p["po_number"], "supplier": p["partner_id"],
                             "state": p["state"], "ack_status": p["ack_status"],
                             "route_attempt": p["route_attempt"], "created_at": _iso(p["created_at"]),
                             "sent_at": _iso(p["sent_at"]),
                             "documents": [d for d in docs if d["purchase_order_id"] == p["id"]]}
                            for p in pos],
        "shipments": _shipments(conn, po_ids),
        "incidents": _incidents(conn, order_id, po_ids),
        "timeline": _timeline(conn, order_id, po_ids, docs),
        "audit": audit_entries(conn, order_id=order_id),
        "channel_events": _told(conn, order_id, o["channel"]),
    }


def _told(conn: Connection, order_id: int, channel: str) -> list[dict]:
    """What the order's channel was told (its events, oldest first), each with how its
    notifications stand: the events feed has them all, webhooks and files one per target."""
    e, i = t.order_events, t.interchanges
    events = conn.execute(select(e.c.id, e.c.sequence, e.c.type, e.c.occurred_at)
                          .where(e.c.order_id == order_id).order_by(e.c.sequence)).mappings().all()
    names = {f"{ev['type']}-{ev['id']}": ev["id"] for ev in events}
    sent: dict[int, list[dict]] = {}
    if names:
        for r in conn.execute(select(i.c.id, i.c.control_number, i.c.doc_type, i.c.state, i.c.last_error)
                              .where(i.c.direction == "out", i.c.channel == channel,
                                     i.c.control_number.in_(list(names))).order_by(i.c.id)).mappings():
            sent.setdefault(names[r["control_number"]], []).append(
                {"id": r["id"], "target": r["doc_type"], "state": r["state"], "last_error": r["last_error"]})
    return [{"id": ev["id"], "sequence": ev["sequence"], "type": ev["type"],
             "occurred_at": _iso(ev["occurred_at"]), "notifications": sent.get(ev["id"], [])}
            for ev in events]


def _shipments(conn: Connection, po_ids: list[int]) -> list[dict]:
    """Shipments of these purchase orders, with carrier, tracking numbers and what each held."""
    if not po_ids:
        return []
    s, sl, pl, p = t.shipments, t.shipment_lines, t.po_lines, t.purchase_orders
    rows = conn.execute(select(s, p.c.po_number, p.c.partner_id).join(p, p.c.id == s.c.purchase_order_id)
                        .where(s.c.purchase_order_id.in_(po_ids)).order_by(s.c.id)).mappings().all()
    held: dict[int, list[dict]] = {}
    if rows:
        for r in conn.execute(select(sl.c.shipment_id, sl.c.quantity, pl.c.line_number, pl.c.sku)
                              .join(pl, pl.c.id == sl.c.po_line_id)
                              .where(sl.c.shipment_id.in_([r["id"] for r in rows]))).mappings():
            held.setdefault(r["shipment_id"], []).append({"line_number": r["line_number"], "sku": r["sku"],
                                                          "quantity": r["quantity"]})
    return [{"shipment_id": r["shipment_id"], "po_number": r["po_number"], "supplier": r["partner_id"],
             "carrier": r["carrier"], "service": r["service"],
             "tracking_numbers": [x for x in r["tracking_numbers"].split(",") if x],
             "shipped_at": _iso(r["shipped_at"]),
             "expected_delivery": r["expected_delivery"].isoformat() if r["expected_delivery"] else None,
             "bill_of_lading": r["bill_of_lading"], "lines": held.get(r["id"], []),
             "interchange_id": r["interchange_id"]} for r in rows]


def _po_line(pl, pos) -> dict:
    po = next(p for p in pos if p["id"] == pl["purchase_order_id"])
    return {"po_number": po["po_number"], "supplier": po["partner_id"], "line_number": pl["line_number"],
            "state": pl["state"], "quantity": pl["quantity"], "accepted": pl["qty_accepted"],
            "rejected": pl["qty_rejected"], "backordered": pl["qty_backordered"],
            "shipped": pl["qty_shipped"]}


_DOC_COLUMNS = ("id", "direction", "doc_type", "control_number", "filename", "remote_name", "state",
                "attempts", "last_error", "created_at", "done_at", "purchase_order_id", "duplicate_of")


def _doc(r, purchase_order_id: int | None, sets: list[dict] = ()) -> dict:
    """One document for the view; a received one is named as the partner named it."""
    inbound = r["direction"] == "in"
    kinds = list(dict.fromkeys(s["set_id"] for s in sets))
    own_ids = [s["set_control"] for s in sets if s["set_control"]]
    control = r["control_number"] or (own_ids[0] if inbound and r["doc_type"].startswith("xml") and own_ids
                                      else None)
    return {"id": r["id"], "direction": r["direction"],
            "doc_type": "/".join(kinds) if inbound and kinds and r["doc_type"] == "X12" else r["doc_type"],
            "control_number": control, "filename": (r["remote_name"] or r["filename"]) if inbound else r["filename"],
            "state": r["state"], "attempts": r["attempts"], "last_error": r["last_error"],
            "created_at": _iso(r["created_at"]), "done_at": _iso(r["done_at"]),
            "purchase_order_id": purchase_order_id, "duplicate_of": r["duplicate_of"],
            "sets": [{"set_id": s["set_id"], "group_control": s["group_control"],
                      "set_control": s["set_control"]} for s in sets]}


def _documents(conn: Connection, po_ids: list[int]) -> list[dict]:
    """Documents we sent about these purchase orders (POs, notifications), oldest first."""
    if not po_ids:
        return []
    i = t.interchanges
    rows = conn.execute(select(*(i.c[c] for c in _DOC_COLUMNS))
                        .where(i.c.purchase_order_id.in_(po_ids), i.c.direction == "out")
                        .order_by(i.c.id)).mappings()
    return [_doc(r, r["purchase_order_id"]) for r in rows]


def _received(conn: Connection, order_id: int, po_ids: list[int]) -> list[dict]:
    """Documents partners sent about this order, and every copy of them received again."""
    e, i, ts = t.events, t.interchanges, t.transaction_sets
    links: dict[int, int | None] = {}   # interchange -> the PO it is filed under
    sets: dict[int, list[dict]] = {}
    if po_ids:
        for r in conn.execute(select(ts).where(ts.c.purchase_order_id.in_(po_ids)).order_by(ts.c.id)).mappings():
            links.setdefault(r["interchange_id"], r["purchase_order_id"])
            sets.setdefault(r["interchange_id"], []).append(dict(r))
    # Documents recorded before sets were kept are found through the events they caused.
    cond = e.c.order_id == order_id
    if po_ids:
        cond = or_(cond, e.c.purchase_order_id.in_(po_ids))
    for iid, pid in conn.execute(select(e.c.interchange_id, e.c.purchase_order_id).distinct()
                                 .where(cond, e.c.interchange_id.is_not(None))):
        if links.get(iid) is None:
            links[iid] = pid
    if not links:
        return []
    rows = conn.execute(select(*(i.c[c] for c in _DOC_COLUMNS))
                        .where(i.c.direction == "in", or_(i.c.id.in_(list(links)),
                                                          and_(i.c.duplicate_of.in_(list(links)),
                                                               i.c.state == InterchangeState.DUPLICATE.value)))
                        .order_by(i.c.id)).mappings().all()
    out = []
    for r in rows:
        original = r["duplicate_of"] if r["id"] not in links else r["id"]
        out.append(_doc(r, links.get(original), sets.get(original, [])))
    return out


def _incidents(conn: Connection, order_id: int, po_ids: list[int]) -> list[dict]:
    i = t.incidents
    cond = i.c.order_id == order_id
    if po_ids:
        cond = or_(cond, i.c.purchase_order_id.in_(po_ids))
    rows = conn.execute(select(i.c.id, i.c.code, i.c.state, i.c.message, i.c.created_at)
                        .where(cond).order_by(i.c.id)).mappings()
    return [{"id": r["id"], "code": r["code"], "state": r["state"], "message": r["message"],
             "created_at": _iso(r["created_at"])} for r in rows]


def _timeline(conn: Connection, order_id: int, po_ids: list[int], docs: list[dict]) -> list[dict]:
    """Events and documents in causal order: a received document is placed at its arrival,
    before what it caused at the same moment; a sent one after the events of its moment."""
    e = t.events
    cond = e.c.order_id == order_id
    if po_ids:
        cond = or_(cond, e.c.purchase_order_id.in_(po_ids))
    items = [(r["at"], 1, r["id"], {"at": _iso(r["at"]), "kind": r["kind"], "message": r["message"],
                                    "actor": r["actor"]})
             for r in conn.execute(select(e).where(cond)).mappings()]
    for d in docs:
        inbound = d["direction"] == "in"
        at = d["created_at"] if inbound else d["done_at"]
        if not at or d["state"] == InterchangeState.QUEUED.value:
            continue
        verb = ("received" if inbound else "sent" if d["state"] == InterchangeState.SENT.value
                else "not sent")
        what = " ".join(x for x in (d["doc_type"], d["control_number"]) if x)
        if d["state"] == InterchangeState.DUPLICATE.value:
            kind, note = "document.duplicate", f" again: a duplicate of document #{d['duplicate_of']}, not applied"
        else:
            kind, note = f"document.{verb.replace(' ', '_')}", ""
        # Of one moment: a received document before what it caused, one we sent after what made it.
        items.append((datetime.fromisoformat(at), 0 if inbound else 2, d["id"], {
            "at": at, "kind": kind, "actor": "hub", "message": f"{what} {verb} ({d['filename']}){note}"}))
    items.sort(key=lambda x: x[:3])
    return [item for *_, item in items]


def order_count(conn: Connection) -> int:
    """How many orders the store holds."""
    from sqlalchemy import func
    return conn.scalar(select(func.count()).select_from(t.orders))


def orders_overview(conn: Connection, limit: int = 500) -> list[dict]:
    """The newest orders (oldest first), each with its state and purchase orders."""
    o, p = t.orders, t.purchase_orders
    heads = conn.execute(select(o.c.id, o.c.channel, o.c.channel_order_id, o.c.state)
                         .order_by(o.c.id.desc()).limit(limit)).all()[::-1]
    pos: dict[int, list[dict]] = {}
    if heads:
        for r in conn.execute(select(p.c.order_id, p.c.po_number, p.c.partner_id, p.c.state)
                              .where(p.c.order_id.in_([h.id for h in heads])).order_by(p.c.id)):
            pos.setdefault(r.order_id, []).append({"po_number": r.po_number, "supplier": r.partner_id,
                                                   "state": r.state})
    return [{"id": h.id, "order": f"{h.channel}/{h.channel_order_id}", "state": h.state,
             "purchase_orders": pos.get(h.id, [])} for h in heads]
