"""The console on a big store: finding an order by any id, an order's page, the dashboard.

``python -m bench console [--quick]``. A store of 200,000 orders and 1,000,000 documents
(20,000 and 100,000 in quick mode) over a year is generated straight into SQLite: orders of
1-3 lines, purchase orders to five suppliers, the 850s (or XML POs) we sent with their control
numbers, the 997s, 855s and 856s (or XML answers) the suppliers sent with their transaction
sets, our 997s back, shipments with tracking numbers, events, incidents, a few duplicates and
AS2 messages. Rows go in with the driver's executemany from a writer thread, in one
transaction, with the indexes made again once the rows are in.

Each page is requested through the real web app (Flask test client, a signed-in viewer), so
rendering counts; the read model alone (the hub.views function the page calls) is timed too.
The baseline, measured interleaved with every request, is a bare indexed
``SELECT * FROM orders WHERE id = ?`` of the order the request is about, in a unit of work
of its own like a request's.

Targets: a search by any kind of id p95 < 50 ms (every kind must pass, the slowest counts),
an order page p95 < 150 ms, the dashboard p95 < 300 ms.
"""

from __future__ import annotations

import gc
import hashlib
import json
import queue
import random
import re
import shutil
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

from bench.harness import Result, print_table

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
_NOW = NOW.replace(tzinfo=None)      # the generator works in naive UTC, as the store keeps it
SPAN = timedelta(days=365)
PASSWORD = "a benchmark password, long enough"
BATCH = 20_000

# Suppliers: the demo's acme (X12) and initech (XML), and three more X12 ones made from acme's file.
X12_EXTRA = ("globex", "hooli", "umbrella")
AS2_PARTNER = "umbrella"          # its documents come in AS2 messages
PARTNER_WEIGHTS = {"acme": 35, "initech": 20, "globex": 20, "hooli": 15, "umbrella": 10}
SKUS = {"DESK-OAK-120": ("acme", "initech"), "CHAIR-ERGO-BLK": ("acme", "initech"),
        "LAMP-LED-WHT": ("initech",), "MONITOR-ARM-2": ("acme",), "CABLE-TRAY-80": ("acme",),
        "SHELF-WALL-60": ("initech",), "FOOTREST-ADJ": ("acme", "initech")}
FIRST = ("Maria", "James", "Wei", "Fatima", "Olga", "Juan", "Aiko", "Liam", "Noah", "Emma", "Ava",
         "Lucas", "Mia", "Omar", "Sofia", "Ivan", "Chloe", "Arjun", "Zoe", "Mateo", "Hana", "Ethan")
LAST = ("Garcia", "Smith", "Chen", "Khan", "Ivanova", "Lopez", "Tanaka", "Murphy", "Brown", "Rossi",
        "Novak", "Silva", "Kim", "Haddad", "Nguyen", "Schmidt", "Dubois", "Patel", "Okafor", "Berg")
CARRIERS = (("UPSN", "GROUND"), ("FDEG", "HOME"), ("USPS", "PRIORITY"))


@dataclass
class Refs:
    """References to search for, by kind, each with the order it names (None: it names none)."""

    by_kind: dict[str, list[tuple[str, int | None]]] = field(default_factory=dict)

    def add(self, kind: str, ref: str, order_id: int | None) -> None:
        """Remember one reference of a kind."""
        self.by_kind.setdefault(kind, []).append((ref, order_id))


class _Numbers:
    """Control numbers per partner, as the hub keeps them (ISA13, GS06 and ST02 counting together)."""

    def __init__(self, start: int = 0):
        self.last: dict[str, int] = {}
        self.start = start

    def next(self, partner: str) -> int:
        n = self.last.get(partner, self.start) + 1
        self.last[partner] = n
        return n


def _instance(root: Path) -> Path:
    """The demo instance with three more X12 suppliers (copies of acme with their own ids)."""
    from hub.instance import create_instance
    home = root / "inst"
    create_instance(home, demo=True)
    acme = (home / "partners" / "acme.toml").read_text()
    for pid in X12_EXTRA:
        text = (acme.replace('id = "acme"', f'id = "{pid}"').replace("ACMESUPPLY", pid.upper())
                .replace("suppliers/acme/", f"suppliers/{pid}/"))
        (home / "partners" / f"{pid}.toml").write_text(text)
    return home


