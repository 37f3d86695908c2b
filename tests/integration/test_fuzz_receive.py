"""Mutated partner files through the whole receive path: archive, read, apply, acknowledge.

A seeded mutation loop (reproducible: the seed and the mutations of a failing file are in the
assertion message) over answers to real purchase orders and the X12 fixtures. For every file:
no unexpected failure (the catch-all that keeps a worker alive must never be what handled
it), the bytes are in the archive, every interchange row it opened is settled, and it either
applied something, was recognised as a duplicate, or an Incident says what is wrong with it.
At the end, nothing stored for an earlier file has changed.
"""

from __future__ import annotations

import functools
import hashlib
import io
import logging
import os
import random
from pathlib import Path
from typing import Callable

from sqlalchemy import func, select

from hub.adapters import tables as t
from hub.bootstrap import bootstrap
from hub.services.intake import Submission, accept
from tests.integration.test_intake import order

SEED = int(os.environ.get("EDIHUB_FUZZ_SEED", "20261205"))
FILES = int(os.environ.get("EDIHUB_FUZZ_FILES", "900"))
FIXTURES = Path(__file__).parent.parent / "fixtures" / "x12"
DELIMITERS = b"*~>:^|\n\r\x00\x1d"


def readdress(data: bytes, number: int) -> bytes:
    """A fixture's interchange as if Acme had sent it as interchange ``number`` (ISA06, ISA08
    and ISA13 replaced, widths kept; IEA02 follows ISA13)."""
    start = data.find(b"ISA")
    if start < 0 or len(data) < start + 106:
        return data
    sep = data[start + 3:start + 4]
    fields = data[start:start + 106].split(sep)
    if len(fields) != 17:
        return data
    old = fields[13]
    fields[6], fields[8], fields[13] = b"ACMESUPPLY".ljust(15), b"DEMORETAIL".ljust(15), b"%09d" % number
    return data[:start] + (sep.join(fields) + data[start + 106:]).replace(old, fields[13])


def answers(pos: dict[str, str]) -> list[tuple[Callable[[int], bytes], str | None]]:
    """Good answers to the POs we sent, each made for an interchange number: the starting
    points of the mutations (a new number each time, so they are not all duplicates)."""
    acme, initech = pos["acme"], pos["initech"]
    head = ("ISA*00*          *00*          *ZZ*ACMESUPPLY     *ZZ*DEMORETAIL     *261125*1200*U*00401*"
            "{n:09d}*0*T*>~\nGS*{fid}*ACMESUPPLY*DEMORETAIL*20261125*1200*{n}*X*004010~\n")

    def x12(n: int, set_id: str, fid: str, body: list[str]) -> bytes:
        segs = [f"ST*{set_id}*0001", *body, f"SE*{len(body) + 2}*0001"]
        return (head.format(n=n, fid=fid) + "~\n".join(segs) + f"~\nGE*1*{n}~\nIEA*1*{n:09d}~\n").encode()

    xml_ack = (f'<?xml version="1.0"?><OrderConfirmation version="3.2" test="Y"><Header><MessageRef '
               f'created="2026-11-25T12:00:00+00:00">OC-1</MessageRef><OrderNo>{initech}</OrderNo>'
               '<ConfirmationNo>S1</ConfirmationNo><ConfirmationDate>25/11/2026</ConfirmationDate>'
               '<Account>ER-20417</Account><Answer code="ACC"/></Header><Lines count="0"/>'
               '</OrderConfirmation>').encode()
    return [
        (lambda n: x12(n, "997", "FA", ["AK1*PO*1", "AK2*850*0001", "AK5*A", "AK9*A*1*1*1"]), "acme"),
        (lambda n: x12(n, "855", "PR", [f"BAK*00*AC*{acme}*20261125", "PO1*1*2*EA*89.9**BP*CHAIR-ERGO-BLK",
                                        "ACK*IA*1*EA", "ACK*IB*1*EA*068*20261210", "CTT*1"]), "acme"),
        (lambda n: x12(n, "856", "SH", [f"BSN*00*S{n}*20261126*0900", "HL*1**S", "TD5*B*2*UPSN",
                                        f"REF*2I*1Z{n}", "DTM*011*20261126", "HL*2*1*O", f"PRF*{acme}",
                                        "HL*3*2*P", "MAN*GM*0001", "HL*4*3*I", "LIN*1*BP*CHAIR-ERGO-BLK",
                                        "SN1**1*EA", "CTT*4"]), "acme"),
        (lambda n: xml_ack.replace(b"OC-1", b"OC-%d" % n), "initech"),
    ]


