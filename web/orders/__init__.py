"""Orders: find one by any id, read its whole story, correct, re-route or cancel it, change it for
the customer (out to the suppliers), take one by phone."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, FieldList, FormField, HiddenField, IntegerField,
                     SelectField, StringField)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from hub.services.operations import (EDITABLE, cancel_line, cancel_order, edit_order, release_order,
                                     reroute_line)
from hub.services.audit import ActionRefused
from hub.services.phone import PhoneOrderRefused, new_phone_order_id, take_phone_order
from hub.views import find_orders, matched_orders, order_view, orders_overview
from hub.views.changes import changes_of_order
from web.console import act, hub, role_required

bp = Blueprint("orders", __name__, template_folder="templates", url_prefix="/orders")


class ReasonForm(FlaskForm):
    """An action that needs a reason (cancel, release note)."""

    reason = StringField("Reason", validators=[DataRequired(), Length(max=2000)])


class LineActionForm(FlaskForm):
    """Cancel or re-route a line's units."""

    quantity = IntegerField("Units (empty: all that can be)", validators=[Optional(), NumberRange(min=1)])
    supplier = SelectField("Supplier", choices=[], validate_choice=False)
    reason = StringField("Reason", validators=[DataRequired(), Length(max=2000)])


@bp.get("/")
@role_required("viewer")
def search():
    """One box for any id; a unique answer opens the order, several are listed."""
    q = (request.args.get("q") or "").strip()[:200]
    state = request.args.get("state") or None
    h = hub()
    with h.uow(readonly=True) as uow:
        if q:
            matches = find_orders(uow.conn, q)
            orders = matched_orders(matches)
            if len(orders) == 1:
                return redirect(url_for(".detail", order_id=orders[0]))
            by_order: dict[int, list] = {oid: [] for oid in orders}   # each order with what matched it
            for m in matches:
                by_order[m.order_id].append(m)
            return render_template("orders/search.html", q=q, orders=by_order, recent=None, state=state)
        recent = [o for o in orders_overview(uow.conn, limit=200 if state else 50)
                  if state is None or o["state"] == state]
    return render_template("orders/search.html", q=q, orders={}, recent=recent[::-1], state=state)


@bp.get("/<int:order_id>")
@role_required("viewer")
def detail(order_id: int):
    """An order: lines and quantities per supplier, POs, documents, shipments, incidents,
    audit and timeline; the operator's actions where they apply."""
    h = hub()
    with h.uow(readonly=True) as uow:
        view = order_view(uow.conn, order_id)
        changes = changes_of_order(uow.conn, order_id)
    if view is None:
        abort(404)
    suppliers = {ln["line_id"]: _suppliers_for(h, ln["sku"]) for ln in view["lines"]}
    has_pos = bool(view["purchase_orders"])
    return render_template("orders/detail.html", o=view, suppliers=suppliers, reason=ReasonForm(),
                           line_form=LineActionForm(), in_review=view["state"] in ("on_hold", "needs_attention")
                           and not has_pos, has_pos=has_pos, changes=changes,
                           change_form=_change_form(view), settle_form=ReasonForm())


@bp.post("/<int:order_id>/release")
@role_required("operator")
def release(order_id: int):
    """Release an order on hold or needing attention."""
    form = ReasonForm()
    if form.validate_on_submit():
        def run():
            outcome = release_order(hub().context, order_id, current_user.name, form.reason.data)
            if not outcome.purchase_orders:
                from hub.services.audit import ActionRefused
                raise ActionRefused("the order was reviewed again and stopped again: see its incidents")
            return outcome
        act(run, "Released: purchase orders created and queued.")
    else:
        flash("Give a note (why it may go now): nothing was done.", "error")
    return redirect(url_for(".detail", order_id=order_id))


@bp.post("/<int:order_id>/cancel")
@role_required("operator")
def cancel(order_id: int):
    """Cancel an order no supplier has yet."""
    form = ReasonForm()
    if form.validate_on_submit():
        act(lambda: cancel_order(hub().context, order_id, current_user.name, form.reason.data))
    else:
        flash("Give a reason to cancel: nothing was done.", "error")
    return redirect(url_for(".detail", order_id=order_id))


