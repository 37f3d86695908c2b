"""Real worker processes: immediate dispatch, several workers on PostgreSQL, SIGTERM, SIGKILL."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

from sqlalchemy import func, select

from bench.bench_import import write_orders
from hub.adapters import tables as t
from hub.bootstrap import bootstrap
from hub.config import load_settings
from hub.services.intake import Submission, accept
from tests.integration.test_intake import order
from tests.support.workers import WorkerProcess, wait_for


def configure(home: Path, **jobs) -> None:
    """Jobs settings for the test, and room for large test batches at the suppliers."""
    cfg = home / "edihub.toml"
    text = cfg.read_text().replace("max_quantity_per_line = 50", "max_quantity_per_line = 1000")
    text = text.replace('drop_format = "csv"', 'drop_format = "auto"')   # these tests drop JSON lines
    body = "\n".join(f"{k} = {v}" for k, v in jobs.items())
    text = text.replace("[jobs]\ndispatch_seconds = 5\ndrop_folder_seconds = 10\n", f"[jobs]\n{body}\n")
    cfg.write_text(text)
    acme = home / "partners" / "acme.toml"
    acme.write_text(acme.read_text().replace("max_units_per_day = 500", "max_units_per_day = 10000000"))


def hub_for(home: Path, url: str):
    return bootstrap(settings=load_settings(home, {"EDIHUB_DATABASE_URL": url}))


def count(hub, query) -> int:
    with hub.uow(readonly=True) as uow:
        return uow.conn.scalar(query)


QUEUED = select(func.count()).select_from(t.interchanges).where(t.interchanges.c.state == "queued")


def outbox_files(home: Path) -> list[str]:
    return sorted(p.name for s in ("acme", "initech")
                  for p in (home / "var/suppliers" / s / "to-supplier").glob("*_*"))


def test_a_new_order_goes_out_at_once_not_at_the_next_tick(demo_home, db_url):
    configure(demo_home, dispatch_seconds=60)   # the interval alone would take a minute
    env = {"EDIHUB_DATABASE_URL": db_url}
    hub = hub_for(demo_home, db_url)
    worker = WorkerProcess(demo_home, env)
    try:
        wait_for(lambda: "started" in worker.output(), 30, "the worker to start", [worker])
        accept(hub.context, [Submission("t", order())])
        wait_for(lambda: len(outbox_files(demo_home)) == 2, 15, "both purchase orders delivered", [worker])
        assert worker.terminate() == 0
    finally:
        hub.close()
        if worker.proc.poll() is None:
            worker.kill()
    assert "stopped" in worker.output()


def test_three_workers_share_5000_orders_exactly_once(demo_home, pg_url):
    configure(demo_home, dispatch_seconds=2, drop_folder_seconds=0.5)
    drop = demo_home / "var/drop/marketplace"
    for n in range(10):   # ten marketplace files of 500 orders: the workers take them in in parallel
        write_orders(drop / f".export-{n}.jsonl", 500, seed=n)
        rows = [json.loads(line) for line in (drop / f".export-{n}.jsonl").read_text().splitlines()]
        with open(drop / f".export-{n}.jsonl", "w") as fh:
            for r in rows:
                r.update(channel="marketplace", channel_order_id=f"M{n}-{r['channel_order_id']}")
                fh.write(json.dumps(r) + "\n")
        (drop / f".export-{n}.jsonl").rename(drop / f"export-{n}.jsonl")
        os.utime(drop / f"export-{n}.jsonl", (0, 0))   # settled: not still being written
    env = {"EDIHUB_DATABASE_URL": pg_url}
    hub = hub_for(demo_home, pg_url)
    workers = [WorkerProcess(demo_home, env) for _ in range(3)]
    try:
        orders = select(func.count()).select_from(t.orders)
        wait_for(lambda: count(hub, orders) == 5000 and count(hub, QUEUED) == 0, 300,
                 "5000 orders in and every document out", workers)
        assert [w.terminate() for w in workers] == [0, 0, 0]
        i = t.interchanges
        with hub.uow(readonly=True) as uow:
            sent = uow.conn.execute(select(i.c.partner_id, i.c.control_number, i.c.attempts, i.c.state)
                                    .where(i.c.direction == "out")).all()
            pos = uow.conn.scalar(select(func.count()).select_from(t.purchase_orders))
            resent = uow.conn.scalar(select(func.count()).select_from(t.events)
                                     .where(t.events.c.kind == "interchange.resend_recognised"))
    finally:
        hub.close()
        for w in workers:
            if w.proc.poll() is None:
                w.kill()
    assert len(sent) == pos and {s for *_, s in sent} == {"sent"}
    assert {a for _, _, a, _ in sent} == {1} and resent == 0      # each sent once, never twice
    assert len(outbox_files(demo_home)) == pos                      # one file per document
    for partner in ("acme", "initech"):
        numbers = sorted(int(c) for p, c, _, _ in sent if p == partner)
        assert numbers == list(range(1, len(numbers) + 1))          # unique and gapless
    worked = [w.output() for w in workers]
    assert sum(".jsonl: " in log or "dispatch:" in log for log in worked) >= 2   # the work was shared


def test_killed_workers_lose_nothing_and_send_nothing_twice_unnoticed(demo_home, tmp_path):
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    configure(demo_home, dispatch_seconds=1, drop_folder_seconds=0.5)
    drop = demo_home / "var/drop/marketplace"
    for n in range(4):
        path = drop / f"export-{n}.jsonl"
        write_orders(path, 500, seed=100 + n)
        rows = [json.loads(line) for line in path.read_text().splitlines()]
        path.write_text("".join(json.dumps({**r, "channel": "marketplace",
                                            "channel_order_id": f"K{n}-{r['channel_order_id']}"}) + "\n"
                                for r in rows))
        os.utime(path, (0, 0))
    inbox = demo_home / "var/suppliers/acme/from-supplier"
    for n in range(40):   # supplier files to take in while crashing: none may be lost
        (inbox / f"ack-{n:03d}.edi").write_bytes(_ack(n))
        os.utime(inbox / f"ack-{n:03d}.edi", (0, 0))
    hub = hub_for(demo_home, url)
    env = {"EDIHUB_DATABASE_URL": url}
    sent = select(func.count()).select_from(t.interchanges).where(t.interchanges.c.state == "sent")
    received = select(func.count()).select_from(t.interchanges).where(t.interchanges.c.direction == "in")
    orders = select(func.count()).select_from(t.orders)

    def done() -> bool:
        return count(hub, orders) == 2000 and count(hub, QUEUED) == 0 and not list(inbox.glob("*.edi"))

    rand = random.Random(7)
    try:
        for _ in range(4):   # kill at a different point of the work each time
            worker = WorkerProcess(demo_home, env)
            target = count(hub, sent) + count(hub, received) + rand.randint(50, 400)
            wait_for(lambda: count(hub, sent) + count(hub, received) >= target or done(), 120,
                     f"progress past {target}", [worker])
            worker.kill()
        worker = WorkerProcess(demo_home, env)
        wait_for(done, 300, "everything done after the crashes", [worker])
        assert worker.terminate() == 0
        i = t.interchanges
        with hub.uow(readonly=True) as uow:
            out = uow.conn.execute(select(i.c.filename, i.c.state).where(i.c.direction == "out",
                                                                          i.c.doc_type.in_(["850", "xml-po"]))).all()
            pos = uow.conn.scalar(select(func.count()).select_from(t.purchase_orders))
            names = set(uow.conn.scalars(select(i.c.remote_name).where(i.c.direction == "in")))
    finally:
        hub.close()
    assert len(out) == pos and {s for _, s in out} == {"sent"}       # every order's documents
    files = outbox_files(demo_home)
    # One file per document: a document sent again after a kill is recognised at the
    # supplier's folder (same name, same bytes) and recorded, never written twice.
    assert sorted(f for f, _ in out) == sorted(f for f in files if "_850_" in f or "_po_" in f)
    assert {f"ack-{n:03d}.edi" for n in range(40)} <= names           # no inbound file lost


def _ack(n: int) -> bytes:
    """A 997 from acme about a group we never sent: processed, kept, an Incident."""
    segs = [f"ISA*00*          *00*          *ZZ*ACMESUPPLY     *ZZ*DEMORETAIL     *261125*1200*U*00401*"
            f"{900000 + n:09d}*0*T*>", f"GS*FA*ACMESUPPLY*DEMORETAIL*20261125*1200*{n + 1}*X*004010",
            "ST*997*0001", f"AK1*PO*{90000 + n}", "AK9*A*1*1*1", "SE*4*0001", f"GE*1*{n + 1}",
            f"IEA*1*{900000 + n:09d}"]
    return ("~\n".join(segs) + "~\n").encode()


def test_web_and_workers_started_together_on_an_empty_database_all_come_up(demo_home, pg_server,
                                                                            tmp_path):
    # Each process migrates at start; before the migration lock, the ones that lost the race
    # to create the tables exited with status 1.
    import http.client
    import subprocess
    import sys

    from tests.support.sshd import free_port
    name = f"empty_{os.getpid()}_{tmp_path.name[-12:].replace('-', '_')}"
    pg_server.sql(f"CREATE DATABASE {name}")
    env = {"EDIHUB_DATABASE_URL": pg_server.url(name), "EDIHUB_SECRET_KEY": "w" * 32}
    port = free_port()
    with open(tmp_path / "web.log", "w") as log:
        web = subprocess.Popen([sys.executable, "-m", "hub", "--home", str(demo_home), "serve",
                                "--port", str(port)], stdout=log, stderr=subprocess.STDOUT,
                               env={**os.environ, **env})
    workers = [WorkerProcess(demo_home, env) for _ in range(3)]

    def web_up() -> bool:
        assert web.poll() is None, (tmp_path / "web.log").read_text()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.request("GET", "/healthz")
            return conn.getresponse().status == 200
        except OSError:
            return False
        finally:
            conn.close()

    try:
        wait_for(lambda: all("started" in w.output() for w in workers), 120, "every worker", workers)
        wait_for(web_up, 120, "the web app", workers)
        assert [w.terminate() for w in workers] == [0, 0, 0]
    finally:
        web.terminate()
        web.wait(30)
        for w in workers:
            if w.proc.poll() is None:
                w.kill()
