"""The order API under concurrent clients, served as in production (``edihub serve``, waitress).

A fresh demo instance (``edihub init --demo``, review and capacity limits raised so every
order is routed and its purchase order rendered) is served by ``edihub serve`` in a child
process on a free port. Eight client threads, each on one keep-alive connection
(http.client), post N distinct one-line orders; the same eight clients fetch
``GET /healthz`` (one small read of the store) on the same server in the same run, in
four rounds of healthz then a quarter of the orders: each rate is over all its rounds.
Targets on SQLite: orders/s >= 0.5x GET /healthz and p99 < 100 ms.
With ``--postgres`` the same run is made on a PostgreSQL started for it (reported only).

``python -m bench.bench_api [--quick] [--postgres]``; ``python -m bench api``.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.bench_import import write_orders
from bench.harness import Result, print_table

CLIENTS = 8
ROUNDS = 4
TOKEN = "bench-api-webshop-token-0123456789"
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _edihub(*argv: str) -> list[str]:
    return [sys.executable, "-m", "hub", *argv]


def _instance(root: Path, env: dict) -> Path:
    """``edihub init --demo``, with the limits raised so every order is routed and rendered."""
    home = root / "inst"
    subprocess.run(_edihub("init", str(home), "--demo"), check=True, env=env,
                   stdout=subprocess.DEVNULL)
    cfg = home / "edihub.toml"
    cfg.write_text(cfg.read_text().replace("max_quantity_per_line = 50", "max_quantity_per_line = 1000"))
    for partner in ("acme", "initech"):
        path = home / "partners" / f"{partner}.toml"
        path.write_text(path.read_text().replace("max_units_per_day = 500",
                                                 "max_units_per_day = 100000000"))
    return home


def _bodies(root: Path, count: int) -> list[bytes]:
    """``count`` distinct one-line orders as request bodies."""
    path = root / "orders.jsonl"
    write_orders(path, count)
    bodies = []
    for line in path.read_text().splitlines():
        order = json.loads(line)
        order["lines"] = order["lines"][:1]
        bodies.append(json.dumps(order).encode())
    return bodies


class Server:
    """``edihub serve`` in a child process, its output in a file."""

    def __init__(self, home: Path, env: dict):
        self.port = _free_port()
        self.log = home / "serve.log"
        with open(self.log, "w") as out:
            self.proc = subprocess.Popen(_edihub("--home", str(home), "serve", "--port", str(self.port),
                                                 "--threads", "8"),
                                         stdout=out, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    conn.close()
                    return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"edihub serve did not come up:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.1)

    def stop(self) -> None:
        """SIGTERM, and wait for the process to go."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(30)