@bp.post("/<int:order_id>/lines/<line_id>/<action>")
@role_required("operator")
def line_action(order_id: int, line_id: str, action: str):
    """Cancel or re-route (some of) a line's units."""
    form = LineActionForm()
    if action not in ("cancel", "reroute"):
        abort(404)
    if not form.validate_on_submit():
        flash("Give a reason (and a whole number of units, if any): nothing was done.", "error")
    elif action == "cancel":
        act(lambda: cancel_line(hub().context, order_id, line_id, current_user.name, form.reason.data,
                                form.quantity.data))
    else:
        act(lambda: reroute_line(hub().context, order_id, line_id, form.supplier.data or "",
                                 current_user.name, form.reason.data, form.quantity.data))
    return redirect(url_for(".detail", order_id=order_id))


class LineChangeForm(FlaskForm):
    """One line of a change: the units the customer wants from now on."""

    class Meta:
        csrf = False
    quantity = IntegerField("Units wanted", validators=[Optional(), NumberRange(min=0, max=1_000_000)])


class ChangeForm(FlaskForm):
    """A change the customer asked for, entered by an operator: it goes out as the channel's would."""

    cancel_all = BooleanField("Cancel the whole order")
    lines = FieldList(FormField(LineChangeForm), min_entries=0, max_entries=1000)
    delivery_date = DateField("New delivery date", validators=[Optional()])
    ship_name = StringField("Ship to (name)", validators=[Optional(), Length(max=120)])
    address1 = StringField("Address", validators=[Optional(), Length(max=120)])
    address2 = StringField("Address line 2", validators=[Optional(), Length(max=120)])
    city = StringField("City", validators=[Optional(), Length(max=80)])
    state = StringField("State", validators=[Optional(), Length(max=40)])
    postal_code = StringField("Postal code", validators=[Optional(), Length(max=20)])
    country = StringField("Country", validators=[Optional(), Length(max=2)])
    reason = StringField("Why (the customer's words; kept in the audit log)",
                         validators=[DataRequired(), Length(max=240)])
    change_id = HiddenField()   # given with the empty form: sent twice, it is still one change


_SHIP = (("ship_name", "name"), ("address1", "address1"), ("address2", "address2"), ("city", "city"),
         ("state", "state"), ("postal_code", "postal_code"), ("country", "country"))


def _change_form(view: dict) -> ChangeForm:
    """The change form of an order, filled with how the order stands now."""
    form = ChangeForm(formdata=None)
    form.change_id.data = f"console-{new_phone_order_id()}"
    for line in view["lines"]:
        form.lines.append_entry({"quantity": line["quantity"] - line["cancelled"]})
    for name, key in _SHIP:
        getattr(form, name).data = view["ship_to"][key]
    return form


@bp.post("/<int:order_id>/change")
@role_required("operator")
def change(order_id: int):
    """Change or cancel an order as the customer asked: it reaches the suppliers as a
    channel's change does (documents replaced, 860s, or a person tells them)."""
    from hub.services.changes import CONFLICT, CREATED, INVALID, NOT_FOUND, UNCHANGED, request_change
    h = hub()
    with h.uow(readonly=True) as uow:
        view = order_view(uow.conn, order_id)
        taken = {c["change_id"]: c for c in changes_of_order(uow.conn, order_id)} if view else {}
    if view is None:
        abort(404)
    form = ChangeForm()
    if form.change_id.data in taken:   # the same form sent twice: the order has moved on since
        flash(f"change {form.change_id.data} was already taken: {taken[form.change_id.data]['state']}", "ok")
        return redirect(url_for(".detail", order_id=order_id))
    if not form.validate_on_submit():
        flash("The change needs a look: " + "; ".join(form_problems(form.errors)) + ". Nothing was changed.",
              "error")
        return redirect(url_for(".detail", order_id=order_id))
    data = _change_data(form, view)
    result = request_change(h.context, view["channel"], view["channel_order_id"], data, "console",
                            current_user.name)
    if result.status in (CREATED, UNCHANGED):
        flash(result.message, "ok")
    elif result.status in (INVALID, CONFLICT, NOT_FOUND):
        flash("The change was refused: " + "; ".join(result.problems), "error")
    return redirect(url_for(".detail", order_id=order_id))


