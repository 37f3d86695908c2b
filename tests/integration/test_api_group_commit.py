"""Orders POSTed at once over real HTTP (a threaded server), on SQLite and PostgreSQL: they are
committed together, each request answered with its own outcome, exactly as one at a time.

Batches are made deterministic where a test needs one: a gate in front of intake holds the
committer on a first order until the others are queued (no sleeps; events and barriers).
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from werkzeug.serving import make_server

from hub.adapters import tables as t
from hub.services.intake import accept
from tests.integration.test_api import OTHER, TOKEN
from tests.integration.test_intake import POISON_PG, POISON_SQLITE, order
from web import create_app


@pytest.fixture
def app(store_hub):
    store_hub.settings.channels["phone"] = dataclasses.replace(store_hub.settings.channels["phone"],
                                                               token_env="PHONE_TOKEN")
    app = create_app(hub=store_hub, environ={"EDIHUB_TOKEN_WEBSHOP": TOKEN, "PHONE_TOKEN": OTHER,
                                              "EDIHUB_SECRET_KEY": "x" * 32})
    yield app
    app.extensions["edihub.intake"].close()


@pytest.fixture
def batcher(app):
    return app.extensions["edihub.intake"]


@pytest.fixture
def port(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    thread.join(10)


def post(port: int, body: dict, token: str = TOKEN) -> tuple[int, dict, dict]:
    """POST one order on a connection of its own: status, JSON body, headers."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", "/api/v1/orders", json.dumps(body),
                     {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read()), dict(resp.getheaders())
    finally:
        conn.close()


def post_all(port: int, bodies: list[dict], token: str = TOKEN) -> list[tuple[int, dict, dict]]:
    """POST every body from a thread of its own, all released at once; answers in order."""
    answers: list = [None] * len(bodies)
    start = threading.Barrier(len(bodies))

    def one(n: int) -> None:
        start.wait()
        try:
            answers[n] = post(port, bodies[n], token)
        except Exception as exc:  # surfaced by the caller's assertions
            answers[n] = (None, {"exception": repr(exc)}, {})

    threads = [threading.Thread(target=one, args=(n,)) for n in range(len(bodies))]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    return answers


def in_background(port: int, bodies: list[dict]) -> tuple[list, list[threading.Thread]]:
    """Start POSTing each body from a thread of its own; the answers fill in as they come."""
    answers: list = [None] * len(bodies)

    def one(n: int) -> None:
        answers[n] = post(port, bodies[n])

    threads = [threading.Thread(target=one, args=(n,)) for n in range(len(bodies))]
    for th in threads:
        th.start()
    return answers, threads


class Gate:
    """Put in front of intake: the first batch waits until ``open()``; records every batch."""

    def __init__(self, batcher, real=accept):
        self.entered, self.opened = threading.Event(), threading.Event()
        self.batches: list[list[str]] = []
        self.queued = threading.Condition()
        self.real = real
        batcher.accept = self
        submit = batcher.submit

        def counting_submit(submission):   # lets a test wait until N orders are queued
            future = submit(submission)
            with self.queued:
                self.queued.notify_all()
            return future
        batcher.submit = counting_submit
        self.batcher = batcher

    def __call__(self, hub, batch):
        self.batches.append([(s.data or {}).get("channel_order_id") for s in batch])
        self.entered.set()
        self.opened.wait(30)
        return self.real(hub, batch)

    def wait_queued(self, n: int) -> None:
        """Until ``n`` orders wait behind the held batch."""
        with self.queued:
            assert self.queued.wait_for(lambda: len(self.batcher._queue) >= n, 30)

    def open(self) -> None:
        self.opened.set()


@contextmanager
def held_first(port: int, batcher, blocker: str = "WS-HOLD"):
    """A first order held in intake while the body of the ``with`` queues more behind it."""
    gate = Gate(batcher)
    answers, threads = in_background(port, [order(channel_order_id=blocker)])
    assert gate.entered.wait(30)
    try:
        yield gate
    finally:
        gate.open()
        for th in threads:
            th.join(30)
    assert answers[0][0] == 201