def _drive(port: int, requests: list[list[tuple[str, str, bytes | None]]]) -> tuple[float, list[float], dict]:
    """Each client thread sends its list of (method, path, body) over one keep-alive
    connection; return wall seconds, every latency (s) and the count of each status."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    start = threading.Barrier(len(requests) + 1)
    errors: list[BaseException] = []

    def client(mine: list[tuple[str, str, bytes | None]]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        took, seen = [], {}
        try:
            conn.connect()
            start.wait()
            for method, path, body in mine:
                t0 = time.perf_counter()
                conn.request(method, path, body, HEADERS if body is not None else {})
                resp = conn.getresponse()
                resp.read()
                took.append(time.perf_counter() - t0)
                seen[resp.status] = seen.get(resp.status, 0) + 1
        except BaseException as exc:  # reported by the caller
            errors.append(exc)
        finally:
            conn.close()
        with lock:
            latencies.extend(took)
            for status, n in seen.items():
                statuses[status] = statuses.get(status, 0) + n

    threads = [threading.Thread(target=client, args=(mine,)) for mine in requests]
    for th in threads:
        th.start()
    start.wait()
    t0 = time.perf_counter()
    for th in threads:
        th.join()
    elapsed = time.perf_counter() - t0
    if errors:
        raise RuntimeError(f"a client failed: {errors[0]!r}")
    return elapsed, latencies, statuses


def _split(items: list, parts: int) -> list[list]:
    return [items[k::parts] for k in range(parts)]


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def measure(count: int, database_url: str | None = None, rounds: int = ROUNDS) -> dict:
    """One fresh server; ``rounds`` times GET /healthz then a share of the orders, so both
    rates are taken over the same stretch of a shared, noisy machine; every order's latency."""
    root = Path(tempfile.mkdtemp(prefix="edihub-bench-api-"))
    env = {**os.environ, "EDIHUB_TOKEN_WEBSHOP": TOKEN, "EDIHUB_SECRET_KEY": "b" * 64,
           "PYTHONUNBUFFERED": "1"}
    if database_url:
        env["EDIHUB_DATABASE_URL"] = database_url
    try:
        home = _instance(root, env)
        bodies = _bodies(root, count)
        server = Server(home, env)
        health = [("GET", "/healthz", None)] * max(count // rounds, 1000)
        latencies, statuses = [], {}
        posted = checked = 0.0
        try:
            _drive(server.port, _split(health[:200], CLIENTS))      # warm up the threads and pool
            for k in range(rounds):
                elapsed, _, seen = _drive(server.port, _split(health, CLIENTS))
                if seen != {200: len(health)}:
                    raise RuntimeError(f"GET /healthz answered {seen}")
                checked += elapsed
                share = bodies[k::rounds]
                elapsed, took, seen = _drive(server.port,
                                             _split([("POST", "/api/v1/orders", b) for b in share], CLIENTS))
                posted += elapsed
                latencies += took
                for status, n in seen.items():
                    statuses[status] = statuses.get(status, 0) + n
        finally:
            server.stop()
        return {"rate": count / posted, "health": rounds * len(health) / checked,
                "statuses": statuses, "p50": statistics.median(latencies),
                "p95": _percentile(latencies, 95), "p99": _percentile(latencies, 99),
                "max": max(latencies), "created": statuses.get(201, 0)}
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _result(label: str, count: int, m: dict, targets: bool) -> list[Result]:
    all_created = m["created"] == count
    note = (f"{ROUNDS} rounds of healthz then orders; p50 {m['p50'] * 1000:.1f} ms, p95 {m['p95'] * 1000:.1f} ms, p99 {m['p99'] * 1000:.1f} ms, "
            f"max {m['max'] * 1000:.0f} ms; answers {m['statuses']}")
    ratio_ok = m["rate"] / m["health"] >= 0.5
    return [
        Result(f"POST {count:,} orders, {CLIENTS} keep-alive clients ({label})", m["rate"], m["health"],
               "orders/s", ">= 0.5x GET /healthz" if targets else "report (base: GET /healthz)",
               all_created and (ratio_ok or not targets), note),
        Result(f"  same: p99 latency ({label})", m["p99"] * 1000, m["p50"] * 1000, "ms",
               "p99 < 100 ms (base: p50)" if targets else "report (base: p50)",
               all_created and (m["p99"] < 0.1 or not targets)),
    ]


def on_postgres(count: int) -> list[Result]:
    """The same run with the store on a PostgreSQL started for it."""
    from tests.support.postgres import PostgresServer
    server = PostgresServer()
    server.start()
    try:
        server.make_template()
        return _result("PostgreSQL", count, measure(count, server.fresh_database()), targets=False)
    finally:
        server.stop()


def run(quick: bool = False, postgres: bool = False) -> list[Result]:
    """The API benchmark on SQLite, and on PostgreSQL when asked (``--postgres``)."""
    count = 600 if quick else 2000
    results = _result("SQLite", count, measure(count), targets=True)
    if postgres or "--postgres" in sys.argv:
        results += on_postgres(count)
    return results


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    print_table(run("--quick" in sys.argv, "--postgres" in sys.argv))