def mutate(data: bytes, rng: random.Random) -> tuple[bytes, list[str]]:
    """1 to 3 random edits; returns the bytes and what was done (for a failure message)."""
    done = []
    for _ in range(rng.randint(1, 3)):
        if not data:
            break
        i = rng.randrange(len(data))
        op = rng.choice(["flip", "delete", "repeat", "delimiter", "number", "truncate", "swap", "long"])
        if op == "flip":
            data = data[:i] + bytes([rng.randrange(256)]) + data[i + 1:]
        elif op == "delete":
            data = data[:i] + data[i + rng.randint(1, 40):]
        elif op == "repeat":
            j = min(len(data), i + rng.randint(1, 200))
            data = data[:j] + data[i:j] * rng.randint(1, 50) + data[j:]
        elif op == "delimiter":
            data = data[:i] + bytes([rng.choice(DELIMITERS)]) + data[i:]
        elif op == "number":
            data = data[:i] + rng.choice([b"-1", b"9" * 12, b"0", b"X1", b"1e9", b"\xff\xfe"]) + data[i:]
        elif op == "truncate":
            data = data[:i]
        elif op == "swap":
            segs = data.split(b"~")
            a, b = rng.randrange(len(segs)), rng.randrange(len(segs))
            segs[a], segs[b] = segs[b], segs[a]
            data = b"~".join(segs)
        else:
            data = data[:i] + b"A" * rng.choice([80, 500, 5000]) + data[i:]
        done.append(f"{op}@{i}")
    return data, done


def incident_count(hub) -> int:
    with hub.uow(readonly=True) as uow:
        return uow.conn.scalar(select(func.coalesce(func.sum(t.incidents.c.occurrences), 0)))


def rows_of(hub, archive_path: str) -> list[dict]:
    i = t.interchanges
    with hub.uow(readonly=True) as uow:
        return [dict(r) for r in uow.conn.execute(
            select(i.c.id, i.c.state, i.c.partner_id, i.c.control_number, i.c.sha256)
            .where(i.c.direction == "in", i.c.archive_path == archive_path)).mappings()]


def test_mutated_files_never_escape_and_never_vanish(demo_home, clock, caplog):
    hub = bootstrap(demo_home, clock=clock)
    try:
        accept(hub.context, [Submission("t", order(channel_order_id=f"F-{k}")) for k in range(3)])
        hub.dispatcher("w").run_until_empty()
        with hub.uow(readonly=True) as uow:
            pos = {r.partner_id: r.po_number for r in uow.conn.execute(select(t.purchase_orders))}
        fixtures = [p.read_bytes() for p in sorted(FIXTURES.glob("*.edi"))]
        corpus = answers(pos) * 3 + [(functools.partial(readdress, d), "acme") for d in fixtures]
        rng = random.Random(SEED)
        caplog.set_level(logging.ERROR, logger="edihub")
        kept: dict[int, dict] = {}
        for n in range(FILES):
            make, partner = rng.choice(corpus)
            data, edits = mutate(make(10_000 + n), rng)
            if rng.random() < 0.1:
                partner = None        # as if taken in by hand without naming the partner
            why = f"file {n} (seed {SEED}, edits {edits}, partner {partner}): {data[:300]!r}"
            before = incident_count(hub)
            report = hub.receive_stream(io.BytesIO(data), "fuzz", f"fuzz-{n}.edi", partner)
            unexpected = [r.getMessage() for r in caplog.records]
            assert not unexpected, f"{why}: {unexpected}"
            assert not any("processing failed unexpectedly" in p for p in report.problems), why
            with hub.uow(readonly=True) as uow:
                path = uow.conn.scalar(select(t.interchanges.c.archive_path)
                                       .where(t.interchanges.c.remote_name == f"fuzz-{n}.edi"))
            assert path, f"{why}: no interchange row"
            assert hashlib.sha256(hub.archive.path_of(path).read_bytes()).hexdigest() == \
                hashlib.sha256(data).hexdigest(), f"{why}: not archived as received"
            rows = rows_of(hub, path)
            assert all(r["state"] != "received" for r in rows), f"{why}: unsettled {rows}"
            said = report.applied or report.state == "duplicate" or incident_count(hub) > before
            assert said, f"{why}: neither applied, nor a duplicate, nor an Incident: {report}"
            kept.update({r["id"]: r for r in rows})
        with hub.uow(readonly=True) as uow:   # nothing stored for an earlier file changed since
            now = {r["id"]: dict(r) for r in uow.conn.execute(
                select(t.interchanges.c.id, t.interchanges.c.state, t.interchanges.c.partner_id,
                       t.interchanges.c.control_number, t.interchanges.c.sha256)
                .where(t.interchanges.c.id.in_(list(kept)))).mappings()}
        assert now == kept
    finally:
        hub.close()
