"""``GET /healthz``: is the web app up and does the store answer? (for load balancers, compose)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """200 when the store answers, 503 otherwise; says nothing else about the instance."""
    try:
        with current_app.extensions["edihub"].uow(readonly=True) as uow:
            uow.conn.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return jsonify({"status": "store unavailable"}), 503
    return jsonify({"status": "ok"})