def generate(engine, orders: int, documents: int, seed: int = 7) -> tuple[Refs, dict[str, int]]:
    """Fill the store with ``orders`` orders and about ``documents`` interchanges; return
    references to search for (a few hundred per kind) and how many rows each table got."""
    from hub.adapters import tables as t
    rand = random.Random(seed)
    chance = rand.random

    def between(low: int, high: int) -> int:   # randint, three times faster
        return low + int(chance() * (high - low + 1))
    ours, theirs = _Numbers(), _Numbers(start=700_000_000)
    refs = Refs()
    sampled = set(rand.sample(range(orders), min(orders, 400)))
    partners = list(PARTNER_WEIGHTS)
    weights = list(PARTNER_WEIGHTS.values())
    customers = [(f"C{k:06d}", f"{rand.choice(FIRST)} {rand.choice(LAST)}") for k in range(max(1, orders // 3))]
    # Documents per PO beyond the 850 and the supplier's answers: our 997s, until the total is reached.
    # (about 1.07 POs an order, 4.1 documents each without those, up to 1.6 of those each)
    pos_estimate = orders * 1.07
    extra_997 = max(0.0, min(1.0, (documents - pos_estimate * 4.1) / max(1.0, pos_estimate * 1.6)))
    tables = {name: [] for name in ("orders", "order_lines", "purchase_orders", "po_lines", "interchanges",
                                    "transaction_sets", "shipments", "shipment_tracking", "shipment_lines", "events",
                                    "incidents")}
    counts = dict.fromkeys(tables, 0)
    ids = dict.fromkeys(tables, 0)
    statements = {name: _bulk_insert(engine, t.metadata.tables[name]) for name in tables}

    def new(name: str, row: dict) -> int:
        _, defaults, values, stamps = statements[name]
        ids[name] += 1
        row = {**defaults, **row, "id": ids[name]}
        for column in stamps:
            if row[column] is not None:
                row[column] = row[column].isoformat(" ", "microseconds")
        tables[name].append(values(row))
        return ids[name]

    def flush() -> None:
        batch = [(statements[name][0], rows) for name, rows in tables.items() if rows]  # referenced first
        for name, rows in tables.items():
            counts[name] += len(rows)
            tables[name] = []
        writer.put(batch)

    def event(at, oid, po_id, iid, kind, message):
        new("events", {"at": at, "order_id": oid, "purchase_order_id": po_id, "interchange_id": iid,
                       "kind": kind, "message": message, "actor": "hub"})

    def inbound(pid, at, doc_type, control, name, po_id, sets, state="processed", duplicate_of=None):
        """A received interchange (and, for the AS2 partner, the AS2 message that carried it)."""
        sha = hashlib.sha256(f"{pid}{control}{name}{at}".encode()).hexdigest()
        folder = f"in/{at:%Y/%m/%d}"
        path = f"{folder}/{at:%H%M%S}-{sha[:16]}.edi"
        if pid == AS2_PARTNER:
            msg = f"<{sha[:24]}@{pid}.as2.example>"
            as2_path = f"{folder}/{at:%H%M%S}-{sha[16:32]}.as2"
            new("interchanges", _in_row(pid, "as2", None, "", as2_path, sha[::-1], at, "as2:" + msg, "processed"))
            path = as2_path.removesuffix(".as2") + ".payload.edi"
            if doc_type != "997" and oid - 1 in sampled:
                refs.add("AS2 Message-ID", msg, oid)
        iid = new("interchanges", _in_row(pid, doc_type, control, name, path, sha, at, name, state, duplicate_of))
        for set_id, gs, st in sets:
            new("transaction_sets", {"interchange_id": iid, "set_id": set_id, "group_control": gs,
                                     "set_control": st, "purchase_order_id": po_id})
        return iid

    gc.disable()    # millions of small dicts, no cycles: the collector would only slow it down
    writer = _Writer(engine)
    try:
        for n in range(orders):
            oid = n + 1
            received = _NOW - SPAN + SPAN * (n / orders) + timedelta(seconds=between(0, 60))
            age = _NOW - received
            channel = rand.choices(("webshop", "marketplace", "phone"), (60, 35, 5))[0]
            coid = {"webshop": f"WS-{100000 + n}", "marketplace": f"113-{between(10**6, 10**7 - 1)}-{n:07d}",
                    "phone": f"PH-{n:010x}"}[channel]
            cid, cname = rand.choice(customers)
            email = f"{cname.replace(' ', '.').lower()}.{cid[1:]}@example.com"
            picked = rand.sample(list(SKUS), between(1, 3))
            lines = [{"line_id": str(k + 1), "sku": sku, "quantity": between(1, 4),
                      "unit_price": f"{between(500, 50000) / 100:.2f}", "description": f"Item {sku}"}
                     for k, sku in enumerate(picked)]
            ship_to = {"name": cname, "address1": f"{between(1, 9999)} Main Street", "address2": "",
                       "city": "Springfield", "state": "IL", "postal_code": "62701", "country": "US"}
            order = {"channel": channel, "channel_order_id": coid, "placed_at": received.isoformat() + "Z",
                     "currency": "USD", "customer": {"id": cid, "name": cname, "email": email,
                                                     "phone": "+1 555 0100", "prepaid": True},
                     "ship_to": ship_to, "lines": lines}
            payload = json.dumps(order, sort_keys=True, separators=(",", ":"))
            r = chance()
            if age < timedelta(days=1) and r < 0.03:
                state = "on_hold"
            elif r < 0.01:
                state = "needs_attention"
            elif r < 0.025:
                state = "cancelled"
            else:
                state = "routed"
            line_ids = []
            for ln in lines:
                line_ids.append(new("order_lines", {
                    "order_id": oid, "line_id": ln["line_id"], "sku": ln["sku"], "quantity": ln["quantity"],
                    "unit_price": ln["unit_price"], "description": ln["description"],
                    "candidates": ",".join(SKUS[ln["sku"]]), "cancelled": 0}))
            event(received, oid, None, None, "order.received", f"received from {channel}")
            shipped_all = state == "routed"
            if state == "routed":
                groups = _split(rand, lines, line_ids, partners, weights)
                for pid, group in groups.items():
                    sent = received + timedelta(seconds=5)
                    # How far along the PO is: old ones are done, recent ones on the way.
                    if age < timedelta(minutes=10):
                        stage = rand.choice(("queued", "sent"))
                    elif age < timedelta(days=3):
                        stage = rand.choices(("sent", "acknowledged", "accepted", "shipped"), (5, 15, 50, 30))[0]
                    else:
                        stage = rand.choices(("shipped", "accepted", "failed"), (97, 2.5, 0.5))[0]
                    shipped_all &= stage == "shipped"
                    po_id = ids["purchase_orders"] + 1
                    po_number = f"DR{po_id:07d}"
                    new("purchase_orders", {
                        "order_id": oid, "po_number": po_number, "partner_id": pid, "state": stage,
                        "ack_status": "A" if stage in ("acknowledged", "accepted", "shipped") else "",
                        "route_attempt": 1, "test_mode": False, "created_at": received,
                        "sent_at": sent if stage not in ("queued", "failed") else None,
                        "acked_at": sent + timedelta(minutes=10) if stage in ("acknowledged", "accepted", "shipped") else None,
                        "poack_at": sent + timedelta(hours=2) if stage in ("accepted", "shipped") else None,
                        "shipped_at": sent + timedelta(days=2) if stage == "shipped" else None,
                        "updated_at": received, "version": 3})
                    pl_ids = []
                    for k, (ln, lid) in enumerate(group, start=1):
                        pl_ids.append((new("po_lines", {
                            "purchase_order_id": po_id, "order_line_id": lid, "line_number": k, "sku": ln["sku"],
                            "supplier_item": f"{pid[:2].upper()}-{list(SKUS).index(ln['sku']):05d}",
                            "description": ln["description"], "quantity": ln["quantity"],
                            "unit_cost": f"{between(500, 30000) / 100:.2f}", "uom": "EA",
                            "state": {"shipped": "shipped", "accepted": "accepted"}.get(stage, "open"),
                            "qty_accepted": ln["quantity"] if stage in ("accepted", "shipped") else 0,
                            "qty_shipped": ln["quantity"] if stage == "shipped" else 0}), ln["quantity"]))
                    x12 = pid != "initech"
                    num = ours.next(pid)
                    isa, gs, st = f"{num:09d}", str(num), f"{num:04d}"
                    body = _po_body(pid, isa, gs, st, po_number, coid, cname, group) if x12 else \
                        _xml_body(isa, po_number, coid, cname, group)
                    out_state = {"queued": "queued", "failed": "failed"}.get(stage, "sent")
                    po850 = new("interchanges", {
                        "direction": "out", "partner_id": pid, "doc_type": "850" if x12 else "xml-po",
                        "control_number": isa, "group_control": gs if x12 else None,
                        "set_control": st if x12 else None, "purchase_order_id": po_id,
                        "filename": f"{pid}_{'850' if x12 else 'po'}_{isa}.{'edi' if x12 else 'xml'}",
                        "content_type": "application/edi-x12" if x12 else "application/xml", "payload": body,
                        "archive_path": f"out/{sent:%Y/%m/%d}/{pid}_850_{isa}.edi" if out_state == "sent" else "",
                        "sha256": hashlib.sha256(body).hexdigest(), "size": len(body), "state": out_state,
                        "attempts": 0 if out_state == "queued" else (5 if out_state == "failed" else 1),
                        "next_attempt_at": sent, "last_error": "connection refused" if out_state == "failed" else "",
                        "receipt": '{"transport": "sftp", "remote_name": "%s_850_%s.edi"}' % (pid, isa)
                        if out_state == "sent" else "", "created_at": received,
                        "done_at": sent if out_state != "queued" else None})
                    event(received, oid, po_id, None, "po.queued", f"{po_number} queued for {pid} as "
                          f"{'850' if x12 else 'xml-po'} {isa}")
                    if out_state == "failed":
                        new("incidents", _incident("transport.unreachable", pid, oid, po_id, po850, sent,
                                                   f"{pid} could not be reached: connection refused"))
                        continue
                    if out_state == "queued":
                        continue
                    event(sent, oid, po_id, po850, "po.sent", f"{po_number} sent to {pid}")
                    if oid - 1 in sampled:
                        refs.add("our ISA13", isa, oid)
                        refs.add("PO number", po_number, oid)
                    if stage == "sent":
                        continue
                    at = sent + timedelta(minutes=10)
                    if x12:
                        num = theirs.next(pid)
                        iid = inbound(pid, at, "X12", f"{num:09d}", f"997_{num}.edi", po_id,
                                      [("997", str(num), "0001")])
                        event(at, oid, po_id, iid, "po.acknowledged", f"997 accepted {po_number}")
                    if stage == "acknowledged":
                        continue
                    at = sent + timedelta(hours=2)
                    num = theirs.next(pid)
                    sets = [("855", str(num), "0001")] if x12 else [("xml-confirmation", None, f"SO-{num}")]
                    iid = inbound(pid, at, "X12" if x12 else "xml-confirmation", f"{num:09d}" if x12 else None,
                                  f"855_{num}.{'edi' if x12 else 'xml'}", po_id, sets)
                    if oid - 1 in sampled and x12:
                        refs.add("supplier ISA13", f"{num:09d}", oid)
                    event(at, oid, po_id, iid, "po.accepted", f"{po_number} accepted by {pid}")
                    if x12 and chance() < extra_997:
                        mine = ours.next(pid)
                        new("interchanges", _ack_row(pid, mine, at))
                    if chance() < 0.004:   # the supplier sent it twice
                        inbound(pid, at + timedelta(minutes=5), "X12" if x12 else "xml-confirmation",
                                f"{num:09d}" if x12 else None, f"855_{num}_again.edi", po_id, [],
                                state="duplicate", duplicate_of=iid)
                    if stage != "shipped":
                        continue
                    at = sent + timedelta(days=between(1, 3), hours=between(0, 8))
                    num = theirs.next(pid)
                    sets = [("856", str(num), "0001")] if x12 else [("xml-shipnotice", None, f"ASN-{num}")]
                    iid = inbound(pid, at, "X12" if x12 else "xml-shipnotice", f"{num:09d}" if x12 else None,
                                  f"856_{num}.{'edi' if x12 else 'xml'}", po_id, sets)
                    carrier, service = rand.choice(CARRIERS)
                    tracking = [f"1Z{rand.getrandbits(64):016X}" for _ in range(rand.choice((1, 1, 1, 2)))]
                    sid = new("shipments", {
                        "purchase_order_id": po_id, "interchange_id": iid, "shipment_id": f"SH-{pid[:3].upper()}-{num}",
                        "shipped_at": at, "carrier": carrier, "service": service,
                        "tracking_numbers": ",".join(tracking), "bill_of_lading": "", "pro_number": "",
                        "created_at": at})
                    for number in tracking:
                        new("shipment_tracking", {"shipment_id": sid, "tracking_number": number})
                    for pl_id, qty in pl_ids:
                        new("shipment_lines", {"shipment_id": sid, "po_line_id": pl_id, "quantity": qty, "marks": ""})
                    event(at, oid, po_id, iid, "shipment.recorded",
                          f"shipment SH-{pid[:3].upper()}-{num} of {po_number} by {carrier} {','.join(tracking)}")
                    if oid - 1 in sampled:
                        refs.add("tracking number", tracking[-1], oid)
                        refs.add("shipment id", f"SH-{pid[:3].upper()}-{num}", oid)
                        if x12:
                            refs.add("supplier GS06", str(num), oid)
                    if x12 and chance() < extra_997:
                        mine = ours.next(pid)
                        new("interchanges", _ack_row(pid, mine, at))
            elif state == "needs_attention":
                new("incidents", _incident("order.unroutable", None, oid, None, None, received,
                                           f"order {coid}: no active supplier carries every line"))
            if state == "routed":
                state = "shipped" if shipped_all else "processing"
            new("orders", {
                "channel": channel, "channel_order_id": coid, "placed_at": received, "received_at": received,
                "currency": "USD", "customer_id": cid, "customer_name": cname, "customer_email": email,
                "customer_phone": "+1 555 0100", "prepaid": True, **{f"ship_{k}": v for k, v in ship_to.items()},
                "state": state, "hold_reason": "", "content_hash": hashlib.sha256(payload.encode()).hexdigest(),
                "payload": payload, "updated_at": received})
            if n in sampled:
                refs.add("channel order id", coid, oid)
                refs.add("customer e-mail", email, oid)
                refs.add("customer name", cname, oid)
                refs.add("no match", f"NOPE-{between(10**8, 10**9 - 1)}", None)
                # Six digits: no order id, and no control number (ours stay lower, the suppliers' higher).
                refs.add("no match (number)", str(between(500_000, 699_999)), None)
            if len(tables["interchanges"]) >= BATCH or len(tables["events"]) >= BATCH:
                flush()
        flush()
    finally:
        gc.enable()
        writer.finish()
    return refs, counts


class _Writer(threading.Thread):
    """Inserts batches of rows, in one transaction, in a thread of its own: SQLite works on one
    batch (the sqlite3 module lets go of the interpreter meanwhile) while the next is made."""

    def __init__(self, engine):
        super().__init__(name="bench-writer", daemon=True)
        self.engine, self.batches, self.failure = engine, queue.Queue(maxsize=2), None
        self.start()

    def run(self) -> None:
        try:
            with self.engine.begin() as conn, _indexes_built_after(conn):
                while (batch := self.batches.get()) is not None:
                    for sql, rows in batch:
                        conn.exec_driver_sql(sql, rows)
        except BaseException as exc:   # handed to the generating thread
            self.failure = exc
            while self.batches.get() is not None:   # take what is still sent, so no put waits forever
                pass

    def put(self, batch: list) -> None:
        """Queue a batch: (INSERT, rows) pairs, each table after those it refers to."""
        if self.failure is not None:
            raise self.failure
        self.batches.put(batch)

    def finish(self) -> None:
        """Commit once every batch is in (or roll back if one failed), then say how it went."""
        self.batches.put(None)
        self.join()
        if self.failure is not None:
            raise self.failure


@contextmanager
def _indexes_built_after(conn):
    """On SQLite, drop the store's indexes (those the migrations made, as they made them) and
    make them again once the rows are in: building an index from a full table is several times
    faster than keeping it up to date row by row. The store ends as the migrations left it."""
    if conn.dialect.name != "sqlite":
        yield
        return
    conn.exec_driver_sql("PRAGMA cache_size = -262144")
    conn.exec_driver_sql("PRAGMA threads = 2")     # CREATE INDEX may sort on a second core
    made = conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                                "AND tbl_name != 'alembic_version'").all()
    for name, _ in made:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    yield
    for _, sql in made:
        conn.exec_driver_sql(sql)


def _bulk_insert(engine, table):
    """An INSERT of every column in the driver's own terms, the column defaults (the server
    default, or NULL), what turns a row into the INSERT's values, and the timestamp columns.

    The driver's executemany of tuples, without SQLAlchemy's per-value processing, is many
    times faster; timestamps are then written as SQLAlchemy writes (naive UTC) datetimes.
    """
    from operator import itemgetter

    from sqlalchemy import DateTime
    names = [c.name for c in table.columns]
    mark = "?" if engine.dialect.name == "sqlite" else "%s"
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join([mark] * len(names))})"
    defaults = {c.name: _server_default(c) for c in table.columns}
    stamps = tuple(c.name for c in table.columns if isinstance(getattr(c.type, "impl", c.type), DateTime))
    return sql, defaults, itemgetter(*names), stamps


