"""Hub-level delivery benchmarks with real peers (sshd, PostgreSQL, worker processes).

1. Dispatching 1,000 850s from the outbox to a real sshd (claim, send over SFTP with
   check-before-upload and rename, archive, record) against bare paramiko ``putfo`` of the
   same bytes over one connection. Target: >= 0.7x the bare rate.
2. An order accepted by the HTTP API -> its 850 present on the supplier's SFTP server, with
   a worker process running: p50 and p95. Target: p95 under 1 s.
3. 5,000 orders (dropped as marketplace files) taken in and sent by 1 and by 2 worker
   processes sharing one PostgreSQL: orders per second for each.

Run as root: ``python -m bench.bench_workers [--quick]`` (it starts sshd and PostgreSQL).
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import func, select

from bench.bench_import import write_orders
from bench.harness import Result, print_table

TOKEN = "bench-webshop-token-0123456789"


def _instance(root: Path, sftp=None, url: str | None = None) -> Path:
    from hub.instance import create_instance
    home = root / "inst"
    create_instance(home, demo=True)
    cfg = home / "edihub.toml"
    text = cfg.read_text().replace("max_quantity_per_line = 50", "max_quantity_per_line = 1000")
    text = text.replace('drop_format = "csv"', 'drop_format = "auto"')
    text = text.replace("[jobs]\ndispatch_seconds = 5\ndrop_folder_seconds = 10\n",
                        "[jobs]\ndispatch_seconds = 30\ndrop_folder_seconds = 0.5\n")
    cfg.write_text(text)
    acme = home / "partners" / "acme.toml"
    acme_text = acme.read_text().replace("max_units_per_day = 500", "max_units_per_day = 100000000")
    if sftp is not None:
        server, remote = sftp
        acme_text = re.sub(r"\[transport\].*?\n\n", (
            f'[transport]\ntype = "sftp"\nhost = "127.0.0.1"\nport = {server.port}\n'
            f'username = "{server.user}"\nkey_file = "{server.client_key("ed25519")}"\n'
            f'host_keys = ["{server.host_key_line}"]\noutbox_dir = "{remote}"\n\n'), acme_text, flags=re.S)
    acme.write_text(acme_text)
    return home


def _orders(n: int, prefix: str) -> list[dict]:
    tmp = Path(tempfile.mkdtemp()) / "o.jsonl"
    write_orders(tmp, n)
    rows = [json.loads(line) for line in tmp.read_text().splitlines()]
    shutil.rmtree(tmp.parent)
    for r in rows:
        r["channel_order_id"] = f"{prefix}-{r['channel_order_id']}"
        r["lines"] = [ln for ln in r["lines"] if ln["sku"] != "DESK-OAK-120"] or r["lines"][:1]
    return rows


def dispatch_to_sshd(count: int) -> Result:
    """The hub's dispatcher vs bare putfo, same 850s, same sshd."""
    from hub.adapters import tables as t
    from hub.bootstrap import bootstrap
    from hub.services.intake import Submission, accept
    from tests.support.sshd import SshdServer
    root = Path(tempfile.mkdtemp(prefix="edihub-bench-"))
    with SshdServer() as server:
        server.start()
        hub_dir, bare_dir = server.mkdir("hub"), server.mkdir("bare")
        hub = bootstrap(_instance(root, (server, "hub")))
        rows = _orders(count, "D")
        for start in range(0, count, 500):
            accept(hub.context, [Submission(str(i), r) for i, r in enumerate(rows[start:start + 500])])
        with hub.uow(readonly=True) as uow:
            payloads = uow.conn.execute(select(t.interchanges.c.filename, t.interchanges.c.payload)
                                        .where(t.interchanges.c.partner_id == "acme")).all()
        ours, bare, sent = [], [], 0
        for run in range(2):   # alternate, best of two each: this machine is shared and noisy
            if run:
                _requeue(hub)
                hub.pool.close()
                for f in hub_dir.iterdir():
                    f.unlink()
            t0 = time.perf_counter()
            sent = hub.dispatcher(f"bench{run}").run_until_empty(limit=500).sent
            ours.append(time.perf_counter() - t0)
            bare.append(_bare_putfo(server, bare_dir.relative_to(server.root).as_posix(), payloads))
            for f in bare_dir.iterdir():
                f.unlink()
        delivered = len(list(hub_dir.iterdir()))
        hub.close()
        ours, bare = min(ours), min(bare)
    shutil.rmtree(root, ignore_errors=True)
    n = len(payloads)
    return Result(f"dispatch {n:,} 850s to a real sshd vs bare putfo", n / ours, n / bare, "docs/s",
                  ">= 0.7x bare putfo", sent == n == delivered and bare / ours >= 0.7,
                  f"hub {ours:.2f} s (claim, send, archive, record), bare {bare:.2f} s")


def _requeue(hub) -> None:
    """Put every outbound document back in the queue for a second run."""
    from sqlalchemy import update

    from hub.adapters import tables as t
    with hub.uow() as uow:
        uow.conn.execute(update(t.interchanges).values(state="queued", done_at=None, attempts=0))
        uow.commit()


