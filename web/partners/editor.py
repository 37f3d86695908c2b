"""The onboarding editor: a partner file and its mapping, typed or uploaded, checked as a
whole configuration with each problem at its line, previewed as the document a sample order
would send, and saved as new versions; and the history of every file: versions, diffs,
roll back.
"""

from __future__ import annotations

import re

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from hub.adapters.config_trial import read_text
from hub.errors import HubError
from hub.services.audit import ActionRefused
from hub.services.config_files import (MAX_BYTES, Change, ConfigRefused, check, config_path, decode,
                                       diff, partner_of, rollback, save, sha256)
from hub.services.onboarding import preview
from hub.views import partners as views
from web.console import hub, role_required
from web.partners import PartnerActionForm, bp, describe, saved

_ID_LINE = re.compile(r'^\s*id\s*=\s*"([^"]*)"', re.M)
SKELETON = '''# {name}: one supplier's EDI profile. docs/configuration.md lists every key.
id = "{id}"
name = "{name}"
active = true
test_mode = true            # ISA15 = T until the supplier confirms production
po_format = "x12"

[x12]
version = "004010"
sender_qualifier = "ZZ"
sender_id = "YOURID"
receiver_qualifier = "ZZ"
receiver_id = "SUPPLIERID"
mapping = "x12/850-4010.toml"

[documents]
outbound = ["850"]
inbound = ["997", "855", "856"]

[transport]
type = "folder"
path = "var/suppliers/{id}/to-supplier"
inbox = "var/suppliers/{id}/from-supplier"

[schedule]
poll = "interval:5m"
'''


class EditorForm(FlaskForm):
    """A partner file and a mapping file, each typed or uploaded, and a note for the history."""

    partner_id = StringField("Partner id", id="partner-id", validators=[Optional(), Length(max=40)])
    partner_text = TextAreaField("Partner file", id="partner-text", validators=[Optional()])
    partner_upload = FileField("Or upload the partner file", id="partner-upload")
    partner_base = HiddenField(id="partner-base")
    mapping_path = StringField("Mapping file", id="mapping-path", validators=[Optional(), Length(max=200)])
    mapping_text = TextAreaField("Mapping text", id="mapping-text", validators=[Optional()])
    mapping_upload = FileField("Or upload the mapping file", id="mapping-upload")
    mapping_base = HiddenField(id="mapping-base")
    mapping_loaded = HiddenField(id="mapping-loaded")
    preview_partner = SelectField("Preview for partner", id="preview-partner", choices=[],
                                  validate_choice=False)
    note = StringField("Note for the history (what changed, and why)", id="note",
                       validators=[Optional(), Length(max=500)])


@bp.route("/new", methods=["GET", "POST"])
@role_required("admin")
def new():
    """Onboard a supplier: its partner file (and, if it needs one, its own mapping)."""
    return _editor("new")


@bp.route("/<partner_id>/edit", methods=["GET", "POST"])
@role_required("admin")
def edit(partner_id: str):
    """Change a partner file and its mapping."""
    if partner_of(f"partners/{partner_id}.toml") is None:
        abort(404)
    return _editor("edit", partner_id)


@bp.route("/mapping", methods=["GET", "POST"])
@role_required("admin")
def mapping():
    """Change (or create) a mapping file on its own."""
    return _editor("mapping")


def _editor(mode: str, partner_id: str | None = None):
    h = hub()
    form = EditorForm()
    form.preview_partner.choices = [(p, p) for p in sorted(h.context.partners)]
    if request.method == "GET":
        _fill(form, mode, partner_id)
        return _page(form, mode, partner_id)
    if not form.validate_on_submit():
        flash("That form could not be read (a field too long?): nothing was done.", "error")
        return _page(form, mode, partner_id), 400
    action = request.form.get("action", "check")
    if action == "load-mapping":
        return _load_mapping(form, mode, partner_id)
    try:
        partner_id = _partner_id(form, mode, partner_id)
        changes = _changes(form, mode, partner_id)
    except ActionRefused as exc:
        flash(f"{exc}: nothing was done.", "error")
        return _page(form, mode, partner_id), 422
    if not changes:
        flash("Nothing to check: type or upload a partner file or a mapping.", "error")
        return _page(form, mode, partner_id), 422
    texts = {c.path: c.text for c in changes}
    if action == "save":
        return _save(form, mode, partner_id, changes)
    if action == "preview":
        target = partner_id or form.preview_partner.data
        if not target:
            flash("Preview needs a partner: give the partner file, or pick a partner that uses "
                  "this mapping.", "error")
            return _page(form, mode, partner_id), 422
        shown = preview(h, target, texts)
        if shown.problems:
            flash(f"No preview: {len(shown.problems)} problem(s), listed at their lines below.", "error")
        return _page(form, mode, partner_id, problems=shown.problems, shown=shown), \
            422 if shown.problems else 200
    problems = check(h, texts)
    if problems:
        flash(f"{len(problems)} problem(s), listed at their lines below: nothing was saved.", "error")
    else:
        flash("No problems: the whole configuration loads with these files in place "
              "(nothing is saved until you press Save).", "ok")
    return _page(form, mode, partner_id, problems=problems), 422 if problems else 200


