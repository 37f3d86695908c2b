"""The operators' console wired into the app: sessions, CSRF, roles, the area blueprints.

Every console route needs a signed-in user (Flask-Login); reading needs the viewer role,
acting the operator role, partners and users the admin role. Every form carries a CSRF token
(Flask-WTF); the order API (bearer tokens) and the AS2 endpoints (signed messages) are exempt.
"""

from __future__ import annotations

from datetime import datetime, timezone
from functools import wraps

from flask import Flask, abort, current_app, flash, g, redirect, request, url_for
from flask_login import LoginManager, current_user, login_required
from flask_wtf.csrf import CSRFError, CSRFProtect

from hub.errors import HubError
from hub.services.users import ROLES, load_user

csrf = CSRFProtect()


def register(app: Flask, exempt=()) -> None:
    """Add sessions, CSRF, the template helpers and every console blueprint to ``app``."""
    csrf.init_app(app)
    for bp in exempt:
        csrf.exempt(bp)
    logins = LoginManager(app)
    logins.login_view = "auth.login"
    logins.login_message = "Sign in to see that page."
    logins.session_protection = "strong"

    @logins.user_loader
    def _load(user_id: str):
        if not user_id.isdigit():
            return None
        user = load_user(hub().context, int(user_id))
        return None if user is None else SessionUser(user)

    @app.before_request
    def _who() -> None:
        if current_user.is_authenticated:
            g.user_name = current_user.name

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError):
        flash(f"That form had expired or was not ours ({exc.description}): nothing was done. "
              "Please try again.", "error")
        return redirect(request.referrer or url_for("dashboard.index"))

    app.jinja_env.filters.update(when=when, ago=ago)
    app.jinja_env.globals.update(ROLES=ROLES)

    @app.context_processor
    def _areas() -> dict:
        return {"blueprints": app.blueprints}

    from web.auth import bp as auth
    from web.dashboard import bp as dashboard
    from web.documents import bp as documents
    from web.incidents import bp as incidents
    from web.orders import bp as orders
    for bp in (auth, dashboard, orders, documents, incidents):
        app.register_blueprint(bp)
    for optional in ("web.partners", "web.scorecard", "web.metrics"):
        try:   # areas that may not be installed in every build
            module = __import__(optional, fromlist=["bp"])
        except ModuleNotFoundError as exc:
            if exc.name != optional:
                raise
            continue
        app.register_blueprint(module.bp)


class SessionUser:
    """The signed-in user as Flask-Login wants it."""

    is_authenticated, is_active, is_anonymous = True, True, False

    def __init__(self, user):
        self.user = user
        self.id, self.name, self.role = user.id, user.name, user.role

    def get_id(self) -> str:
        """The id kept in the session."""
        return str(self.id)

    def can(self, role: str) -> bool:
        """True when this user's role includes ``role``."""
        return self.user.can(role)


def hub():
    """The hub this app serves."""
    return current_app.extensions["edihub"]


def role_required(role: str):
    """A view that needs a signed-in user with at least ``role`` (403 for a lesser one)."""
    def decorate(view):
        @wraps(view)
        @login_required
        def guarded(*args, **kwargs):
            if not current_user.can(role):
                abort(403)
            return view(*args, **kwargs)
        return guarded
    return decorate


def act(action, success: str | None = None) -> bool:
    """Run an operator action; flash what it did, or why it was refused. True when it ran."""
    try:
        result = action()
    except HubError as exc:
        flash(str(exc), "error")
        return False
    message = success or getattr(result, "message", None) or "done"
    flash(message, "ok")
    return True


def when(value) -> str:
    """A timestamp for people: 2026-12-05 14:02 UTC."""
    if not value:
        return "-"
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return f"{value.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC"


def ago(value, now: datetime | None = None) -> str:
    """How long ago, roughly: 5 min, 3 h, 2 d."""
    if not value:
        return "-"
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    seconds = ((now or hub().clock()) - value).total_seconds()
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{int(seconds // size)} {unit}"
    return "now"
