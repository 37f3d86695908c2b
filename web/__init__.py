"""The web app: the order API now, the operators' console as it grows (one blueprint per area)."""

from __future__ import annotations

import logging
import os
import secrets
import time

from flask import Flask

log = logging.getLogger("edihub.web")
access = logging.getLogger("edihub.access")


def create_app(hub=None, test_config: dict | None = None, environ: dict | None = None) -> Flask:
    """Build the Flask app for a hub (bootstrapped from EDIHUB_HOME when not given)."""
    if hub is None:
        from hub.bootstrap import bootstrap
        hub = bootstrap()
    env = os.environ if environ is None else environ
    app = Flask(__name__)
    secret = env.get(hub.settings.secret_key_env, "")
    if not secret:
        # Sessions then last only as long as this process: fine for the API, not for the console.
        log.warning("%s is not set: using a random secret key for this process",
                    hub.settings.secret_key_env)
        secret = secrets.token_hex(32)
    app.config.update(SECRET_KEY=secret, MAX_CONTENT_LENGTH=hub.settings.api_max_body_bytes,
                      API_TOKENS=api_tokens(hub.settings, env), JSON_SORT_KEYS=False)
    if test_config:
        app.config.update(test_config)
    app.extensions["edihub"] = hub

    _log_requests(app)
    from web import api, as2, health
    app.register_blueprint(api.bp)
    app.register_blueprint(as2.bp)      # partners' AS2 messages and MDNs (signed, no login)
    app.register_blueprint(health.bp)
    return app


def _log_requests(app: Flask) -> None:
    """One line per request on the ``edihub.access`` logger: client, method, path (never the
    query string, which may carry secrets), status, duration and the API channel, if any."""
    from flask import g, request

    @app.before_request
    def _start() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def _done(response):
        took = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        access.info("%s %s %s %s %.1fms%s", request.remote_addr or "-", request.method, request.path,
                    response.status_code, took,
                    f" channel={g.channel}" if g.get("channel") else "")
        return response


def api_tokens(settings, env) -> dict[str, str]:
    """Bearer token -> channel, from each channel's token environment variable."""
    tokens = {}
    for channel in settings.channels.values():
        if not channel.token_env:
            continue
        token = env.get(channel.token_env, "")
        if len(token) < 16:
            log.warning("channel %s: %s is unset or shorter than 16 characters; the API refuses "
                        "this channel until it is set", channel.name, channel.token_env)
            continue
        tokens[token] = channel.name
    return tokens