def rows(hub, table=t.orders) -> int:
    with hub.uow(readonly=True) as uow:
        return uow.conn.scalar(select(func.count()).select_from(table))


def test_many_clients_posting_distinct_orders_each_get_their_own_order_once(port, store_hub):
    bodies = [order(channel_order_id=f"WS-{n}") for n in range(24)]
    answers = post_all(port, bodies)
    assert [a[0] for a in answers] == [201] * 24
    # Each request is answered with its own order, never a neighbour's from the same batch.
    assert [a[1]["channel_order_id"] for a in answers] == [f"WS-{n}" for n in range(24)]
    assert [a[2]["Location"].rsplit("/", 1)[1] for a in answers] == [f"WS-{n}" for n in range(24)]
    assert rows(store_hub) == 24
    assert rows(store_hub, t.purchase_orders) == 48   # each order splits between two suppliers


def test_orders_waiting_together_are_committed_as_one_batch(port, batcher, store_hub):
    with held_first(port, batcher) as gate:
        answers, threads = in_background(port, [order(channel_order_id=f"WS-{n}") for n in range(5)])
        gate.wait_queued(5)
    for th in threads:
        th.join(30)
    assert gate.batches[0] == ["WS-HOLD"]
    assert sorted(gate.batches[1]) == [f"WS-{n}" for n in range(5)]   # one accept, one commit
    assert [a[0] for a in answers] == [201] * 5
    assert [a[1]["channel_order_id"] for a in answers] == [f"WS-{n}" for n in range(5)]
    assert rows(store_hub) == 6


def test_the_same_order_posted_at_once_is_created_once(port, store_hub):
    answers = post_all(port, [order() for _ in range(6)])
    assert sorted(a[0] for a in answers) == [200] * 5 + [201]
    assert len({json.dumps(a[1], sort_keys=True) for a in answers}) == 1   # all the same order
    assert rows(store_hub) == 1


def test_the_same_order_in_one_batch_is_created_once(port, batcher, store_hub):
    with held_first(port, batcher) as gate:
        answers, threads = in_background(port, [order() for _ in range(4)])
        gate.wait_queued(4)
    for th in threads:
        th.join(30)
    assert gate.batches[1] == ["WS-1"] * 4
    assert sorted(a[0] for a in answers) == [200, 200, 200, 201]
    created = next(a[1] for a in answers if a[0] == 201)
    assert all(a[1] == created for a in answers)       # the 200s carry the order as stored
    assert rows(store_hub) == 2


def test_a_conflicting_duplicate_in_the_same_batch_is_409(port, batcher, store_hub):
    changed = order()
    changed["lines"][0]["quantity"] = 7
    with held_first(port, batcher) as gate:
        first, threads = in_background(port, [order()])
        gate.wait_queued(1)
        second, more = in_background(port, [changed])
        gate.wait_queued(2)
    for th in threads + more:
        th.join(30)
    assert gate.batches[1] == ["WS-1", "WS-1"]
    assert first[0][0] == 201
    assert second[0][0] == 409 and "lines[0].quantity" in second[0][1]["message"]
    assert post(port, changed)[0] == 409                 # and again on its own
    assert rows(store_hub) == 2


