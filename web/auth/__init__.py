"""Signing in and out of the console."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from hub.services.users import SignInRefused, authenticate
from web.console import SessionUser, hub

bp = Blueprint("auth", __name__, template_folder="templates")


class SignInForm(FlaskForm):
    """User name and password."""

    name = StringField("User name", validators=[DataRequired(), Length(max=80)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1000)])


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in page; on success, back to the page that asked for it (on this site only)."""
    form = SignInForm()
    if form.validate_on_submit():
        try:
            user = authenticate(hub().context, form.name.data.strip(), form.password.data)
        except SignInRefused as exc:
            flash(str(exc), "error")
            return render_template("auth/login.html", form=form), 401
        session.clear()   # a new session id at sign-in: no fixation
        login_user(SessionUser(user))
        session.permanent = True
        return redirect(_safe_next(request.args.get("next")))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("dashboard.index"))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    """Sign out (a POST with the form's CSRF token, so another site cannot sign you out)."""
    logout_user()
    session.clear()
    flash("Signed out.", "ok")
    return redirect(url_for("auth.login"))


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never send a person to another host after signing in."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("dashboard.index")
