"""The order API: ``POST /api/v1/orders``, ``GET /api/v1/orders/<channel>/<id>`` and
``POST /api/v1/orders/<channel>/<id>/changes``.

Each channel has its own bearer token; a token may only post and read its channel's orders.
"""

from __future__ import annotations

import hmac
import json
from decimal import Decimal

from flask import Blueprint, current_app, g, jsonify, request, url_for
from werkzeug.exceptions import HTTPException

from hub.services.intake import CONFLICT, CREATED, INVALID, Submission, accept
from hub.views import order_view

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _hub():
    return current_app.extensions["edihub"]


def _channel_of_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    for known, channel in current_app.config["API_TOKENS"].items():
        if hmac.compare_digest(known.encode(), token.strip().encode()):
            return channel
    return None


def _error(status: int, code: str, message: str, **extra):
    return jsonify({"error": code, "message": message, **extra}), status


@bp.before_request
def authenticate():
    """Every API call needs a channel's bearer token."""
    g.channel = _channel_of_token()   # for the request log too
    if g.channel is None:
        resp, status = _error(401, "unauthorized", "send 'Authorization: Bearer <token>' with the "
                                                    "token of your sales channel")
        resp.headers["WWW-Authenticate"] = 'Bearer realm="edihub"'
        return resp, status
    return None


@bp.post("/orders")
def post_order():
    """Take one canonical order; idempotent on (channel, channel_order_id)."""
    channel = _channel_of_token()
    refused = _media_type_refused()
    if refused:
        return _error(415, "unsupported_media_type", refused)
    body = request.get_data(cache=False)
    try:
        data = json.loads(body, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        return _error(400, "invalid_json", f"the body is not JSON: {exc}")
    except RecursionError:
        return _error(400, "invalid_json", "the body is not an order: its JSON is nested too deeply")
    if not isinstance(data, dict):
        return _error(400, "invalid_json", "the body must be one JSON object (one order)")
    if data.get("channel") not in (None, channel):
        return _error(403, "wrong_channel", f"this token belongs to channel {channel!r}, "
                                            f"not {data.get('channel')!r}")
    result = accept(_hub().context, [Submission("api", data, raw=body.decode("utf-8", "replace"))],
                    channel)[0]
    if result.status == INVALID:
        return _error(422, "invalid_order", "the order was refused", problems=result.problems)
    if result.status == CONFLICT:
        return _error(409, "conflict", result.problems[0])
    view = _public_view(result.order_id)
    status = 201 if result.status == CREATED else 200
    resp = jsonify(view)
    resp.headers["Location"] = url_for("api.get_order", channel=result.channel,
                                       channel_order_id=result.channel_order_id)
    return resp, status


def _media_type_refused() -> str:
    """Why the request's Content-Type is refused, or "" when it is JSON in UTF-8."""
    if request.mimetype != "application/json":
        sent = f"not {request.content_type!r}" if request.content_type else "the request has none"
        return f"send the order as JSON with 'Content-Type: application/json' ({sent})"
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        return f"orders are read as UTF-8; the body says charset={charset!r}"
    return ""


@bp.get("/orders/<channel>/<path:channel_order_id>")
def get_order(channel: str, channel_order_id: str):
    """An order's state, lines and the supplier purchase orders that fill them."""
    if channel != _channel_of_token():
        return _error(403, "wrong_channel", "this token cannot read another channel's orders")
    hub = _hub()
    with hub.uow(readonly=True) as uow:
        order = uow.repo.find_order(channel, channel_order_id)
    if order is None:
        return _error(404, "not_found", f"no order {channel}/{channel_order_id}")
    return jsonify(_public_view(order.id))


def _public_view(order_id: int) -> dict:
    """What a channel may see: no internal incidents or timeline."""
    with _hub().uow(readonly=True) as uow:
        view = order_view(uow.conn, order_id)
    return {
        "channel": view["channel"], "channel_order_id": view["channel_order_id"],
        "state": view["state"], "placed_at": view["placed_at"], "received_at": view["received_at"],
        "lines": [{k: ln[k] for k in ("line_id", "sku", "quantity", "purchase_orders")}
                  for ln in view["lines"]],
        "purchase_orders": [{k: po[k] for k in ("po_number", "supplier", "state", "sent_at")}
                            for po in view["purchase_orders"]],
    }


@bp.post("/orders/<channel>/<path:channel_order_id>/changes")
def post_change(channel: str, channel_order_id: str):
    """Change or cancel an order of the token's channel; idempotent on the change_id."""
    from hub.services.changes import CONFLICT, CREATED, INVALID, NOT_FOUND, request_change
    from hub.views.changes import change_view
    if channel != _channel_of_token():
        return _error(403, "wrong_channel", "this token cannot change another channel's orders")
    refused = _media_type_refused()
    if refused:
        return _error(415, "unsupported_media_type", refused.replace("the order", "the change"))
    try:
        data = json.loads(request.get_data(cache=False), parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        return _error(400, "invalid_json", f"the body is not JSON: {exc}")
    except RecursionError:
        return _error(400, "invalid_json", "the body is not a change: its JSON is nested too deeply")
    result = request_change(_hub().context, channel, channel_order_id, data)
    if result.status == NOT_FOUND:
        return _error(404, "not_found", result.problems[0])
    if result.status == INVALID:
        return _error(422, "invalid_change", "the change was refused", problems=result.problems)
    if result.status == CONFLICT:
        return _error(409, "conflict", result.problems[0])
    with _hub().uow(readonly=True) as uow:
        view = change_view(uow.conn, result.order_change_id)
    return jsonify(view), 201 if result.status == CREATED else 200


@bp.app_errorhandler(HTTPException)
def http_error(exc: HTTPException):
    """API errors as JSON (413 for bodies over the configured limit, 404, 405, ...)."""
    if not request.path.startswith("/api/"):
        return exc
    return _error(exc.code or 500, exc.name.lower().replace(" ", "_"), exc.description or exc.name)