def _fill(form: EditorForm, mode: str, partner_id: str | None) -> None:
    """The form as the files are on disk now (their sha256 kept to notice a later change)."""
    h = hub()
    if mode == "edit":
        path = f"partners/{partner_id}.toml"
        text = read_text(h.settings.home / path)
        if text is None:
            abort(404)
        form.partner_id.data, form.partner_text.data, form.partner_base.data = partner_id, text, sha256(text)
        partner = h.context.partners.get(partner_id)
        mappings = views.partner_profile(partner)["mappings"] if partner else []
        own = request.args.get("mapping") or (mappings[0] if mappings else "")
        if own:
            _fill_mapping(form, own)
    elif mode == "new":
        example = request.args.get("example", "")
        names = _examples()
        if example in names:
            form.partner_text.data = read_text(h.settings.partners_dir / "examples" / f"{example}.toml")
            form.partner_id.data = example
        else:
            form.partner_text.data = SKELETON.format(id="newsupplier", name="New Supplier")
        form.partner_base.data = ""
    else:
        path = request.args.get("path", "")
        if path:
            _fill_mapping(form, path)
        using = [p for p, partner in h.context.partners.items()
                 if form.mapping_path.data in views.partner_profile(partner)["mappings"]]
        form.preview_partner.data = using[0] if using else None


def _fill_mapping(form: EditorForm, path: str) -> None:
    try:
        path = config_path(path)
        if not path.startswith("mappings/"):
            raise ActionRefused(f"{path} is not a mapping file: mappings are under mappings/")
    except ActionRefused as exc:
        flash(str(exc), "error")
        return
    text = read_text(hub().settings.home / path)
    form.mapping_path.data, form.mapping_loaded.data = path, path
    form.mapping_text.data, form.mapping_base.data = text or "", sha256(text)


def _partner_id(form: EditorForm, mode: str, partner_id: str | None) -> str | None:
    """The partner the form is about: fixed when editing; for a new one as typed, or as its
    file's ``id`` says."""
    if mode == "edit":
        return partner_id
    if mode == "mapping":
        return None
    typed = (form.partner_id.data or "").strip()
    if not typed:
        found = _ID_LINE.search(form.partner_text.data or "")
        typed = found[1] if found else ""
    if not typed:
        raise ActionRefused("give the partner id (it names the file partners/<id>.toml)")
    if partner_of(f"partners/{typed}.toml") is None:
        raise ActionRefused(f"{typed!r} is not a partner id: lower-case letters, digits, '-' and "
                            "'_', at most 40, starting with a letter or digit")
    form.partner_id.data = typed
    return typed


def _changes(form: EditorForm, mode: str, partner_id: str | None) -> list[Change]:
    """The files the form changes, each checked for size and encoding; an upload replaces
    what was typed (and is shown in the text area from then on)."""
    changes = []
    if mode != "mapping":
        text = sent_text(form.partner_upload, form.partner_text, "the partner file")
        if text.strip():
            path = f"partners/{partner_id}.toml"
            existing = read_text(hub().settings.home / path) if mode == "new" else None
            if existing is not None and existing != text and not form.partner_base.data:
                raise ActionRefused(f"there is a partner {partner_id!r} already: open it to change it "
                                    f"({url_for('.edit', partner_id=partner_id)})")
            changes.append(Change(path, text, form.partner_base.data or ""))
    text = sent_text(form.mapping_upload, form.mapping_text, "the mapping file")
    path = (form.mapping_path.data or "").strip()
    if text.strip() or (path and path != form.mapping_loaded.data):
        if not path:
            raise ActionRefused("name the mapping file (e.g. mappings/x12/850-4010-acme.toml)")
        path = config_path(path if path.startswith("mappings/") else f"mappings/{path}")
        form.mapping_path.data = path
        if path != form.mapping_loaded.data and (hub().settings.home / path).exists():
            raise ActionRefused(f"{path} exists already: press “Load mapping” to open it, then change it")
        if text.strip():
            base = form.mapping_base.data if path == form.mapping_loaded.data else ""
            changes.append(Change(path, text, base or ""))
    return changes


def sent_text(upload, area, what: str, limit: int = MAX_BYTES) -> str:
    """The file sent in a form: an upload replaces what was typed in ``area`` (and is shown
    there from then on); ActionRefused when it is over ``limit`` bytes or not UTF-8."""
    data = upload.data
    if data is not None and getattr(data, "filename", ""):
        raw = data.stream.read(limit + 1)
        area.data = decode(raw, f"{what} {data.filename!r}", limit)
    return decode(area.data or "", what, limit)


def _load_mapping(form: EditorForm, mode: str, partner_id: str | None):
    path = (form.mapping_path.data or "").strip()
    _fill_mapping(form, path if path.startswith("mappings/") else f"mappings/{path}")
    if form.mapping_loaded.data and not form.mapping_text.data:
        flash(f"{form.mapping_loaded.data} does not exist yet: type or upload it.", "ok")
    return _page(form, mode, partner_id)


