"""The exceptions queue: every Incident, filtered and counted, and every way to work one."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from hub.services.incidents import bulk, ignore_incident, retry_incident
from hub.views import incident_counts, incident_view, incidents_list
from web.console import act, hub, role_required

bp = Blueprint("incidents", __name__, template_folder="templates", url_prefix="/incidents")
AGES = {"": None, "1h": timedelta(hours=1), "24h": timedelta(days=1), "7d": timedelta(days=7),
        "30d": timedelta(days=30)}
PAGE = 100


class IgnoreForm(FlaskForm):
    """Close an Incident without acting on it: the reason is required and kept."""

    reason = TextAreaField("Reason", validators=[DataRequired(), Length(max=2000)])


class RetryForm(FlaskForm):
    """Retry what an Incident is about."""

    reason = StringField("Note (optional)", validators=[Optional(), Length(max=2000)])


class BulkForm(FlaskForm):
    """Retry or ignore the ticked Incidents."""

    action = SelectField("With the ticked incidents", choices=["retry", "ignore"])
    reason = StringField("Reason (needed to ignore)", validators=[Optional(), Length(max=2000)])
    back = HiddenField()


@bp.get("/")
@role_required("viewer")
def queue():
    """The queue: filter by state, partner, kind and age; counts per kind; bulk actions."""
    state = request.args.get("state", "open")
    partner = request.args.get("partner") or None
    kind = request.args.get("kind") or None
    age = request.args.get("age", "")
    page = max(request.args.get("page", 1, type=int), 1)
    h = hub()
    since = h.clock() - AGES[age] if AGES.get(age) else None
    with h.uow(readonly=True) as uow:
        rows = incidents_list(uow.conn, None if state == "all" else state, partner, kind, since, PAGE + 1,
                              (page - 1) * PAGE)
        counts = incident_counts(uow.conn, None if state == "all" else state, partner, since)
    form = BulkForm(back=request.full_path)
    return render_template("incidents/queue.html", rows=rows[:PAGE], more=len(rows) > PAGE, page=page,
                           counts=counts, state=state, partner=partner or "", kind=kind or "", age=age,
                           partners=sorted(h.context.partners), ages=list(AGES), form=form)


@bp.post("/bulk")
@role_required("operator")
def bulk_action():
    """Retry or ignore several Incidents at once; each result is said."""
    form = BulkForm()
    ids = [int(x) for x in request.form.getlist("incident") if x.isdigit()][:500]
    back = form.back.data if (form.back.data or "").startswith("/incidents") else url_for(".queue")
    if not form.validate_on_submit() or not ids:
        flash("Tick at least one incident (and give a reason to ignore): nothing was done.", "error")
        return redirect(back)
    h = hub()
    if form.action.data == "ignore":
        results = bulk(h.context, ignore_incident, ids, actor=current_user.name, reason=form.reason.data or "")
    else:
        results = bulk(h.context, retry_incident, ids, actor=current_user.name, receiver=h.receiver,
                       poll=h.poll_inbox, reason=form.reason.data or "")
    done = sum(1 for _, _, ok in results if ok)
    flash(f"{form.action.data}: {done} of {len(results)} done", "ok" if done == len(results) else "error")
    for _, message, ok in results:
        if not ok:
            flash(message, "error")
    return redirect(back)


@bp.get("/<int:incident_id>")
@role_required("viewer")
def detail(incident_id: int):
    """One Incident: the cause in words, the document and order behind it, what can be done."""
    h = hub()
    with h.uow(readonly=True) as uow:
        view = incident_view(uow.conn, incident_id)
    if view is None:
        abort(404)
    return render_template("incidents/detail.html", i=view, ignore=IgnoreForm(), retry=RetryForm(),
                           partners=sorted(h.context.partners))


@bp.post("/<int:incident_id>/ignore")
@role_required("operator")
def ignore(incident_id: int):
    """Ignore with a reason."""
    form = IgnoreForm()
    if not form.validate_on_submit():
        flash("Say why it needs no action (the reason is kept with it): nothing was done.", "error")
    else:
        act(lambda: ignore_incident(hub().context, incident_id, current_user.name, form.reason.data))
    return redirect(url_for(".detail", incident_id=incident_id))


@bp.post("/<int:incident_id>/retry")
@role_required("operator")
def retry(incident_id: int):
    """Retry what the Incident is about."""
    form = RetryForm()
    if form.validate_on_submit():
        h = hub()
        act(lambda: retry_incident(h.context, incident_id, current_user.name, receiver=h.receiver,
                                   poll=h.poll_inbox, reason=form.reason.data or ""))
    return redirect(url_for(".detail", incident_id=incident_id))

