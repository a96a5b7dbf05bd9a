"""Error pages: every error gets a page, in the reader's language where it is a family page,
and no error handler ever fails.

If a page cannot be rendered (a broken template, a database that is down, a Host header
routing cannot use), the reader still gets the error's own status as plain text, with the
security headers; never Werkzeug's bare 500 without them.
"""
from __future__ import annotations

import functools
import logging

from flask import Flask, Response, current_app, g, make_response, render_template, request
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed, ServiceUnavailable
from werkzeug.http import HTTP_STATUS_CODES

from portal.db import DatabaseNotReady, database_trouble
from portal.families.i18n import preferred_locale
from portal.http import RefusedInput, security_headers

log = logging.getLogger(__name__)


class DatabaseUnavailable(ServiceUnavailable):
    """503 whose description says what the admin must do (see portal.db.require_schema)."""


def _plain_error(code: int) -> Response:
    """The last resort when an error page itself fails: plain text, no template, no database."""
    response = Response(f"{code} {HTTP_STATUS_CODES.get(code, 'Error')}\n", status=code, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    return response


def _error_body(error: HTTPException, code: int):
    """The page for an HTTP error, in the reader's language where it is a family page."""
    if "locale" not in g:
        g.locale = preferred_locale()
    if code == 403:
        return render_template("staff/notice.html", title="Not allowed",
                               message="Your account does not have the role this page needs. "
                                       "Ask an admin if you think it should.")
    if isinstance(error, RefusedInput):
        # A family's page has no current_user (``access.staff_user``): the staff layout without it.
        return render_template("staff/notice.html", title="Not accepted", message=error.description,
                               offline=request.blueprint == "public")
    if code == 405:
        return render_template("staff/notice.html", title="Not allowed at this address",
                               message=f"This address does not accept {request.method} requests. "
                                       "Go back and use the links and buttons on the page.")
    detail = error.description if isinstance(error, DatabaseUnavailable) else None
    return render_template("error.html", code=code, alternates=[], detail=detail)


def error_page(error: HTTPException):
    """Errors in the reader's language: the URL's locale if valid, else their preference.

    Never raises: if the page cannot be rendered (a broken template, a database that is
    down), the reader gets a plain-text page with the same status, and the security
    headers are set here rather than left to the after-request hooks.
    """
    code = error.code or 500
    try:
        response = make_response(_error_body(error, code), code)
    except Exception:
        log.exception("the %s page could not be rendered; answering in plain text", code)
        response = _plain_error(code)
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return security_headers(response)


def server_error(error: Exception):
    """Any exception a view did not handle: logged, then the generic error page (500)."""
    log.error("unhandled error", exc_info=error)
    return error_page(InternalServerError(original_exception=error))


def _never_failing(handler):
    """``handler``, made to answer whatever happens inside it: a plain page with the error's own
    status and the security headers, rather than Werkzeug's bare 500 without them."""

    @functools.wraps(handler)
    def answer(error):
        try:
            return handler(error)
        except Exception:
            code = getattr(error, "code", None) or 500
            log.exception("the error handler %s failed; answering %s in plain text", handler.__name__, code)
            return security_headers(_plain_error(code))

    return answer


def _guard_error_handlers(app: Flask) -> None:
    """Every error handler registered on the app so far (CSRF's in portal.people.access too) never fails."""
    for handlers in app.error_handler_spec[None].values():
        for exception, handler in list(handlers.items()):
            handlers[exception] = _never_failing(handler)


DATABASE_ERRORS = (OperationalError, InterfaceError, PoolTimeout, DisconnectionError)


def _typed_fields() -> list[tuple[str, str]]:
    """What a translator sent with a save, to give back when it could not be saved."""
    if request.method != "POST" or request.endpoint not in ("translate.message",):
        return []
    return [(name, value) for name, value in request.form.items(multi=True)]


def _disk_full(error: Exception) -> bool:
    """The database answered, but has no room to write (SQLite: "database or disk is full";
    PostgreSQL: "No space left on device")."""
    reason = str(getattr(error, "orig", error)).lower()
    return "disk is full" in reason or "no space left" in reason


def database_not_answering(error: Exception):
    """The database is down, frozen, locked or out of connections: 503 with the portal's own page,
    rendered without asking the database anything (no current_user: ``offline``). A save sent
    when it failed is shown again, so nothing the translator typed is lost; a failure during the
    commit itself says that the save may have been kept, since it may have."""
    log.error("the database did not answer: %s", str(getattr(error, "orig", error)).splitlines()[0:1])
    database_trouble(error)
    if "_login_user" not in g:  # Flask-Login's template context would load the person from the database
        g._login_user = current_app.login_manager.anonymous_user()
    try:
        if request.blueprint == "public":
            response = error_page(ServiceUnavailable())
        else:
            typed = _typed_fields()
            response = make_response(render_template(
                "staff/unavailable.html", offline=True, typed=typed, disk_full=_disk_full(error),
                typed_forms=sum(1 for name, _ in typed if name.startswith("form")),
                uncertain=bool(g.get("db_commit_started"))), 503)
    except Exception:
        log.exception("the database-unavailable page could not be rendered; answering in plain text")
        response = _plain_error(503)
    response.headers["Retry-After"] = "60"
    response.headers["Cache-Control"] = "no-store"
    return security_headers(response)


def database_not_ready(error: DatabaseNotReady):
    """The schema is behind and is not migrated from here: 503, saying what to run."""
    log.error("%s", error.message)
    return error_page(DatabaseUnavailable(error.message))


def init_app(app: Flask) -> None:
    """Register the handlers last, then make every handler on the app (CSRF's too) never fail."""
    app.register_error_handler(HTTPException, error_page)
    app.register_error_handler(DatabaseNotReady, database_not_ready)
    for error in DATABASE_ERRORS:
        app.register_error_handler(error, database_not_answering)
    app.register_error_handler(Exception, server_error)
    _guard_error_handlers(app)