def _change_data(form: ChangeForm, view: dict) -> dict:
    """The change as the channel would send it: only what differs from the order as it is."""
    data: dict = {"change_id": form.change_id.data or f"console-{new_phone_order_id()}",
                  "reason": form.reason.data}
    if form.cancel_all.data:
        data["cancel"] = True
        return data
    lines = [{"line_id": line["line_id"], "quantity": entry.form.quantity.data}
             for entry, line in zip(form.lines, view["lines"])
             if entry.form.quantity.data is not None and
             entry.form.quantity.data != line["quantity"] - line["cancelled"]]
    if lines:
        data["lines"] = lines
    ship_to = {key: (getattr(form, name).data or "").strip() for name, key in _SHIP}
    ship_to["country"] = ship_to["country"].upper()
    if any(ship_to[key] != (view["ship_to"][key] or "") for key in ship_to):
        data["ship_to"] = ship_to
    if form.delivery_date.data:
        data["requested_delivery_date"] = form.delivery_date.data.isoformat()
    return data


@bp.post("/<int:order_id>/changes/<int:po_change_id>/<answer>")
@role_required("operator")
def settle(order_id: int, po_change_id: int, answer: str):
    """Record the supplier's answer to a change, given by other means (phone, e-mail)."""
    from hub.services.change_answers import settle_by_operator
    if answer not in ("accepted", "refused"):
        abort(404)
    form = ReasonForm()
    if form.validate_on_submit():
        act(lambda: settle_by_operator(hub().context, po_change_id, answer == "accepted", current_user.name,
                                       form.reason.data, order_id))
    else:
        flash("Say how the supplier answered (a note): nothing was recorded.", "error")
    return redirect(url_for(".detail", order_id=order_id))


def _edit_form_class(view: dict):
    """An edit form for this order: customer contact, ship-to, and each line's SKU/quantity."""
    class LineForm(FlaskForm):
        class Meta:
            csrf = False
        sku = StringField("SKU", validators=[DataRequired(), Length(max=80)])
        quantity = IntegerField("Quantity", validators=[DataRequired(), NumberRange(min=1)])
        description = StringField("Description", validators=[Optional(), Length(max=240)])

    class EditForm(FlaskForm):
        reason = StringField("Why (kept in the audit log)", validators=[DataRequired(), Length(max=2000)])
        lines = FieldList(FormField(LineForm), min_entries=len(view["lines"]))

    for part in ("customer", "ship_to"):
        for key in EDITABLE[part]:
            setattr(EditForm, f"{part}__{key}", StringField(f"{key.replace('_', ' ')}",
                                                           validators=[Optional(), Length(max=254)]))
    return EditForm


@bp.route("/<int:order_id>/edit", methods=["GET", "POST"])
@role_required("operator")
def edit(order_id: int):
    """Correct an order still in review, then review and route it again."""
    h = hub()
    with h.uow(readonly=True) as uow:
        view = order_view(uow.conn, order_id)
    if view is None:
        abort(404)
    form = _edit_form_class(view)()
    if request.method == "GET":
        for part in ("customer", "ship_to"):
            for key in EDITABLE[part]:
                getattr(form, f"{part}__{key}").data = view[part][key]
        for entry, line in zip(form.lines, view["lines"], strict=True):
            entry.form.sku.data, entry.form.quantity.data = line["sku"], line["quantity"]
            entry.form.description.data = line["description"]
    elif form.validate_on_submit():
        changes: dict = {}
        for part in ("customer", "ship_to"):
            for key in EDITABLE[part]:
                value = getattr(form, f"{part}__{key}").data or ""
                if value != (view[part][key] or ""):
                    changes.setdefault(part, {})[key] = value
        for entry, line in zip(form.lines, view["lines"], strict=True):
            new = {"sku": entry.form.sku.data.strip(), "quantity": entry.form.quantity.data,
                   "description": entry.form.description.data or ""}
            old = {"sku": line["sku"], "quantity": line["quantity"], "description": line["description"]}
            if new != old:
                changes.setdefault("lines", {})[line["line_id"]] = {k: v for k, v in new.items() if v != old[k]}
        if act(lambda: edit_order(h.context, order_id, changes, current_user.name, form.reason.data)):
            return redirect(url_for(".detail", order_id=order_id))
    else:
        flash("Some fields need a look (see below): nothing was changed.", "error")
    return render_template("orders/edit.html", o=view, form=form, parts=EDITABLE)


class PhoneLineForm(FlaskForm):
    """One line of a phone order."""

    class Meta:
        csrf = False
    sku = StringField("SKU", validators=[Optional(), Length(max=80)])
    quantity = IntegerField("Quantity", validators=[Optional(), NumberRange(min=1)])
    unit_price = StringField("Unit price", validators=[Optional(), Length(max=20)])


