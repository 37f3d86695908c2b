"""``GET /metrics``: the hub's state for Prometheus, read from the store at each scrape.

A custom collector queries the store through :mod:`hub.views.monitoring` when scraped, so any
web process gives the same figures, and they survive restarts. Access: with
``EDIHUB_METRICS_TOKEN`` set, a request must carry ``Authorization: Bearer <token>``; without
it, only requests from this machine (loopback) are answered. No sign-in, no CSRF (GET only).
"""

from __future__ import annotations

import hmac
import ipaddress

from flask import Blueprint, Response, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy.exc import SQLAlchemyError

from hub.views import monitoring
from web.console import csrf

bp = Blueprint("metrics", __name__)
csrf.exempt(bp)


@bp.get("/metrics")
def metrics():
    """The metrics in Prometheus' text format; 503 when the store does not answer."""
    refused = _refused()
    if refused is not None:
        return refused
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(current_app.extensions["edihub"]))
    try:
        body = generate_latest(registry)
    except SQLAlchemyError:
        current_app.logger.exception("metrics: the store did not answer")
        return Response("store unavailable\n", 503, mimetype="text/plain")
    return Response(body, content_type=CONTENT_TYPE_LATEST)


def _refused() -> Response | None:
    """Why this request may not read the metrics, as a response; None when it may."""
    token = current_app.config.get("METRICS_TOKEN", "")
    if token:
        given = request.headers.get("Authorization", "").encode()
        if hmac.compare_digest(given, f"Bearer {token}".encode()):
            return None
        return Response("the metrics need Authorization: Bearer <EDIHUB_METRICS_TOKEN>\n", 401,
                        {"WWW-Authenticate": 'Bearer realm="edihub metrics"'}, mimetype="text/plain")
    if _loopback(request.remote_addr):
        return None
    return Response("the metrics are served to this machine only: set EDIHUB_METRICS_TOKEN to "
                    "scrape them from elsewhere\n", 403, mimetype="text/plain")


def _loopback(addr: str | None) -> bool:
    try:
        ip = ipaddress.ip_address(addr or "")
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)   # ::ffff:127.0.0.1 from a dual-stack socket
    return ip.is_loopback or (mapped is not None and mapped.is_loopback)


class StoreCollector:
    """Every metric, read from the store when Prometheus scrapes."""

    def __init__(self, hub):
        self.hub = hub

    def collect(self):
        """Yield the metric families (prometheus_client calls this at each scrape)."""
        now = self.hub.clock()
        with self.hub.uow(readonly=True) as uow:
            depth = monitoring.outbox_depth(uow.conn)
            docs = monitoring.document_counts(uow.conn)
            incidents = monitoring.open_incident_counts(uow.conn)
            workers = monitoring.heartbeats(uow.conn, monitoring.WORKER, now - monitoring.WORKER_HORIZON)
            newest = monitoring.newest_worker_heartbeat(uow.conn)
            polls = monitoring.heartbeats(uow.conn, monitoring.POLL)
            lag = monitoring.outbox_lag(uow.conn, now)

        def age(at) -> float:
            return max((now - at).total_seconds(), 0.0)

        g = GaugeMetricFamily("edihub_outbox_documents", "Outbound documents waiting to be sent (queued) "
                              "or given up (failed), per partner or sales channel",
                              labels=["partner", "channel", "state"])
        for d in depth:
            g.add_metric([d["partner"], d["channel"], d["state"]], d["count"])
        yield g
        c = CounterMetricFamily("edihub_documents", "Documents recorded, out (queued to send) and in "
                                "(each transaction set read; a file that gave none, once by its "
                                "format), per partner or sales channel and type",
                                labels=["partner", "channel", "direction", "doc_type"])
        for d in docs:
            c.add_metric([d["partner"], d["channel"], d["direction"], d["doc_type"]], d["count"])
        yield c
        g = GaugeMetricFamily("edihub_incidents_open", "Open Incidents per code", labels=["code"])
        for code, n in incidents.items():
            g.add_metric([code], n)
        yield g
        g = GaugeMetricFamily("edihub_worker_heartbeat_age_seconds", "Seconds since each worker last "
                              "noted it was alive (workers seen in the last 24 hours)", labels=["worker"])
        ok = GaugeMetricFamily("edihub_worker_ok", "1 when the worker's last pass or dispatch ran "
                               "through, 0 when it failed", labels=["worker"])
        for w in workers:
            g.add_metric([w["name"]], age(w["at"]))
            ok.add_metric([w["name"]], 1 if w["ok"] else 0)
        yield g
        yield ok
        if newest is not None:   # absent until a worker has run: alert on absent() too
            yield GaugeMetricFamily("edihub_worker_newest_heartbeat_age_seconds", "Seconds since any "
                                    "worker last noted it was alive", value=age(newest["at"]))
        g = GaugeMetricFamily("edihub_poll_age_seconds", "Seconds since each partner's inbox was last "
                              "polled", labels=["partner"])
        ok = GaugeMetricFamily("edihub_poll_ok", "1 when the partner's last poll could read its inbox, "
                               "0 when it could not", labels=["partner"])
        for p in polls:
            g.add_metric([p["name"]], age(p["at"]))
            ok.add_metric([p["name"]], 1 if p["ok"] else 0)
        yield g
        yield ok
        yield GaugeMetricFamily("edihub_outbox_lag_seconds", "Seconds the oldest document due for "
                                "sending has been waiting (0 when none is due)", value=lag)
