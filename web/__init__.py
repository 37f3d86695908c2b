"""The web app: the order API, the partners' AS2 endpoints, and the operators' console.

One blueprint per area, each with its templates beside it. Every console page reads through
:mod:`hub.views` and acts through the same service functions the command line calls.
Security by default: sign-in with roles on every console page, CSRF on every form, cookies
that scripts cannot read, a Content-Security-Policy that loads nothing from elsewhere.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from datetime import timedelta

from flask import Flask

from hub.errors import ConfigError

log = logging.getLogger("edihub.web")
access = logging.getLogger("edihub.access")

# Nothing from elsewhere: scripts, styles and images come from this app; no frames around it.
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def create_app(hub=None, test_config: dict | None = None, environ: dict | None = None,
               demo: bool = False) -> Flask:
    """Build the Flask app for a hub (bootstrapped from EDIHUB_HOME when not given).

    The console needs a secret key from the environment (``[web] secret_key_env``, by
    default EDIHUB_SECRET_KEY); without one only the demo runs, on a key of its own.
    """
    if hub is None:
        from hub.bootstrap import bootstrap
        hub = bootstrap()
    env = os.environ if environ is None else environ
    app = Flask(__name__)
    secret = env.get(hub.settings.secret_key_env, "") or (test_config or {}).get("SECRET_KEY", "")
    if not secret:
        if not demo:
            raise ConfigError(hub.settings.home, "", f"set {hub.settings.secret_key_env} to a long random "
                              "value (e.g. `python3 -c 'import secrets; print(secrets.token_hex(32))'`): "
                              "the console signs its sessions with it")
        secret = secrets.token_hex(32)
    secure = env.get("EDIHUB_COOKIE_SECURE", "0" if demo else "1") != "0"
    app.config.update(
        SECRET_KEY=secret, MAX_CONTENT_LENGTH=hub.settings.api_max_body_bytes,
        API_TOKENS=api_tokens(hub.settings, env), JSON_SORT_KEYS=False,
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_NAME="edihub_session", PERMANENT_SESSION_LIFETIME=timedelta(hours=8),
        REMEMBER_COOKIE_HTTPONLY=True, REMEMBER_COOKIE_SECURE=secure, REMEMBER_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,   # a form's token lives as long as the session that issued it
        EDIHUB_DEMO=demo, METRICS_TOKEN=env.get("EDIHUB_METRICS_TOKEN", ""))
    if test_config:
        app.config.update(test_config)
    app.extensions["edihub"] = hub

    _log_requests(app)
    _secure_headers(app)
    from web import api, as2, health
    from web.console import register
    app.register_blueprint(api.bp)
    app.register_blueprint(as2.bp)      # partners' AS2 messages and MDNs (signed, no login)
    app.register_blueprint(health.bp)
    register(app, exempt=(api.bp, as2.bp))
    return app


def _log_requests(app: Flask) -> None:
    """One line per request on the ``edihub.access`` logger: client, method, path (never the
    query string, which may carry secrets), status, duration, and the API channel or console
    user, if any."""
    from flask import g, request

    @app.before_request
    def _start() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def _done(response):
        took = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        who = (f" channel={g.channel}" if g.get("channel") else
               f" user={g.user_name}" if g.get("user_name") else "")
        access.info("%s %s %s %s %.1fms%s", request.remote_addr or "-", request.method, request.path,
                    response.status_code, took, who)
        return response


def _secure_headers(app: Flask) -> None:
    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
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
