"""A change through the API to an 860 on a real sshd, with the server and a worker running.

A demo instance whose supplier (acme, which has a change mapping: X12 860) is on a private
OpenSSH sshd; ``edihub serve`` (waitress) and ``edihub run`` (a worker) run as child
processes, as in production. One order at a time: the order is POSTed and its 850 awaited
on the sshd side (the baseline: the same server and worker, POST to file, measured the same
way), the worker's record of the delivery is awaited (the purchase order is then at the
supplier, so the change must reach it as an 860), then a change (line 1 from 3 units to 1)
is POSTed to ``/api/v1/orders/<channel>/<id>/changes`` and the time from its 201 until the
860 is on the sshd side is taken. The remote folder is polled every 5 ms for a new complete
file (the transport writes ``.<name>.part`` and renames it).
Target: p95 of the change < 1 s.

Run as root (it starts sshd): ``python -m bench.bench_changes [--quick]``; ``python -m bench changes``.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_api import HEADERS, TOKEN, Server, _percentile
from bench.bench_workers import _instance, _orders
from bench.harness import Result, print_table

POLL = 0.005   # seconds between looks at the remote folder
TIMEOUT = 30.0


def _names(folder: Path) -> set[str]:
    """Complete files in the remote folder (not the transport's hidden .part files)."""
    return {n for n in os.listdir(folder) if not n.startswith(".")}


def _arrival(folder: Path, known: set[str], procs, what: str) -> tuple[float, str]:
    """Poll until a new complete file is in ``folder``; return when it was seen, and its name."""
    deadline = time.perf_counter() + TIMEOUT
    while True:
        new = _names(folder) - known
        if new:
            return time.perf_counter(), new.pop()
        for p in procs:
            if p.poll() is not None:
                raise RuntimeError(f"a child process exited ({p.returncode}) while waiting for {what}")
        if time.perf_counter() > deadline:
            raise RuntimeError(f"timed out after {TIMEOUT} s waiting for {what}")
        time.sleep(POLL)


def _post(port: int, path: str, body: dict) -> tuple[float, float, int, dict]:
    """POST JSON on a fresh connected socket; return when it was sent and when the answer was
    read, its status and body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.connect()
        sent = time.perf_counter()
        conn.request("POST", path, json.dumps(body), HEADERS)
        resp = conn.getresponse()
        data = resp.read()
        return sent, time.perf_counter(), resp.status, json.loads(data or b"{}")
    finally:
        conn.close()


def measure(count: int) -> dict:
    """``count`` orders, each: POST -> 850 on the sshd, then change -> 860 on the sshd."""
    from sqlalchemy import create_engine, select

    from hub.adapters import tables as t
    from hub.config import load_settings
    from tests.support.sshd import SshdServer
    from tests.support.workers import WorkerProcess, wait_for
    root = Path(tempfile.mkdtemp(prefix="edihub-bench-changes-"))
    env = {**os.environ, "EDIHUB_TOKEN_WEBSHOP": TOKEN, "EDIHUB_SECRET_KEY": "c" * 64,
           "PYTHONUNBUFFERED": "1"}
    took = {"order": [], "order_post": [], "change": [], "change_post": []}
    modes: dict[str, int] = {}
    try:
        with SshdServer() as sshd:
            remote = sshd.mkdir("changes")
            home = _instance(root, (sshd, "changes"))
            engine = create_engine(load_settings(home, {}).database_url)
            server = Server(home, env)
            worker = WorkerProcess(home)
            procs = [server.proc, worker.proc]
            try:
                wait_for(lambda: "started" in worker.output(), 60, "the worker", [worker])
                po_state = select(t.purchase_orders.c.state).join(
                    t.orders, t.orders.c.id == t.purchase_orders.c.order_id)
                for order in _orders(count + 1, "C"):
                    order["lines"] = [{**order["lines"][0], "quantity": 3}]
                    oid = order["channel_order_id"]
                    known = _names(remote)
                    sent, answered, status, _ = _post(server.port, "/api/v1/orders", order)
                    if status != 201:
                        raise RuntimeError(f"POST /api/v1/orders answered {status}")
                    seen, name = _arrival(remote, known, procs, f"the 850 of {oid}")
                    took["order"].append((seen - answered) * 1000)
                    took["order_post"].append((seen - sent) * 1000)
                    known.add(name)

                    def delivered() -> bool:
                        with engine.connect() as conn:
                            return conn.scalar(po_state.where(t.orders.c.channel_order_id == oid)) == "sent"
                    wait_for(delivered, TIMEOUT, f"the worker's record of {oid}'s 850", [worker])
                    sent, answered, status, view = _post(
                        server.port, f"/api/v1/orders/webshop/{oid}/changes",
                        {"change_id": f"CH-{oid}", "lines": [{"line_id": order["lines"][0]["line_id"],
                                                             "quantity": 1}]})
                    if status != 201:
                        raise RuntimeError(f"POST .../changes answered {status}: {view}")
                    for po in view["purchase_orders"]:
                        modes[po["mode"]] = modes.get(po["mode"], 0) + 1
                    seen, name = _arrival(remote, known, procs, f"the 860 of {oid}")
                    took["change"].append((seen - answered) * 1000)
                    took["change_post"].append((seen - sent) * 1000)
                    if b"ST*860*" not in (remote / name).read_bytes():
                        raise RuntimeError(f"{name} on the sshd side is not an 860")
            finally:
                worker.terminate()
                server.stop()
                engine.dispose()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    # The first order warms the server, the worker and the connection to the sshd up.
    return {**{k: v[1:] for k, v in took.items()}, "modes": modes}


def _spread(values: list[float]) -> str:
    return (f"p50 {_percentile(values, 50):.0f} ms, p95 {_percentile(values, 95):.0f} ms, "
            f"p99 {_percentile(values, 99):.0f} ms, max {max(values):.0f} ms")


def run(quick: bool = False) -> list[Result]:
    """The change latency against the order latency of the same run."""
    count = 30 if quick else 200
    m = measure(count)
    p95, base = _percentile(m["change"], 95), _percentile(m["order"], 95)
    return [Result(f"API change -> 860 on a real sshd, worker running: p95 ({count} changes)", p95, base,
                   "ms", "p95 < 1,000 ms (base: 850 p95)", p95 < 1000 and m["modes"] == {"860": count + 1},
                   f"from the 201 to the file on the sshd side: change -> 860 {_spread(m['change'])}; "
                   f"order -> 850 {_spread(m['order'])}. From sending the POST: change {_spread(m['change_post'])}; "
                   f"order {_spread(m['order_post'])}. Purchase orders told by {m['modes']}; "
                   f"means {statistics.mean(m['change']):.0f} vs {statistics.mean(m['order']):.0f} ms")]


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    print_table(run("--quick" in sys.argv))