def test_an_invalid_order_in_a_batch_is_refused_alone(port, batcher, store_hub):
    # One order refused by its content (422 at once), one refused by the store itself (a
    # trigger), among valid ones committed in the same batch: only those two are refused.
    with store_hub.engine.begin() as conn:
        for sql in ([POISON_SQLITE] if store_hub.engine.dialect.name == "sqlite" else POISON_PG):
            conn.exec_driver_sql(sql)
    bodies = [order(channel_order_id=f"WS-{n}") for n in range(6)]
    bodies[1] = order(channel_order_id="WS-BAD", currency="dollars")
    bodies[4] = order(channel_order_id="WS-POISON")
    with held_first(port, batcher) as gate:
        answers, threads = in_background(port, bodies)
        gate.wait_queued(6)
    for th in threads:
        th.join(30)
    assert sorted(gate.batches[1]) == sorted(b["channel_order_id"] for b in bodies)
    assert [a[0] for a in answers] == [201, 422, 201, 201, 422, 201]
    assert "currency" in " ".join(answers[1][1]["problems"])
    assert "the store refuses this order" in answers[4][1]["problems"][0]
    assert rows(store_hub) == 5
    assert rows(store_hub, t.incidents) == 2           # each refusal kept as an Incident


def test_the_committer_survives_a_batch_that_breaks(port, batcher, store_hub, caplog):
    # Intake itself fails on a batch (a fault of the hub, or the store gone): every request
    # of that batch gets an answer, and the next orders go in as usual.
    failures = iter([RuntimeError("intake broke"), OperationalError("SELECT", {}, Exception("disk I/O error"))])

    def breaks_twice(hub, batch):
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return accept(hub, batch)
    batcher.accept = breaks_twice
    status, body, _ = post(port, order(channel_order_id="WS-A"))
    assert status == 500
    status, body, headers = post(port, order(channel_order_id="WS-B"))
    assert status == 503 and body["error"] == "unavailable"
    assert "store is unavailable" in body["message"] and headers["Retry-After"] == "5"
    assert rows(store_hub) == 0
    answers = post_all(port, [order(channel_order_id=f"WS-{n}") for n in "ABC"])
    assert [a[0] for a in answers] == [201] * 3
    assert rows(store_hub) == 3


def test_a_stuck_committer_answers_503_and_never_hangs(port, batcher, store_hub):
    batcher.wait_seconds = 0.5
    gate = Gate(batcher)
    held, threads = in_background(port, [order(channel_order_id="WS-HELD")])
    assert gate.entered.wait(30)            # its batch is in intake now, held there
    queued, more = in_background(port, [order(channel_order_id="WS-QUEUED")])
    for th in threads + more:
        th.join(30)
    for answer in held + queued:
        assert answer[0] == 503 and answer[2]["Retry-After"] == "5"
        assert "send it again" in answer[1]["message"]
    gate.open()
    batcher.wait_seconds = 30
    # The held order was being committed: it went in. The queued one was given up before
    # intake saw it: it did not. Sent again, each is answered as what it is.
    assert post(port, order(channel_order_id="WS-HELD"))[0] == 200
    assert post(port, order(channel_order_id="WS-QUEUED"))[0] == 201
    assert gate.batches == [["WS-HELD"], ["WS-HELD"], ["WS-QUEUED"]]


def test_dispatch_is_woken_after_the_commit(port, store_hub):
    seen = []

    def on_queued():   # the order must be there for a dispatcher woken now
        with store_hub.uow(readonly=True) as uow:
            seen.append(uow.conn.scalar(select(func.count()).select_from(t.interchanges)
                                        .where(t.interchanges.c.state == "queued")))
    store_hub.context.on_queued = on_queued
    assert post(port, order())[0] == 201
    assert seen == [2]


def test_a_token_cannot_queue_another_channels_order(port, batcher):
    status, body, _ = post(port, order(), token=OTHER)
    assert status == 403 and body["error"] == "wrong_channel"
    assert batcher._thread is None          # refused before it reached the committer


