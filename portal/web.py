"""Web wiring: blueprints, error pages, security headers, publish on demand."""
from __future__ import annotations

import logging

from flask import Flask, current_app, g, render_template, request
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.checks import Terms
from portal.db import get_session
from portal.i18n import preferred_locale
from portal.operations import Paths, publish_locale

log = logging.getLogger(__name__)

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


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


def error_page(error: HTTPException):
    """Errors in the reader's language: the URL's locale if valid, else their preference."""
    if "locale" not in g:
        g.locale = preferred_locale()
    code = error.code or 500
    if code in (403, 405):
        return render_template("staff/notice.html", title="Not allowed",
                               message="Your account does not have the role this page needs. "
                                       "Ask an admin if you think it should."), code
    return render_template("error.html", code=code, alternates=[]), code


def server_error(error):
    log.exception("unhandled error", exc_info=error)
    if "locale" not in g:
        g.locale = preferred_locale()
    return render_template("error.html", code=500, alternates=[]), 500


def trusted_proxies(value) -> int:
    """FLASK_TRUSTED_PROXIES as a number of proxies, or a ValueError that says what to write."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"FLASK_TRUSTED_PROXIES is {value!r}; set it to the number of reverse proxies in "
                         "front of the portal that add X-Forwarded-For (0 when clients connect directly).")
    return value


def trust_proxies(app: Flask) -> None:
    """Read the client's address from X-Forwarded-For only as far as trusted proxies wrote it.

    With N trusted proxies, Werkzeug's ProxyFix takes the N-th address from the right of
    X-Forwarded-For (the one the outermost trusted proxy saw); what a client wrote to the
    left of it is ignored. With 0 (the default) the header is ignored entirely: otherwise anyone
    could name a new address on every request and never reach a login limit."""
    count = trusted_proxies(app.config.get("TRUSTED_PROXIES", 0))
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=0, x_host=0, x_port=0, x_prefix=0)


def init_app(app: Flask) -> None:
    from portal import security
    from portal.views import admin, auth, public, review, translate

    trust_proxies(app)
    security.init_app(app)
    for blueprint in (public.bp, auth.bp, admin.bp, translate.bp, review.bp):
        app.register_blueprint(blueprint)
    app.extensions["ensure_published"] = ensure_published
    app.after_request(security_headers)
    app.register_error_handler(HTTPException, error_page)
    app.register_error_handler(Exception, server_error)
