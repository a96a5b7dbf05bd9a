"""Web wiring: blueprints, error pages, security headers, publish on demand."""
from __future__ import annotations

import functools
import logging

from flask import Flask, Response, current_app, g, make_response, render_template, request
from werkzeug.exceptions import (BadRequest, HTTPException, InternalServerError, MethodNotAllowed, NotFound,
                                 ServiceUnavailable)
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.routing import IntegerConverter

from portal.checks import Terms
from portal.db import DatabaseNotReady, get_session, require_schema
from portal.i18n import preferred_locale
from portal.operations import Paths, publish_locale

log = logging.getLogger(__name__)

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


class RowIdConverter(IntegerConverter):
    """``<row_id:name>``: a database row id in a URL, 1 to 2**31 - 1.

    Outside that range (PostgreSQL's ``integer``; SQLite overflows at 2**63) no row can
    exist, so the URL does not match and the reader gets a 404 instead of a database error.
    """

    def __init__(self, url_map, **_ignored):
        super().__init__(url_map, min=1, max=2**31 - 1)


class RefusedInput(BadRequest):
    """400 whose description is for the person: what was wrong with what they sent, what to do."""


class DatabaseUnavailable(ServiceUnavailable):
    """503 whose description says what the admin must do (see portal.db.require_schema)."""


def current_paths() -> Paths:
    """Where this app's files live (the content, catalogs, served catalogs)."""
    return Paths.from_config(current_app.config)


def current_terms() -> Terms:
    """The do-not-translate terms, read once with the content when the app starts."""
    return current_app.extensions["terms"]


def ensure_published(locale: str) -> None:
    """Publish a locale the first time it is read, if nothing was published yet (a fresh install)."""
    served = current_app.extensions["served"]
    if served.exists(locale) or not current_paths().po(locale).exists():
        return
    try:
        publish_locale(current_paths(), get_session(), locale)
    except Exception:  # a broken catalog must not break the families' pages: they get English
        log.exception("could not publish %s on demand; serving English", locale)


def security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "public, max-age=3600")
    return response


def schema_before_request() -> None:
    """The schema is checked (and the embedded SQLite upgraded) before a worker's first request
    touches the database; a 503 says what to do when it cannot be. Static files need no database."""
    if request.endpoint != "static":
        require_schema()


def refuse_nul_characters() -> None:
    """No text the portal takes may hold a NUL character: nobody types one, and PostgreSQL can
    neither store nor compare one (a query with it fails). Refused here, once for every URL,
    query and form field, before any view or the database sees it."""
    if "\x00" in request.path:
        raise NotFound()  # nothing can live at such an address
    for values in (request.args, request.form):
        for key, value in values.items(multi=True):
            if "\x00" in key or "\x00" in value:
                raise RefusedInput("What you sent contains a NUL character (\\0), which the portal does "
                                   "not accept. Remove it (retype the text) and try again. Nothing was saved.")


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
        return render_template("staff/notice.html", title="Not accepted", message=error.description)
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
    """Every error handler registered on the app so far (CSRF's in portal.security too) never fails."""
    for handlers in app.error_handler_spec[None].values():
        for exception, handler in list(handlers.items()):
            handlers[exception] = _never_failing(handler)


def database_not_ready(error: DatabaseNotReady):
    """The schema is behind and is not migrated from here: 503, saying what to run."""
    log.error("%s", error.message)
    return error_page(DatabaseUnavailable(error.message))


def init_app(app: Flask) -> None:
    from portal import security
    from portal.views import admin, auth, public, review, translate

    app.before_request(schema_before_request)  # before anything that may query the database
    app.before_request(refuse_nul_characters)  # before the access check, which reads the path
    security.init_app(app)
    app.url_map.converters["row_id"] = RowIdConverter  # before the blueprints' rules use it
    for blueprint in (public.bp, auth.bp, admin.bp, translate.bp, review.bp):
        app.register_blueprint(blueprint)
    app.extensions["ensure_published"] = ensure_published
    app.after_request(security_headers)
    app.register_error_handler(HTTPException, error_page)
    app.register_error_handler(DatabaseNotReady, database_not_ready)
    app.register_error_handler(Exception, server_error)
    _guard_error_handlers(app)
