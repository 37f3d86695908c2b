"""The order API: ``POST /api/v1/orders``, ``GET /api/v1/orders/<channel>/<id>``,
``GET /api/v1/events`` (what happened to the channel's orders, after a cursor) and
``POST /api/v1/orders/<channel>/<id>/changes``.

Each channel has its own bearer token; a token may only post and read its channel's orders
and events.
"""

from __future__ import annotations

import hmac
import json
from decimal import Decimal

from flask import Blueprint, current_app, g, jsonify, request, url_for
from werkzeug.exceptions import HTTPException

from hub.services.intake import CONFLICT, CREATED, INVALID, UNCHANGED, IntakeResult, Submission
from hub.services.intake_batcher import IntakeBatcher, IntakeUnavailable
from hub.views.public import DEFAULT_PAGE, MAX_PAGE, channel_events, channel_order, order_document, order_documents

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _hub():
    return current_app.extensions["edihub"]


@bp.record_once
def _intake_batcher(state) -> None:
    """One committer per app (so per web process): POSTed orders are committed in groups,
    and the orders they answer with are read once per group."""
    hub = state.app.extensions["edihub"]

    def answers(results: list[IntakeResult]) -> list[dict | None]:
        ids = [r.order_id for r in results if r.status in (CREATED, UNCHANGED)]
        with hub.uow(readonly=True) as uow:
            views = order_documents(uow.conn, ids)
        return [views.get(r.order_id) if r.status in (CREATED, UNCHANGED) else None for r in results]

    state.app.extensions["edihub.intake"] = IntakeBatcher(hub.context, answer=answers)


def close(app) -> None:
    """Commit the orders still queued and stop the app's committer (when the server stops)."""
    app.extensions["edihub.intake"].close()


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
    # Checked and scoped above; stored with the other orders arriving now, in one commit.
    submission = Submission("api", data, raw=body.decode("utf-8", "replace"), channel=channel)
    try:
        result, view = current_app.extensions["edihub.intake"].take(submission)
    except IntakeUnavailable as exc:
        resp, status = _error(503, "unavailable", str(exc))
        resp.headers["Retry-After"] = "5"
        return resp, status
    if result.status == INVALID:
        return _error(422, "invalid_order", "the order was refused", problems=result.problems)
    if result.status == CONFLICT:
        return _error(409, "conflict", result.problems[0])
    status = 201 if result.status == CREATED else 200
    if view is None:   # not read with its batch's: read it now
        view = _public_view(result.order_id)
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
    """An order as its channel sees it: per line state, quantities, suppliers, dates; shipments."""
    if channel != _channel_of_token():
        return _error(403, "wrong_channel", "this token cannot read another channel's orders")
    with _hub().uow(readonly=True) as uow:
        view = channel_order(uow.conn, channel, channel_order_id)
    if view is None:
        return _error(404, "not_found", f"no order {channel}/{channel_order_id}")
    return jsonify(view)


@bp.get("/events")
def get_events():
    """The token's channel's events after the cursor ``after``, oldest first, ``limit`` at most."""
    after = _whole_number("after", 0, 0, None)
    limit = _whole_number("limit", DEFAULT_PAGE, 1, MAX_PAGE)
    if isinstance(after, str) or isinstance(limit, str):
        return _error(400, "invalid_parameter", after if isinstance(after, str) else limit)
    with _hub().uow(readonly=True) as uow:
        return jsonify(channel_events(uow.conn, g.channel, after, limit))


def _whole_number(name: str, default: int, least: int, most: int | None) -> int | str:
    """A query parameter as a whole number in range, or why it is not one."""
    raw = request.args.get(name)
    if raw is None:
        return default
    bounds = f"from {least} to {most}" if most is not None else f"{least} or more"
    # Digits only (no sign, no spaces); 18 of them at most keeps it a 64-bit integer.
    value = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else None
    if value is None or value < least or (most is not None and value > most):
        return f"{name} must be a whole number {bounds}, got {raw[:40]!r}"
    return value


def _public_view(order_id: int) -> dict:
    """What a channel may see of an order (hub.views.public)."""
    with _hub().uow(readonly=True) as uow:
        return order_document(uow.conn, order_id)


@bp.post("/orders/<channel>/<path:channel_order_id>/changes")
def post_change(channel: str, channel_order_id: str):
    """Change or cancel an order of the token's channel; idempotent on the change_id."""
    from hub.services.changes import CONFLICT, CREATED, INVALID, NOT_FOUND, UNCHANGED, file_refusal, request_change
    from hub.views.changes import change_view
    if channel != _channel_of_token():
        return _error(403, "wrong_channel", "this token cannot change another channel's orders")
    refused = _media_type_refused()
    if refused:
        return _error(415, "unsupported_media_type", refused.replace("the order", "the change"))
    body = request.get_data(cache=False)
    try:
        data = json.loads(body, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        return _error(400, "invalid_json", f"the body is not JSON: {exc}")
    except RecursionError:
        return _error(400, "invalid_json", "the body is not a change: its JSON is nested too deeply")
    result = request_change(_hub().context, channel, channel_order_id, data)
    if result.status not in (CREATED, UNCHANGED):   # an operator hears of it, once per change
        try:
            file_refusal(_hub().context, result, body[:16384].decode("utf-8", "replace"))
        except Exception:   # the channel is still told why its change was refused
            current_app.logger.exception("the Incident about a refused change could not be filed")
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