def test_a_stopping_server_commits_what_is_queued_then_refuses(port, batcher, store_hub):
    gate = Gate(batcher)
    held, threads = in_background(port, [order(channel_order_id=f"WS-{n}") for n in range(3)])
    assert gate.entered.wait(30)
    gate.wait_queued(len(held) - len(gate.batches[0]))
    closing = threading.Thread(target=batcher.close)
    closing.start()
    gate.open()
    closing.join(30)
    for th in threads:
        th.join(30)
    assert not closing.is_alive() and not batcher._thread.is_alive()
    assert [a[0] for a in held] == [201] * 3
    status, body, headers = post(port, order(channel_order_id="WS-LATE"))
    assert status == 503 and "stopping" in body["message"] and headers["Retry-After"] == "5"
    assert rows(store_hub) == 3


def test_the_answer_read_with_the_batch_is_the_order_as_get_shows_it(port, batcher, store_hub):
    posted = [post(port, order(channel_order_id=f"WS-{n}")) for n in range(2)]

    def unreadable(results):
        raise OperationalError("SELECT", {}, Exception("database is locked"))
    batcher.answer = unreadable           # then each request reads its own answer
    fallback = post(port, order(channel_order_id="WS-2"))
    again = post(port, order(channel_order_id="WS-0"))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for n, (status, body, _) in enumerate(posted + [fallback]):
        assert status == 201
        conn.request("GET", f"/api/v1/orders/webshop/WS-{n}", headers={"Authorization": f"Bearer {TOKEN}"})
        assert json.loads(conn.getresponse().read()) == body
    conn.close()
    assert again[0] == 200 and again[1] == posted[0][1]
    assert [line["suppliers"] for line in posted[0][1]["lines"]] == [["acme"], ["initech"]]


def test_two_web_processes_posting_the_same_orders_create_each_once(port, store_hub, clock):
    # Each web process has its own committer; the store's unique key decides between them.
    from hub.bootstrap import bootstrap
    other_hub = bootstrap(settings=store_hub.settings, clock=clock, migrate_store=False)
    other = create_app(hub=other_hub, environ={"EDIHUB_TOKEN_WEBSHOP": TOKEN, "EDIHUB_SECRET_KEY": "y" * 32})
    server = make_server("127.0.0.1", 0, other, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        bodies = [order(channel_order_id=f"WS-{n}") for n in range(6)]
        answers: list = [None] * 12
        start = threading.Barrier(12)

        def one(k: int) -> None:
            start.wait()
            answers[k] = post(port if k % 2 else server.server_port, bodies[k // 2])

        threads = [threading.Thread(target=one, args=(k,)) for k in range(12)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
    finally:
        server.shutdown()
        thread.join(10)
        other.extensions["edihub.intake"].close()
        other_hub.close()
    for n in range(6):
        pair = answers[2 * n:2 * n + 2]
        assert sorted(a[0] for a in pair) == [200, 201], pair
        assert pair[0][1] == pair[1][1]
    assert rows(store_hub) == 6


def test_edihub_serve_stops_on_sigterm_and_keeps_what_it_took(demo_home, tmp_path):
    import os
    import signal
    import subprocess
    import sys

    from hub.bootstrap import bootstrap
    from tests.support.sshd import free_port
    from tests.support.workers import wait_for
    port = free_port()
    env = {**os.environ, "EDIHUB_TOKEN_WEBSHOP": TOKEN, "EDIHUB_SECRET_KEY": "s" * 32}
    with open(tmp_path / "web.log", "w") as log:
        web = subprocess.Popen([sys.executable, "-m", "hub", "--home", str(demo_home), "serve",
                                "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        def up() -> bool:
            assert web.poll() is None, (tmp_path / "web.log").read_text()
            try:
                return post(port, order())[0] == 201
            except OSError:
                return False
        wait_for(up, 60, "edihub serve", ())
        web.send_signal(signal.SIGTERM)
        assert web.wait(30) == 0, (tmp_path / "web.log").read_text()
    finally:
        if web.poll() is None:
            web.kill()
            web.wait(30)
    assert (tmp_path / "web.log").read_text().rstrip().endswith("stopped")
    hub = bootstrap(demo_home, migrate_store=False)
    try:
        assert rows(hub) == 1
    finally:
        hub.close()