def _bare_putfo(server, remote: str, payloads) -> float:
    """Seconds for bare paramiko putfo of the same documents over one connection."""
    import io

    from bench.bench_sftp import _bare_client
    with _bare_client(server) as sftp:
        t0 = time.perf_counter()
        for name, payload in payloads:
            sftp.putfo(io.BytesIO(payload), f"{remote}/{name}")
        return time.perf_counter() - t0


def api_to_sftp_latency(count: int) -> Result:
    """Order POSTed to the API -> file on the SFTP server, worker process running."""
    from werkzeug.serving import make_server

    from hub.bootstrap import bootstrap
    from tests.support.sshd import SshdServer
    from tests.support.workers import WorkerProcess, wait_for
    from web import create_app
    root = Path(tempfile.mkdtemp(prefix="edihub-bench-"))
    latencies = []
    with SshdServer() as server:
        server.start()
        remote = server.mkdir("latency")
        home = _instance(root, (server, "latency"))
        hub = bootstrap(home)
        app = create_app(hub=hub, environ={"EDIHUB_TOKEN_WEBSHOP": TOKEN, "EDIHUB_SECRET_KEY": "k" * 32})
        logging.getLogger("werkzeug").setLevel(logging.ERROR)   # no line (nor colour codes) per request
        web = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=web.serve_forever, daemon=True).start()
        worker = WorkerProcess(home)
        try:
            wait_for(lambda: "started" in worker.output(), 60, "the worker", [worker])
            for order in _orders(count, "L"):
                order["lines"] = order["lines"][:1]
                before = _published(remote)
                conn = http.client.HTTPConnection("127.0.0.1", web.server_port, timeout=10)
                t0 = time.perf_counter()
                conn.request("POST", "/api/v1/orders", json.dumps(order),
                             {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
                assert conn.getresponse().status == 201
                wait_for(lambda: _published(remote) > before, 30, "the 850 on the server", [worker])
                latencies.append(time.perf_counter() - t0)
        finally:
            worker.terminate()
            web.shutdown()
            hub.close()
    shutil.rmtree(root, ignore_errors=True)
    p50 = statistics.median(latencies)
    p95 = sorted(latencies)[max(0, int(len(latencies) * 0.95) - 1)]
    return Result(f"API -> 850 on SFTP, worker running: p95 ({count} orders)", p95 * 1000, p50 * 1000, "ms",
                  "p95 < 1,000 ms (baseline col: p50)", p95 < 1.0,
                  f"p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms")


def workers_on_postgres(count: int) -> list[Result]:
    """Orders/s with 1 and with 2 workers taking in and sending ``count`` dropped orders."""
    rates = {}
    from tests.support.postgres import PostgresServer
    server = PostgresServer()
    server.start()
    try:
        server.make_template()
        for workers in (1, 2):
            rates[workers] = _run_workers(server, count, workers)
    finally:
        server.stop()
    return [Result(f"{count:,} orders, 1 worker, PostgreSQL", rates[1], None, "orders/s", "report", True,
                   "dropped as 10 files, taken in, routed, 850s sent to the supplier folders"),
            Result(f"{count:,} orders, 2 workers, PostgreSQL (vs 1 worker)", rates[2], rates[1], "orders/s",
                   "report", True, "2 cores on this machine: the workers and PostgreSQL share them")]


def _run_workers(server, count: int, n_workers: int) -> float:
    from hub.adapters import tables as t
    from hub.bootstrap import bootstrap
    from hub.config import load_settings
    from tests.support.workers import WorkerProcess, wait_for
    root = Path(tempfile.mkdtemp(prefix="edihub-bench-"))
    url = server.fresh_database()
    home = _instance(root)
    drop = home / "var/drop/marketplace"
    rows = _orders(count, f"W{n_workers}")
    per = count // 10
    for k in range(10):
        path = drop / f"export-{k}.jsonl"
        path.write_text("".join(json.dumps({**r, "channel": "marketplace"}) + "\n" for r in rows[k * per:(k + 1) * per]))
        os.utime(path, (0, 0))
    hub = bootstrap(settings=load_settings(home, {"EDIHUB_DATABASE_URL": url}))
    total = select(func.count()).select_from(t.orders)
    queued = select(func.count()).select_from(t.interchanges).where(t.interchanges.c.state == "queued")

    def done() -> bool:
        with hub.uow(readonly=True) as uow:
            return uow.conn.scalar(total) == per * 10 and uow.conn.scalar(queued) == 0

    t0 = time.perf_counter()
    workers = [WorkerProcess(home, {"EDIHUB_DATABASE_URL": url}) for _ in range(n_workers)]
    try:
        wait_for(done, 600, f"{count} orders through {n_workers} worker(s)", workers)
        elapsed = time.perf_counter() - t0
    finally:
        for w in workers:
            w.terminate()
        hub.close()
        shutil.rmtree(root, ignore_errors=True)
    return per * 10 / elapsed


def run(quick: bool = False) -> list[Result]:
    """All hub-level delivery benchmarks."""
    return [dispatch_to_sshd(300 if quick else 1000), api_to_sftp_latency(20 if quick else 100),
            *workers_on_postgres(1000 if quick else 5000)]


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    print_table(run("--quick" in sys.argv))


def _published(folder: Path) -> int:
    """Documents published in ``folder``: a transport's hidden temporary files do not count."""
    return sum(1 for f in folder.iterdir() if not f.name.startswith("."))