def _server_default(column):
    """A column's server default as the value a row would get (None when it has none)."""
    from sqlalchemy import Integer
    text = getattr(column.server_default, "arg", None)
    if not isinstance(text, str):
        return None
    return int(text) if isinstance(column.type, Integer) else text


def _split(rand, lines, line_ids, partners, weights) -> dict[str, list]:
    """Lines grouped by the supplier each goes to: mostly one supplier, sometimes two."""
    first = rand.choices(partners, weights)[0]
    second = rand.choice([p for p in partners if p != first]) if len(lines) > 1 and rand.random() < 0.15 else first
    groups: dict[str, list] = {}
    for k, (ln, lid) in enumerate(zip(lines, line_ids)):
        groups.setdefault(second if k and k == len(lines) - 1 else first, []).append((ln, lid))
    return groups


def _in_row(pid, doc_type, control, name, path, sha, at, remote, state, duplicate_of=None) -> dict:
    return {"direction": "in", "partner_id": pid, "doc_type": doc_type, "control_number": control,
            "filename": name, "content_type": "application/octet-stream", "payload": None,
            "archive_path": path, "sha256": sha, "size": 800, "state": state, "remote_name": remote,
            "duplicate_of": duplicate_of, "created_at": at, "done_at": at}


def _ack_row(pid: str, num: int, at: datetime) -> dict:
    isa = f"{num:09d}"
    body = (f"ISA*00*          *00*          *ZZ*DEMORETAIL     *ZZ*{pid.upper():<15}*{at:%y%m%d}*{at:%H%M}*U*"
            f"00401*{isa}*0*P*>~\nGS*FA*DEMORETAIL*{pid.upper()}*{at:%Y%m%d}*{at:%H%M}*{num}*X*004010~\n"
            f"ST*997*{num:04d}~\nAK1*SH*1~\nAK2*856*0001~\nAK5*A~\nAK9*A*1*1*1~\n"
            f"SE*6*{num:04d}~\nGE*1*{num}~\nIEA*1*{isa}~\n").encode()
    return {"direction": "out", "partner_id": pid, "doc_type": "997", "control_number": isa,
            "group_control": str(num), "set_control": f"{num:04d}", "filename": f"{pid}_997_{isa}.edi",
            "payload": body, "archive_path": f"out/{at:%Y/%m/%d}/{pid}_997_{isa}.edi",
            "sha256": hashlib.sha256(body).hexdigest(), "size": len(body), "state": "sent", "attempts": 1,
            "created_at": at, "done_at": at + timedelta(seconds=30)}