def _save(form: EditorForm, mode: str, partner_id: str | None, changes: list[Change]):
    h = hub()
    try:
        result = save(h, changes, current_user.name, form.note.data or "")
    except ConfigRefused as exc:
        flash(f"{exc}; each problem is listed at its line below.", "error")
        return _page(form, mode, partner_id, problems=exc.problems), 422
    except HubError as exc:
        flash(str(exc), "error")
        return _page(form, mode, partner_id), 409
    flash(result.message, "ok")
    if result.versions:
        saved()
    if partner_id:
        return redirect(url_for(".detail", partner_id=partner_id) + "#steps")
    return redirect(url_for(".history", path=changes[0].path))


def _page(form: EditorForm, mode: str, partner_id: str | None, problems=(), shown=None):
    """The editor, with each problem beside its line in the text that was checked."""
    edited = {f"partners/{partner_id}.toml": ("partner", form.partner_text.data or ""),
              (form.mapping_path.data or "").strip(): ("mapping", form.mapping_text.data or "")}
    listings, others = problem_listings(problems, edited)
    h = hub()
    using = sorted(p for p, partner in h.context.partners.items()
                   if (form.mapping_path.data or "") in views.partner_profile(partner)["mappings"])
    return render_template("partners/editor.html", form=form, mode=mode, partner_id=partner_id,
                           listings=listings, others=others, shown=shown, using=using,
                           content=describe(shown.payload) if shown and shown.payload else None,
                           examples=_examples(), max_kb=MAX_BYTES // 1024)


def problem_listings(problems, edited: dict[str, tuple[str, str]], only_bad: bool = False):
    """Each problem beside its line: (listings by which text, problems of other files).

    ``edited`` maps a path to (which, its text as checked); ``only_bad`` lists only the
    lines with a problem (a catalog of thousands of rows)."""
    listings, others = {}, []
    for p in problems:
        if p.file in edited and edited[p.file][1]:
            which, text = edited[p.file]
            listing = listings.setdefault(which, {"file": p.file, "general": [], "lines": {},
                                                  "text": text, "only_bad": only_bad})
            (listing["lines"].setdefault(p.line, []) if p.line else listing["general"]).append(p)
        else:
            others.append(p)
    for listing in listings.values():
        listing["rows"] = [(n, line, listing["lines"].get(n, []))
                           for n, line in enumerate(listing["text"].split("\n"), start=1)
                           if not only_bad or n in listing["lines"]]
    return listings, others


def _examples() -> list[str]:
    folder = hub().settings.partners_dir / "examples"
    return sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []


# -- versions -----------------------------------------------------------------------------------

@bp.get("/history")
@role_required("viewer")
def history():
    """Every version of one file, newest first: view, compare, bring one back."""
    h = hub()
    try:
        path = config_path(request.args.get("path", ""))
    except ActionRefused as exc:
        flash(str(exc), "error")
        return redirect(url_for(".index"))
    with h.uow(readonly=True) as uow:
        versions = views.config_history(uow.conn, path)
    current = read_text(h.settings.home / path)
    return render_template("partners/history.html", path=path, versions=versions,
                           current_sha=sha256(current), exists=current is not None,
                           form=PartnerActionForm(base=sha256(current)), partner_id=partner_of(path))


@bp.get("/versions/<int:version_id>")
@role_required("viewer")
def version(version_id: int):
    """One version's text."""
    with hub().uow(readonly=True) as uow:
        v = views.config_version(uow.conn, version_id)
    if v is None:
        abort(404)
    return render_template("partners/version.html", v=v, lines=v["content"].split("\n"))


@bp.get("/diff")
@role_required("viewer")
def compare():
    """What changed between two versions of a file, line by line."""
    old, new = request.args.get("a", type=int), request.args.get("b", type=int)
    if old is None or new is None:
        abort(404)
    try:
        lines = diff(hub(), old, new)
    except ActionRefused:
        abort(404)
    with hub().uow(readonly=True) as uow:
        a, b = views.config_version(uow.conn, old), views.config_version(uow.conn, new)
    return render_template("partners/diff.html", lines=lines, a=a, b=b)


@bp.post("/versions/<int:version_id>/rollback")
@role_required("admin")
def roll_back(version_id: int):
    """Bring an earlier version back, as a new version (checked like any change)."""
    form = PartnerActionForm()
    with hub().uow(readonly=True) as uow:
        v = views.config_version(uow.conn, version_id)
    if v is None:
        abort(404)
    if form.validate_on_submit():
        try:
            result = rollback(hub(), version_id, current_user.name, form.base.data or "",
                              form.note.data or "")
        except ConfigRefused as exc:
            flash(f"{exc}: " + "; ".join(map(str, exc.problems)), "error")
        except HubError as exc:
            flash(str(exc), "error")
        else:
            flash(result.message, "ok")
            if result.versions:
                saved()
    return redirect(url_for(".history", path=v["path"]))