class PhoneOrderForm(FlaskForm):
    """A phone order: the customer, where it goes, what they want."""

    customer_id = StringField("Customer id", validators=[DataRequired(), Length(max=80)])
    customer_name = StringField("Customer name", validators=[DataRequired(), Length(max=120)])
    email = StringField("E-mail", validators=[Optional(), Length(max=254)])
    phone = StringField("Phone", validators=[Optional(), Length(max=40)])
    prepaid = BooleanField("Paid already")
    ship_name = StringField("Ship to (name)", validators=[DataRequired(), Length(max=120)])
    address1 = StringField("Address", validators=[DataRequired(), Length(max=120)])
    address2 = StringField("Address line 2", validators=[Optional(), Length(max=120)])
    city = StringField("City", validators=[DataRequired(), Length(max=80)])
    state = StringField("State", validators=[Optional(), Length(max=40)])
    postal_code = StringField("Postal code", validators=[DataRequired(), Length(max=20)])
    country = StringField("Country (2 letters)", default="US", validators=[DataRequired(), Length(min=2, max=2)])
    currency = StringField("Currency", default="USD", validators=[DataRequired(), Length(min=3, max=3)])
    lines = FieldList(FormField(PhoneLineForm), min_entries=3, max_entries=50)
    order_id = HiddenField()   # given with the empty form: sent twice, it is still one order


@bp.route("/new", methods=["GET", "POST"])
@role_required("operator")
def phone():
    """Take an order by phone: the same intake, review and routing as every channel."""
    h = hub()
    form = PhoneOrderForm()
    if not form.order_id.data:
        form.order_id.data = new_phone_order_id()
    problems: list[str] = []
    if form.validate_on_submit():
        lines = [{"line_id": str(k + 1), "sku": e.form.sku.data.strip(), "quantity": e.form.quantity.data,
                  "unit_price": (e.form.unit_price.data or "").strip()}
                 for k, e in enumerate(entry for entry in form.lines if entry.form.sku.data)]
        data = {"customer": {"id": form.customer_id.data, "name": form.customer_name.data,
                             "email": form.email.data or "", "phone": form.phone.data or "",
                             "prepaid": bool(form.prepaid.data)},
                "ship_to": {"name": form.ship_name.data, "address1": form.address1.data,
                            "address2": form.address2.data or "", "city": form.city.data,
                            "state": form.state.data or "", "postal_code": form.postal_code.data,
                            "country": form.country.data.upper()},
                "currency": form.currency.data.upper(), "lines": lines}
        try:
            result = take_phone_order(h.context, data, current_user.name, form.order_id.data)
        except PhoneOrderRefused as exc:
            problems = exc.problems
        except ActionRefused as exc:
            problems = [str(exc)]
        else:
            flash(f"Order {result.channel}/{result.channel_order_id} "
                  f"{'taken' if result.status == 'created' else 'was taken already'}: {result.state}", "ok")
            return redirect(url_for(".detail", order_id=result.order_id))
    elif request.method == "POST":
        problems = form_problems(form.errors)
    skus = sorted({e.sku for e in h.context.catalog.entries if e.active})
    return render_template("orders/phone.html", form=form, skus=skus, problems=problems), (422 if problems else 200)


def form_problems(errors, prefix: str = "") -> list[str]:
    """WTForms' nested errors (field lists hold a dict per entry) as "field: problem" lines."""
    out = []
    items = errors.items() if isinstance(errors, dict) else enumerate(errors)
    for name, value in items:
        where = f"{prefix}{name}" if not isinstance(name, int) else f"{prefix.rstrip('.')}[{name + 1}]."
        if isinstance(value, (dict, list)) and value and not isinstance(value[0] if isinstance(value, list)
                                                                         else None, str):
            out += form_problems(value, where if isinstance(name, int) else f"{where}.")
        elif value:
            out.append(f"{where.rstrip('.')}: {'; '.join(value) if isinstance(value, list) else value}")
    return out


def _suppliers_for(h, sku: str) -> list[str]:
    """Active suppliers carrying the SKU (active catalog row): who a line may be re-routed to."""
    return sorted({e.supplier for e in h.context.catalog.offers(sku)
                   if e.active and (p := h.context.partners.get(e.supplier)) is not None and p.active})
