"""``GET /healthz``: does this web process work, i.e. does the store answer? For load balancers
and compose. It also tells how long ago a worker last noted it was alive, without failing on
it: see docs/operations.md ("Health and metrics")."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy.exc import SQLAlchemyError

from hub.views.monitoring import newest_worker_heartbeat

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """200 when the store answers, 503 otherwise; with the newest worker heartbeat's age and
    whether its last work went through (null when no worker has run on this store)."""
    hub = current_app.extensions["edihub"]
    try:
        with hub.uow(readonly=True) as uow:
            beat = newest_worker_heartbeat(uow.conn)   # a query: the store answers
    except SQLAlchemyError:
        return jsonify({"status": "store unavailable"}), 503
    worker = None if beat is None else {
        "age_seconds": round((hub.clock() - beat["at"]).total_seconds(), 1), "ok": beat["ok"]}
    return jsonify({"status": "ok", "worker": worker})