def _po_body(pid, isa, gs, st, po_number, coid, name, group) -> bytes:
    segs = [f"ISA*00*          *00*          *ZZ*DEMORETAIL     *ZZ*{pid.upper():<15}*261201*1200*U*00401*"
            f"{isa}*0*P*>", f"GS*PO*DEMORETAIL*{pid.upper()}*20261201*1200*{gs}*X*004010", f"ST*850*{st}",
            f"BEG*00*DS*{po_number}**20261201", f"REF*CO*{coid}", "REF*IA*V-10442", "DTM*004*20261201*1200",
            f"N1*ST*{name}", "N3*1 Main Street", "N4*Springfield*IL*62701*US"]
    for k, (ln, _) in enumerate(group, start=1):
        segs += [f"PO1*{k}*{ln['quantity']}*EA*{ln['unit_price']}**BP*{ln['sku']}", f"PID*F****{ln['description']}"]
    segs += [f"CTT*{len(group)}", f"SE*{len(segs) - 1}*{st}", f"GE*1*{gs}", f"IEA*1*{isa}"]
    return ("~\n".join(segs) + "~\n").encode()


def _xml_body(number, po_number, coid, name, group) -> bytes:
    items = "".join(f'<Line no="{k}"><Item>{ln["sku"]}</Item><Qty>{ln["quantity"]}</Qty></Line>'
                    for k, (ln, _) in enumerate(group, start=1))
    return (f'<?xml version="1.0"?><Order id="{number}"><OrderNo>{po_number}</OrderNo><Ref>{coid}</Ref>'
            f'<ShipTo>{name}</ShipTo><Lines>{items}</Lines></Order>').encode()


