"""Admins: people, roles, and publishing on demand."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.db import get_session
from portal.forms import ConfirmForm, PersonForm
from portal.locales import UnknownLocale
from portal.people import access, accounts
from portal.review.operations import publish_all

bp = Blueprint("admin", __name__, url_prefix="/admin")

# Largest id the users table holds (a 32-bit INTEGER): a longer number is a 404, not a database error.
PERSON_ID = "int(max=2147483647)"


def _person(person_id: int):
    """People are addressed by id: a username made before the username rule may hold a "/"
    or other characters a URL path cannot carry (and "new" would collide with the form)."""
    user = accounts.get_user_by_id(get_session(), person_id)
    if user is None:
        abort(404)
    return user


@bp.route("/people")
@access.admin
def people():
    return render_template("staff/people.html", people=accounts.list_users(get_session()), form=ConfirmForm())


@bp.route("/people/new", methods=["GET", "POST"])
@access.admin
def new_person():
    form = PersonForm()
    error = None
    if form.validate_on_submit():
        try:
            user = accounts.create_user(get_session(), form.username.data, form.password.data or "",
                                        display_name=form.display_name.data, roles=form.role_pairs(),
                                        is_admin=form.is_admin.data)
        except (accounts.AccountError, UnknownLocale) as exc:
            get_session().rollback()
            error = str(exc)
        else:
            flash(f"Added {user.username}.")
            return redirect(url_for("admin.people"))
    status = 400 if request.method == "POST" else 200
    return render_template("staff/person.html", form=form, error=error, person=None), status


@bp.route(f"/people/<{PERSON_ID}:person_id>", methods=["GET", "POST"])
@access.admin
def edit_person(person_id):
    user = _person(person_id)
    form = PersonForm(obj=None if request.method == "POST" else user)
    if request.method == "GET":
        form.roles.data = [f"{r.role}:{r.locale}" for r in user.roles]
    del form.username  # usernames do not change (and one made before the rule must still save)
    error = None
    if form.validate_on_submit():
        try:
            accounts.update_person(get_session(), user, roles=form.role_pairs(), is_admin=form.is_admin.data,
                                   display_name=form.display_name.data, password=form.password.data or None)
        except (accounts.AccountError, UnknownLocale) as exc:
            get_session().rollback()
            error = str(exc)
        else:
            flash(f"Saved {user.username}.")
            if not current_user.is_admin:  # an admin who gave up their own admin role
                return redirect(url_for("auth.home"))
            return redirect(url_for("admin.people"))
    status = 400 if request.method == "POST" else 200
    return render_template("staff/person.html", form=form, error=error, person=user), status


@bp.route(f"/people/<{PERSON_ID}:person_id>/active", methods=["POST"])
@access.admin
def set_active(person_id):
    user = _person(person_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    activate = request.form.get("active") == "1"
    if user.id == current_user.id and not activate:
        flash("You cannot disable yourself; ask another admin.")
        return redirect(url_for("admin.people"))
    try:
        accounts.set_active(get_session(), user, activate)
    except accounts.AccountError as exc:
        get_session().rollback()
        flash(str(exc))
    else:
        flash(f"{user.username} is {'enabled' if activate else 'disabled and logged out'}.")
    return redirect(url_for("admin.people"))


@bp.route("/publish", methods=["GET", "POST"])
@access.admin
def publish():
    form = ConfirmForm()
    reports, failures = None, []
    if form.validate_on_submit():
        reports, failures = publish_all(get_session())
    return render_template("staff/publish.html", form=form, reports=reports, failures=failures)
