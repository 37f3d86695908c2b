"""One document in or out: what it is, read as a person reads it, downloadable, and the
operator's actions on it (retry, resend, reprocess)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, send_file, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import Length, Optional

from hub.edi.document_view import describe_document
from hub.services.documents import reprocess_inbound, resend_outbound, retry_outbound
from hub.views.documents import document_source, document_view
from web.console import act, hub, role_required

bp = Blueprint("documents", __name__, template_folder="templates", url_prefix="/documents")
SHOWN = 2 << 20    # bytes read for the page; the download has the whole document
SEGMENTS = 5000    # X12 segments annotated on the page


class DocumentActionForm(FlaskForm):
    """Retry, resend or reprocess, with an optional note (and, to reprocess, whose it is)."""

    reason = StringField("Note (optional)", validators=[Optional(), Length(max=2000)])
    partner = SelectField("Partner (when the file does not say)", choices=[], validate_choice=False)


@bp.get("/<int:document_id>")
@role_required("viewer")
def show(document_id: int):
    """The document: its record, and its content read for people (X12 annotated, XML indented)."""
    h = hub()
    view, source = _load(h, document_id)
    content = _describe(_head(source)) if source else None
    form = DocumentActionForm()
    form.partner.choices = [SelectChoice("", "as the file says")] + sorted(h.context.partners)
    return render_template("documents/show.html", d=view, content=content, form=form,
                           available=source is not None)


@bp.get("/<int:document_id>/raw")
@role_required("viewer")
def raw(document_id: int):
    """The document exactly as sent or received, as a download (never rendered by the browser)."""
    view, source = _load(hub(), document_id)
    if source is None:
        abort(404)
    name = f"document-{document_id}.{_extension(view)}"
    if source[0] == "file":
        return send_file(source[1], mimetype="application/octet-stream", as_attachment=True, download_name=name)
    return Response(source[1], mimetype="application/octet-stream",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.post("/<int:document_id>/<action>")
@role_required("operator")
def action(document_id: int, action: str):
    """Retry (failed or waiting), resend (delivered) or reprocess (received)."""
    form = DocumentActionForm()
    form.partner.choices = [SelectChoice("", "")] + sorted(hub().context.partners)
    if not form.validate_on_submit():
        flash("That form had expired: nothing was done.", "error")
        return redirect(url_for(".show", document_id=document_id))
    h, note = hub(), form.reason.data or ""
    actions = {"retry": lambda: retry_outbound(h.context, document_id, current_user.name, note),
               "resend": lambda: resend_outbound(h.context, document_id, current_user.name, note),
               "reprocess": lambda: reprocess_inbound(h.context, h.receiver, document_id, current_user.name,
                                                      form.partner.data or None, note)}
    if action not in actions:
        abort(404)
    act(actions[action])
    return redirect(url_for(".show", document_id=document_id))


def _load(h, document_id: int):
    """The document's record and where its bytes are; 404 when there is no such document."""
    with h.uow(readonly=True) as uow:
        view = document_view(uow.conn, document_id)
        source = document_source(uow.conn, document_id, h.archive.root)
    if view is None:
        abort(404)
    return view, source


def _head(source) -> bytes:
    kind, value = source
    if kind == "bytes":
        return value[:SHOWN]
    with open(value, "rb") as fh:
        return fh.read(SHOWN)


def _describe(data: bytes):
    """The document read for people: X12 annotated segment by segment, XML indented, anything
    else as text and hex (bounded: the download holds the whole document)."""
    return describe_document(data, max_segments=SEGMENTS)


def _extension(view: dict) -> str:
    kind = view["doc_type"]
    return "xml" if kind.startswith("xml") else "as2" if kind == "as2" else "edi" if kind[:1].isdigit() or \
        kind == "X12" else "bin"
