"""The supplier catalog (partners/catalog.csv): every row as served, by supplier; for admins
the whole file typed or uploaded, checked with the rest of the configuration (each bad row at
its line), and saved as a new version like a partner file."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from hub.adapters.config_trial import read_text
from hub.errors import HubError
from hub.services.audit import ActionRefused
from hub.views.partners import catalog_rows
from hub.services.config_files import CATALOG, Change, ConfigRefused, check, max_bytes, save, sha256
from web.console import hub, role_required
from web.partners import bp, saved
from web.partners.editor import problem_listings, sent_text


class CatalogForm(FlaskForm):
    """The catalog's text, typed or uploaded, what it was opened from, and a note."""

    text = TextAreaField("Catalog (CSV: one row per SKU and supplier)", id="catalog-text",
                         validators=[Optional()])
    upload = FileField("Or upload the catalog", id="catalog-upload")
    base = HiddenField(id="catalog-base")
    note = StringField("Note for the history (what changed, and why)", id="catalog-note",
                       validators=[Optional(), Length(max=500)])


@bp.get("/catalog")
@role_required("viewer")
def catalog():
    """The catalog's rows as served (``?supplier=`` one supplier's); the editor for admins."""
    form = CatalogForm()
    if current_user.can("admin"):
        text = read_text(hub().settings.home / CATALOG)
        form.text.data, form.base.data = text or "", sha256(text)
    return _page(form)


@bp.post("/catalog")
@role_required("admin")
def catalog_save():
    """Check the catalog with the rest of the configuration, and save it when asked and sound."""
    form = CatalogForm()
    if not form.validate_on_submit():
        flash("That form could not be read (a field too long?): nothing was done.", "error")
        return _page(form), 400
    try:
        text = sent_text(form.upload, form.text, "the catalog", max_bytes(CATALOG))
    except ActionRefused as exc:
        flash(f"{exc}: nothing was done.", "error")
        return _page(form), 422
    if not text.strip():
        flash("Nothing to check: type or upload the catalog.", "error")
        return _page(form), 422
    h = hub()
    if request.form.get("action") == "save":
        try:
            result = save(h, [Change(CATALOG, text, form.base.data or "")], current_user.name,
                          form.note.data or "")
        except ConfigRefused as exc:
            flash(f"{exc}; each problem is listed at its line below.", "error")
            return _page(form, exc.problems), 422
        except HubError as exc:
            flash(str(exc), "error")
            return _page(form), 409
        flash(result.message, "ok")
        if result.versions:
            saved()
        return redirect(url_for(".catalog", supplier=request.args.get("supplier") or None))
    problems = check(h, {CATALOG: text})
    if problems:
        flash(f"{len(problems)} problem(s), listed at their lines below: nothing was saved.", "error")
    else:
        flash("No problems: the whole configuration loads with this catalog in place "
              "(nothing is saved until you press Save).", "ok")
    return _page(form, problems), 422 if problems else 200


def _page(form: CatalogForm, problems=()):
    h = hub()
    supplier = request.args.get("supplier", "")
    entries = catalog_rows(h.context.catalog, supplier)
    listings, others = problem_listings(problems, {CATALOG: ("catalog", form.text.data or "")},
                                        only_bad=True)
    return render_template("partners/catalog.html", form=form, entries=entries, supplier=supplier,
                           suppliers=sorted(h.context.partners), listings=listings, others=others,
                           path=CATALOG, max_kb=max_bytes(CATALOG) // 1024)
