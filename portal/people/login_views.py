"""Logging in and out, and a person's own account."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from portal.db import get_session
from portal.forms import ConfirmForm, CredentialForm, LoginForm, PasswordForm
from portal.models import utcnow
from portal.notify import kinds
from portal.people import access, accounts, sessions
from portal.people.throttle import LoginFailed, LoginLocked, authenticate, client_address

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never send someone to another site after logging in."""
    # Browsers read "/\\host" like "//host", so backslashes are refused along with "//". Control
    # characters are refused too: browsers drop tabs and line breaks ("/\t/host" is "//host"), and
    # a line break cannot go in the Location header at all (that was a 500 after a good login).
    if (target and target.startswith("/") and not target.startswith("//") and "\\" not in target
            and not any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in target)
            and not urlsplit(target).netloc and not urlsplit(target).scheme):
        return target
    return url_for("auth.home")


@bp.route("/login", methods=["GET", "POST"])
@access.public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("auth.home"))
    form = LoginForm()
    error = None
    status = 200
    if form.validate_on_submit():
        try:
            user = authenticate(get_session(), form.username.data, form.password.data,
                                client_address(request.remote_addr))
        except LoginLocked as locked:
            minutes = max(1, int((locked.until - utcnow()).total_seconds() // 60) + 1)
            error = (f"Too many failed attempts. Logging in is paused for this account or address "
                     f"until {locked.until:%H:%M} UTC (about {minutes} minutes). Try again then.")
            status = 429
        except LoginFailed:
            error = "That username and password do not match. Check both and try again."
            status = 401
        else:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 400
        problems = [e for name, errors in form.errors.items() if name != "csrf_token" for e in errors]
        error = " ".join(problems) or "The form expired. Reload the page and log in again."
    return render_template("staff/login.html", form=form, error=error), status


@bp.route("/logout", methods=["POST"])
@access.signed_in
def logout():
    sessions.end(get_session(), current_user.login_session_id)  # every copy of the cookie, too
    logout_user()
    flash("You are logged out.")
    return redirect(url_for("auth.login"))


@bp.route("/staff/")
@access.signed_in
def home():
    return render_template("staff/home.html")


@bp.route("/account", methods=["GET", "POST"])
@access.signed_in
def account():
    form = PasswordForm()
    error = None
    if form.validate_on_submit():
        if not accounts.verify_password(current_user, form.current.data):
            error = "Your current password is not right. Nothing was changed."
        else:
            try:
                accounts.set_password(get_session(), current_user, form.new.data,
                                      keep_login=current_user.login_session_id)  # ends the others
            except accounts.AccountError as exc:
                error = str(exc)
            else:
                flash("Your password is changed. Other sessions you had open are logged out.")
                return redirect(url_for("auth.account"))
    status = 400 if request.method == "POST" else 200
    return _account_page(form, error=error, status=status)


def _account_page(form=None, credential_form=None, *, error=None, credential_error=None, status=200,
                  notify_error=None, notify_values=None, email_error=False):
    credential_form = credential_form or CredentialForm(
        formdata=None, credential=current_user.credential, show_to_families=current_user.show_to_families)
    choosable = kinds.kinds_for(current_user)
    if notify_values is None:  # what is saved (the defaults where nothing is)
        saved = kinds.preferences(get_session(), [current_user.id])
        notify_values = {"email": current_user.email,
                         **{kind.name: saved[(current_user.id, kind.name)] for kind in choosable}}
    return render_template("staff/account.html", form=form or PasswordForm(formdata=None), error=error,
                           credential_form=credential_form, credential_error=credential_error,
                           credential_limit=accounts.CREDENTIAL_LIMIT, notify_form=ConfirmForm(formdata=None),
                           notify_kinds=choosable, notify_values=notify_values, notify_error=notify_error,
                           email_error=email_error, mode_labels=kinds.MODE_LABELS), status


@bp.route("/account/credential", methods=["POST"])
@access.signed_in
def account_credential():
    """Save the credential line and the choice to show it to families (``accounts.set_credential``
    checks both; on a refusal the page shows why, with what was typed, and nothing is saved)."""
    form = CredentialForm()
    if not form.validate_on_submit():
        return _account_page(credential_form=form, credential_error="The form expired. Reload the page and try "
                             "again. Nothing was changed.", status=400)
    session = get_session()
    try:
        accounts.set_credential(session, current_user, form.credential.data, show=form.show_to_families.data)
    except accounts.AccountError as exc:
        session.rollback()
        form.credential.errors = [str(exc)]
        return _account_page(credential_form=form, credential_error=str(exc), status=400)
    if current_user.show_to_families:
        flash("Saved. Families see your name and credential line on \"How this translation was checked\" "
              "for the languages you review.")
    else:
        flash("Saved. Families do not see your name or credential line.")
    return redirect(url_for("auth.account"))


@bp.route("/account/notifications", methods=["POST"])
@access.signed_in
def account_notifications():
    """Save the person's e-mail address and, per kind they may choose, off / each / daily. Every
    value is checked first; a refusal shows why (with what was sent) and changes nothing."""
    form = ConfirmForm()
    sent = {"email": (request.form.get("email") or "")[:300],
            **{kind.name: request.form.get(f"notify-{kind.name}", "")[:20] for kind in kinds.kinds_for(current_user)}}
    if not form.validate_on_submit():
        return _account_page(notify_error="The form expired. Reload the page and try again. Nothing was changed.",
                             notify_values=sent, status=400)
    session = get_session()
    try:
        try:
            accounts.set_email(session, current_user, sent["email"])
        except accounts.AccountError as exc:
            session.rollback()
            return _account_page(notify_error=str(exc), notify_values=sent, email_error=True, status=400)
        kinds.set_preferences(session, current_user, {name: mode for name, mode in sent.items() if name != "email"})
    except kinds.PreferenceError as exc:
        session.rollback()
        return _account_page(notify_error=str(exc), notify_values=sent, status=400)
    flash("Your e-mail settings are saved.")
    return redirect(url_for("auth.account"))