def _incident(code, pid, oid, po_id, iid, at, message) -> dict:
    open_ = _NOW - at < timedelta(days=7)
    return {"code": code, "state": "open" if open_ else "resolved", "message": message, "partner_id": pid,
            "order_id": oid, "purchase_order_id": po_id, "interchange_id": iid, "detail": "{}",
            "dedupe_key": "", "occurrences": 1, "created_at": at, "updated_at": at,
            "resolved_at": None if open_ else at + timedelta(hours=3), "resolved_by": "" if open_ else "ann",
            "resolution": "" if open_ else "the supplier's server is back"}


def _quantiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p95 of samples (seconds), in milliseconds."""
    s = sorted(samples)
    at = lambda q: s[min(len(s) - 1, int(round(q * (len(s) - 1))))]   # noqa: E731
    return at(0.50) * 1000, at(0.95) * 1000


class _Timer:
    """Times calls, keeping every sample under its key."""

    def __init__(self):
        self.samples: dict[str, list[float]] = {}

    def __call__(self, key: str, fn):
        t0 = time.perf_counter()
        out = fn()
        self.samples.setdefault(key, []).append(time.perf_counter() - t0)
        return out


def run(quick: bool = False) -> list[Result]:
    """Generate the store, sign in, and time searches, order pages and the dashboard."""
    from sqlalchemy import select

    from hub.adapters import tables as t
    from hub.bootstrap import bootstrap
    from hub.services.users import add_user
    from hub.views import dashboard as dash
    from hub.views import find_orders, order_view
    from web import create_app

    n_orders, n_docs = (20_000, 100_000) if quick else (200_000, 1_000_000)
    per_kind, pages, dashboards = (60, 100, 20) if quick else (150, 200, 30)
    root = Path(tempfile.mkdtemp(prefix="edihub-bench-console-"))
    try:
        hub = bootstrap(_instance(root), clock=lambda: NOW)
        t0 = time.perf_counter()
        refs, counts = generate(hub.engine, n_orders, n_docs)
        built = time.perf_counter() - t0
        db_mb = sum(f.stat().st_size for f in (root / "inst" / "var").glob("*.db*")) / 1e6
        print(f"  generated {counts['orders']:,} orders, {counts['interchanges']:,} documents, "
              f"{counts['events']:,} events in {built:.0f} s ({db_mb:,.0f} MB)", file=sys.stderr, flush=True)
        add_user(hub.context, "bench", "viewer", PASSWORD)
        app = create_app(hub=hub, environ={"EDIHUB_SECRET_KEY": "b" * 32, "EDIHUB_COOKIE_SECURE": "0",
                                               "EDIHUB_TOKEN_WEBSHOP": "w" * 32})
        client = app.test_client()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login").get_data(as_text=True))
        assert client.post("/login", data={"csrf_token": token.group(1), "name": "bench",
                                           "password": PASSWORD}).status_code == 302
        rand = random.Random(11)
        timer = _Timer()

        def bare(oid: int):
            with hub.uow(readonly=True) as uow:
                return uow.conn.execute(select(t.orders).where(t.orders.c.id == oid)).first()

        def get(path: str, expect: tuple[int, ...] = (200,)):
            response = client.get(path)
            assert response.status_code in expect, (path, response.status_code)
            return response

        def model(fn):
            with hub.uow(readonly=True) as uow:
                return fn(uow.conn)

        for _ in range(5):   # warm up: statement caches, templates, the OS page cache
            get("/"), get(f"/orders/{rand.randint(1, n_orders)}"), get("/orders/?q=warm-up")
        gc.collect()
        wrong = []
        for kind, items in refs.by_kind.items():
            for ref, oid in rand.sample(items, min(per_kind, len(items))):
                timer(f"bare {kind}", lambda: bare(oid or rand.randint(1, n_orders)))
                found = timer(f"model {kind}", lambda: model(lambda c: find_orders(c, ref)))
                response = timer(f"web {kind}", lambda: get(f"/orders/?q={quote(ref)}", (200, 302)))
                # A name names many orders: the newest 50 are listed, this one may not be among them.
                if (oid is None) != (not found) or (oid and kind != "customer name"
                                                     and oid not in {m.order_id for m in found}):
                    wrong.append((kind, ref))
                assert response.status_code == (302 if len({m.order_id for m in found}) == 1 else 200)
        for oid in rand.sample(range(1, n_orders + 1), pages):
            timer("bare page", lambda: bare(oid))
            view = timer("model page", lambda: model(lambda c: order_view(c, oid)))
            timer("web page", lambda: get(f"/orders/{oid}"))
            assert view["id"] == oid
        since = (NOW - timedelta(days=13)).replace(hour=0, minute=0, second=0, microsecond=0)
        partners = sorted(hub.context.partners)
        for _ in range(dashboards):
            timer("bare dashboard", lambda: bare(rand.randint(1, n_orders)))
            timer("model dashboard", lambda: model(lambda c: (
                dash.orders_by_state(c), dash.incidents_by_kind_and_age(c, NOW),
                dash.partner_health(c, partners), dash.orders_per_day(c, since),
                dash.documents_per_partner(c, since))))
            timer("web dashboard", lambda: get("/"))
        hub.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)

    size = f"{counts['orders']:,} orders, {counts['interchanges']:,} documents"
    results = []

    def line(name: str, key: str, target_ms: float, extra: str = "") -> None:
        p50, p95 = _quantiles(timer.samples[f"web {key}"])
        m50, m95 = _quantiles(timer.samples[f"model {key}"])
        b50, b95 = _quantiles(timer.samples[f"bare {key}"])
        results.append(Result(name, p95, b95, "ms", f"p95 < {target_ms:g} ms", p95 < target_ms,
                              f"p50 {p50:.1f} ms; read model p50 {m50:.1f} / p95 {m95:.1f} ms; "
                              f"bare SELECT p50 {b50:.2f} / p95 {b95:.2f} ms; "
                              f"n={len(timer.samples[f'web {key}'])}{extra}"))

    for kind in refs.by_kind:
        line(f"search: {kind}, p95", kind, 50)
    line("order page, p95", "page", 150)
    line("dashboard, p95", "dashboard", 300, f"; {size}, generated in {built:.0f} s, {db_mb:,.0f} MB")
    if wrong:
        results.append(Result("searches that missed their order", len(wrong), None, "", "0", False,
                              f"e.g. {wrong[:3]}"))
    return results


if __name__ == "__main__":
    print_table(run("--quick" in sys.argv))
