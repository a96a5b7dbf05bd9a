"""Default-deny access control, logins and CSRF.

Every view declares who may use it with one of the decorators below. A
``before_request`` hook reads that declaration; a view that declares nothing
is refused (403), so a new route is closed until someone decides otherwise.

* ``public``: families' pages, the login form.
* ``signed_in``: any active person (their account page, logging out).
* ``admin``: admins only.
* ``role("translator")`` / ``role("reviewer")``: that role *for the locale in the URL*.
* ``any_role("reviewer")``: admins, and people with that role for at least one locale
  (pages about all locales that show no translation, such as the review dashboard).
"""
from __future__ import annotations

from flask import Flask, abort, current_app, redirect, render_template, request, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFError, CSRFProtect

from portal.db import get_session
from portal.locales import by_code
from portal.people import sessions

login_manager = LoginManager()
csrf = CSRFProtect()

ACCESS_ATTR = "portal_access"


def _declare(kind: str, role: str | None = None):
    def decorate(view):
        setattr(view, ACCESS_ATTR, (kind, role))
        return view

    return decorate


public = _declare("public")
signed_in = _declare("signed_in")
admin = _declare("admin")


def role(name: str):
    """The signed-in person needs role ``name`` for the ``locale`` URL argument."""
    return _declare("role", name)


def any_role(name: str):
    """Admins, or the signed-in person has role ``name`` for some locale."""
    return _declare("any_role", name)


def access_of(app: Flask, endpoint: str | None):
    view = app.view_functions.get(endpoint) if endpoint else None
    return getattr(view, ACCESS_ATTR, None)


def enforce_access():
    """Runs before every request: the one place that lets a request through or not."""
    if request.endpoint is None or request.endpoint == "static":
        return None  # 404s and static files
    access = access_of(current_app, request.endpoint)
    if access is None:
        abort(403)  # undeclared: denied
    kind, needed = access
    if kind == "public":
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if kind == "admin" and not current_user.is_admin:
        abort(403)
    if kind == "any_role" and not (current_user.is_admin or current_user.locales_for(needed)):
        abort(403)
    if kind == "role":
        code = (request.view_args or {}).get("locale", "")
        try:
            code = by_code(code).code
        except LookupError:
            abort(404)
        if not current_user.has_role(needed, code):
            abort(403)
    return None


@login_manager.user_loader
def load_user(login_id: str):
    """The person of an open login. After logging out, a password change or being disabled, the
    cookie (and any copy of it) is anonymous on its next request. Flask-Login calls this once per
    request, the first time ``current_user`` is read: for staff pages that is ``enforce_access``,
    before the view, so the occasional last-seen write commits nothing of the view's."""
    return sessions.load(get_session(), login_id)


class SessionForStaffOnly(SecureCookieSessionInterface):
    """Families' pages neither use nor answer with the session: no Set-Cookie and no Vary: Cookie
    (Flask adds it when anything, such as Flask-Login after each request, so much as looks), so a
    browser or CDN may share them. Staff pages keep the session as before."""

    def save_session(self, app, session, response):
        if request.blueprint == "public" and not session.modified:
            return
        super().save_session(app, session, response)


def staff_user():
    """``current_user`` for templates, except families' pages (they never show who is signed in)."""
    return {} if request.blueprint == "public" else {"current_user": current_user}


def csrf_error(error: CSRFError):
    return render_template("staff/notice.html", title="The form expired",
                           message="This form was open too long, or came from another site. "
                                   "Go back, reload the page, and try again. Nothing was saved."), 400


def security_headers_for_staff(response):
    """Staff pages show personal data: never cache them."""
    if request.endpoint and access_of(current_app, request.endpoint) not in (None, ("public", None)):
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    # Access first, so a request without the right to a page never learns more (not even a CSRF error).
    app.before_request(enforce_access)
    # current_user reaches only staff templates: for a family page it would read the session (and
    # with a staff cookie, the database), making the page vary on Cookie and wait on the database.
    login_manager.init_app(app, add_context_processor=False)
    app.session_interface = SessionForStaffOnly()
    app.context_processor(staff_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"
    csrf.init_app(app)
    app.after_request(security_headers_for_staff)
    app.register_error_handler(CSRFError, csrf_error)

