"""/metrics (Prometheus), /healthz and the workers' heartbeats, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, select, update

from hub.adapters import tables as t
from hub.jobs import Worker
from hub.services.dispatch import DispatchReport
from hub.services.intake import Submission, accept
from tests.integration.test_inbound import receive, x12
from tests.integration.test_scorecard import T0, at, ack997, place, send
from tests.integration.test_intake import order
from tests.support.sshd import free_port
from web import create_app

TOKEN = "metrics-token-0123456789"


@pytest.fixture(autouse=True)
def _quiet_metrics_log(caplog):
    """The 503 logs the store's error on purpose; keep it out of the output."""
    caplog.set_level("CRITICAL", logger="web")


def app_for(hub, **env):
    return create_app(hub=hub, environ={"EDIHUB_SECRET_KEY": "x" * 32, **env})


def build(hub) -> None:
    """Known rows: two POs sent, one queued, a 997, an 855 and a refused file in, our 997
    given up, three open incidents, two workers' heartbeats (one two days old) and a failing poll."""
    at(hub, T0 - timedelta(days=2))
    Worker(hub, name="old:1").beat(True, "gone")
    at(hub, T0)
    place(hub, "A", ("CHAIR-ERGO-BLK", 1))                       # acme 850
    place(hub, "E", ("LAMP-LED-WHT", 1))                         # initech xml-po
    send(hub)
    at(hub, T0 + timedelta(minutes=10))
    ack997(hub, "A")                                             # in: acme 997
    at(hub, T0 + timedelta(minutes=20))
    receive(hub, x12("855", "PR", ["BAK*00*AC*PO0000001*20261120"], 1))   # in: acme 855, incident,
    i = t.interchanges                                                    # and our 997 for it...
    with hub.uow() as uow:                                                # ...given up
        assert uow.conn.execute(update(i).where(i.c.direction == "out", i.c.doc_type == "997")
                                .values(state="failed")).rowcount == 1
        uow.commit()
    receive(hub, b"not a document at all\n")                    # in: a file refused, an incident
    at(hub, T0 + timedelta(hours=1))
    place(hub, "B", ("CHAIR-ERGO-BLK", 1))                       # acme 850, queued, due since T0+1h
    accept(hub.context, [Submission("t", order(channel_order_id="X", placed_at=hub.clock().isoformat(),
                                               lines=[{"line_id": "1", "sku": "NO-SUCH", "quantity": 1,
                                                       "unit_price": "1.00"}]))])   # review.unknown_sku
    at(hub, T0 + timedelta(hours=1, minutes=20))
    Worker(hub, name="host:42").beat(False, "dispatch failed")
    at(hub, T0 + timedelta(hours=1, minutes=25))
    with hub.uow() as uow:
        uow.repo.beat("poll:acme", hub.clock(), False, "unreachable")
        uow.commit()
    at(hub, T0 + timedelta(hours=1, minutes=30))


