"""Partners: every supplier's profile and health, onboarding (edit, check, preview, save),
connection tests, test documents, the switch to production, and file versions.

Viewers read; operators may test a connection; admins change files, send test documents and
switch modes. Files changed here are checked as a whole configuration first and kept as
versions (:mod:`hub.services.config_files`). This web app, like the workers, takes changed
files without a restart: right after a save here, and within seconds of a change made
elsewhere (another web process, the command line, a hand edit).
"""

from __future__ import annotations

import logging
import threading
import time

from flask import (Blueprint, abort, current_app, flash, g, redirect, render_template, request,
                   url_for)
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import Length, Optional

from hub.adapters.config_trial import read_text
from hub.services.config_files import partner_of, sha256
from hub.services.onboarding import (credentials, last_test_document, preview, send_test_document,
                                     set_test_mode, connection_test)
from hub.views import partners as views
from hub.errors import HubError
from web.console import act, hub, role_required

bp = Blueprint("partners", __name__, template_folder="templates", static_folder="static",
               url_prefix="/partners")
log = logging.getLogger("edihub.web")
RELOAD_CHECK_SECONDS = 5.0
_STATION = "edihub.as2_station"     # web.as2 keeps its receiver here, built from the partners


def without_config_lock(view):
    """A view that reads no shared configuration (it loads the files itself) and may take long
    (a connection test): it does not hold off a reload while it runs."""
    view.without_config_lock = True
    return view


class PartnerActionForm(FlaskForm):
    """A partner action: a note for the audit log, and what the page showed (stale check)."""

    note = StringField("Note (optional)", validators=[Optional(), Length(max=500)])
    base = HiddenField()


# -- the configuration this web process serves with --------------------------------------------

@bp.before_app_request
def _hold_config() -> None:
    """Take changed files (looked at every few seconds), then read the configuration for the
    length of the request: a reload waits for the requests in flight."""
    app, h = current_app._get_current_object(), hub()
    state = app.extensions.setdefault("edihub.partners.reload", {"at": 0.0, "lock": threading.Lock()})
    now = time.monotonic()
    if now - state["at"] >= RELOAD_CHECK_SECONDS and state["lock"].acquire(blocking=False):
        try:
            state["at"] = now
            if h.config_changed():
                reload_config(app)
        finally:
            state["lock"].release()
    view = app.view_functions.get(request.endpoint or "")
    if not getattr(view, "without_config_lock", False):
        h.config_lock.acquire_read()
        g.holds_config = True


@bp.teardown_app_request
def _release_config(_exc) -> None:
    if g.pop("holds_config", False):
        hub().config_lock.release_read()
    if g.pop("config_saved", False):     # this request saved a file: serve it from now on
        reload_config(current_app._get_current_object())


def reload_config(app) -> bool:
    """Read the partner, catalog and mapping files again for this web process; False (and a
    log line) when they have problems, the configuration served staying as it was."""
    errors = app.extensions["edihub"].reload()
    if errors:
        log.error("configuration files changed but have problems; serving the configuration "
                  "as it was: %s", "; ".join(map(str, errors)))
        return False
    app.extensions.pop(_STATION, None)   # AS2: rebuilt from the new partners on next use
    return True


def saved() -> None:
    """Note that this request saved a configuration file (the app reloads when it ends)."""
    g.config_saved = True


# -- reading ------------------------------------------------------------------------------------

@bp.get("/")
@role_required("viewer")
def index():
    """Every partner: identity, format, transport, mode, health; files with versions."""
    h = hub()
    with h.uow(readonly=True) as uow:
        partners = views.partners_overview(uow.conn, h.context.partners)
        files = views.config_files(uow.conn)
    return render_template("partners/index.html", partners=partners, files=files)


@bp.get("/<partner_id>")
@role_required("viewer")
def detail(partner_id: str):
    """One partner: everything its file says (secrets only by name), keys and certificates,
    health, test documents, what people did; the onboarding steps for those who may."""
    h = hub()
    path = f"partners/{partner_id}.toml"
    if partner_of(path) is None:
        abort(404)
    partner = h.context.partners.get(partner_id)
    text = read_text(h.settings.home / path)
    if partner is None:
        if text is None:
            abort(404)
        return render_template("partners/unloaded.html", partner_id=partner_id, path=path), 409
    with h.uow(readonly=True) as uow:
        [profile] = views.partners_overview(uow.conn, {partner_id: partner})
        tests = views.test_documents(uow.conn, partner_id)
        activity = views.partner_audit(uow.conn, partner_id)
    base = sha256(text)
    return render_template(
        "partners/detail.html", p=profile, creds=credentials(h, partner), tests=tests,
        activity=activity, connection_form=PartnerActionForm(),
        catalog=views.catalog_rows(h.context.catalog, partner_id),
        send_form=PartnerActionForm(base=str(last_test_document(h, partner_id))),
        mode_form=PartnerActionForm(base=base))


# -- acting -------------------------------------------------------------------------------------

@bp.post("/<partner_id>/test-connection")
@role_required("operator")
@without_config_lock
def connection(partner_id: str):
    """Log in to the partner's server (or post an AS2 test message) and say what was found."""
    if PartnerActionForm().validate_on_submit():
        _say(lambda: connection_test(hub(), partner_id, current_user.name))
    return redirect(url_for(".detail", partner_id=partner_id) + "#steps")


@bp.post("/<partner_id>/test-send")
@role_required("admin")
@without_config_lock
def send_test(partner_id: str):
    """Send a sample purchase order in test mode through the partner's real transport."""
    form = PartnerActionForm()
    if form.validate_on_submit():
        after = int(form.base.data) if (form.base.data or "").isdigit() else None
        _say(lambda: send_test_document(hub(), partner_id, current_user.name, after))
    return redirect(url_for(".detail", partner_id=partner_id) + "#steps")


@bp.post("/<partner_id>/mode/<mode>")
@role_required("admin")
def mode(partner_id: str, mode: str):
    """Switch to production (test_mode = false), or back to test mode: a new file version."""
    if mode not in ("production", "test"):
        abort(404)
    form = PartnerActionForm()
    if form.validate_on_submit():
        if act(lambda: set_test_mode(hub(), partner_id, mode == "test", current_user.name,
                                     form.base.data or "", form.note.data or "")):
            saved()
    return redirect(url_for(".detail", partner_id=partner_id) + "#steps")


@bp.get("/<partner_id>/preview")
@role_required("viewer")
@without_config_lock
def preview_saved(partner_id: str):
    """The purchase order a sample order makes for this partner, from its files as saved."""
    if partner_of(f"partners/{partner_id}.toml") is None:
        abort(404)
    shown = preview(hub(), partner_id)
    return render_template("partners/preview.html", shown=shown,
                           content=describe(shown.payload) if shown.payload else None)


def describe(payload: bytes):
    """A document read for people: X12 annotated segment by segment, XML indented."""
    from hub.edi.document_view import describe_document
    return describe_document(payload)


def _say(action) -> None:
    """Run a test; flash its sentence and each detail (or why it was refused)."""
    try:
        result = action()
    except HubError as exc:
        flash(str(exc), "error")
        return
    flash(result.message, "ok" if result.ok else "error")
    for line in result.details:
        flash(line, "detail")


@bp.errorhandler(413)
def _too_large(_exc):
    """A body above the app's limit (read before any view, for its CSRF token): said in words."""
    return render_template("partners/too_large.html"), 413


from web.partners import editor  # noqa: E402,F401  (its routes belong to this blueprint)
from web.partners import catalog  # noqa: E402,F401