def samples(text: str) -> dict[tuple, float]:
    """Every sample as {(name, (label, value), ...): value}."""
    return {(s.name, *sorted(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_metrics_report_the_store_as_it_is(store_hub):
    build(store_hub)
    resp = app_for(store_hub).test_client().get("/metrics")
    assert resp.status_code == 200 and resp.mimetype == "text/plain"
    got = samples(resp.get_data(as_text=True))
    out, ch = ("direction", "out"), ("channel", "")
    assert {k: v for k, v in got.items() if k[0] == "edihub_outbox_documents"} == {
        ("edihub_outbox_documents", ch, ("partner", "acme"), ("state", "queued")): 1.0,   # B's 850
        ("edihub_outbox_documents", ch, ("partner", "acme"), ("state", "failed")): 1.0}   # our 997
    assert {k: v for k, v in got.items() if k[0] == "edihub_documents_total"} == {
        ("edihub_documents_total", ch, out, ("doc_type", "850"), ("partner", "acme")): 2.0,
        ("edihub_documents_total", ch, out, ("doc_type", "997"), ("partner", "acme")): 1.0,
        ("edihub_documents_total", ch, out, ("doc_type", "xml-po"), ("partner", "initech")): 1.0,
        ("edihub_documents_total", ch, ("direction", "in"), ("doc_type", "997"), ("partner", "acme")): 1.0,
        ("edihub_documents_total", ch, ("direction", "in"), ("doc_type", "855"), ("partner", "acme")): 1.0,
        ("edihub_documents_total", ch, ("direction", "in"), ("doc_type", "unknown"), ("partner", "acme")): 1.0}
    assert {k: v for k, v in got.items() if k[0] == "edihub_incidents_open"} == {
        ("edihub_incidents_open", ("code", "inbound.refused")): 1.0,
        ("edihub_incidents_open", ("code", "poack.unknown_po")): 1.0,
        ("edihub_incidents_open", ("code", "review.unknown_sku")): 1.0}
    # host:42 beat 10 minutes ago; old:1 two days ago is left out of the per-worker series.
    assert {k: v for k, v in got.items() if k[0].startswith("edihub_worker")} == {
        ("edihub_worker_heartbeat_age_seconds", ("worker", "host:42")): 600.0,
        ("edihub_worker_ok", ("worker", "host:42")): 0.0,
        ("edihub_worker_newest_heartbeat_age_seconds",): 600.0}
    assert got[("edihub_poll_age_seconds", ("partner", "acme"))] == 300.0
    assert got[("edihub_poll_ok", ("partner", "acme"))] == 0.0
    assert got[("edihub_outbox_lag_seconds",)] == 1800.0                 # B's 850, due since T0+1h


def test_metrics_without_a_token_answer_this_machine_only(hub):
    client = app_for(hub).test_client()
    assert client.get("/metrics").status_code == 200                     # 127.0.0.1, no sign-in
    assert client.get("/metrics", environ_overrides={"REMOTE_ADDR": "::1"}).status_code == 200
    away = client.get("/metrics", environ_overrides={"REMOTE_ADDR": "10.0.0.5"})
    assert away.status_code == 403 and b"set EDIHUB_METRICS_TOKEN" in away.data
    assert client.post("/metrics").status_code == 405


def test_metrics_with_a_token_need_it_from_everywhere(hub):
    client = app_for(hub, EDIHUB_METRICS_TOKEN=TOKEN).test_client()
    local = client.get("/metrics")
    assert local.status_code == 401 and local.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"},
                       environ_overrides={"REMOTE_ADDR": "10.0.0.5"})
    assert wrong.status_code == 401
    right = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"},
                       environ_overrides={"REMOTE_ADDR": "10.0.0.5"})
    assert right.status_code == 200 and b"edihub_outbox_lag_seconds 0.0" in right.data


def test_a_worker_pass_writes_its_heartbeat(store_hub):
    at(store_hub, T0)
    place(store_hub, "A", ("CHAIR-ERGO-BLK", 1))
    worker = Worker(store_hub, name="host:7")
    worker.run_once()
    h = t.heartbeats
    with store_hub.uow(readonly=True) as uow:
        rows = uow.conn.execute(select(h.c.name, h.c.at, h.c.ok, h.c.detail)
                                .where(h.c.name.startswith("worker:"))).all()
    assert [tuple(r) for r in rows] == [("worker:host:7", T0, True, "pass: 1 sent, 0 retrying, 0 failed")]
    at(store_hub, T0 + timedelta(seconds=42))
    health = app_for(store_hub).test_client().get("/healthz")
    assert health.status_code == 200
    assert health.get_json() == {"status": "ok", "worker": {"age_seconds": 42.0, "ok": True}}


def test_health_is_503_when_the_store_does_not_answer(store_hub, monkeypatch):
    client = app_for(store_hub).test_client()
    assert client.get("/healthz").get_json() == {"status": "ok", "worker": None}   # no worker: still ok
    broken = (create_engine("sqlite:////proc/no-such-dir/edihub.db")
              if store_hub.engine.dialect.name == "sqlite" else
              create_engine(f"postgresql+psycopg://edihub@127.0.0.1:{free_port()}/edihub",
                            connect_args={"connect_timeout": 5}))
    monkeypatch.setattr(store_hub, "engine", broken)
    resp = client.get("/healthz")
    assert resp.status_code == 503 and resp.get_json() == {"status": "store unavailable"}
    metrics = client.get("/metrics")
    assert metrics.status_code == 503 and metrics.data == b"store unavailable\n"


def test_a_running_worker_beats_from_its_dispatch_loop_at_most_every_few_seconds(hub):
    worker = Worker(hub, name="host:8")
    rounds = []

    def dispatch():   # one round of the loop, then stop
        rounds.append(hub.clock())
        worker.stop.set()
        return DispatchReport(sent=2)

    worker.dispatch = dispatch
    worker.ticks = lambda: 1000.0 + (hub.clock() - T0).total_seconds()
    h = t.heartbeats

    def beats():
        with hub.uow(readonly=True) as uow:
            return [tuple(r) for r in uow.conn.execute(select(h.c.at, h.c.detail).where(h.c.name == "worker:host:8"))]

    done = "running; last dispatch: 2 sent, 0 retrying, 0 failed"
    for seconds, beat_at in ((0, 0), (9, 0), (10, 10)):   # 9 s after a heartbeat: none; 10 s: the next
        at(hub, T0 + timedelta(seconds=seconds))
        worker.stop.clear()
        worker.wake.set()
        worker._dispatch_loop()
        assert beats() == [(T0 + timedelta(seconds=beat_at), done)]
    assert rounds == [T0, T0 + timedelta(seconds=9), T0 + timedelta(seconds=10)]
