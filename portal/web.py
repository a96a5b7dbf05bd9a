"""Web wiring: blueprints, URL converters, checks before every request, publish on demand.
Headers every answer carries are in ``portal.http``, error pages in ``portal.error_pages``."""
from __future__ import annotations

import functools
import logging
import threading
import time
from pathlib import Path

from flask import Flask, current_app, g, request
from werkzeug.exceptions import NotFound
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from portal import db, error_pages
from portal.db import get_session, require_schema
from portal.families import views as families
from portal.families.content import SITE_PAGES
from portal.families.i18n import forget_current_catalog, remember_catalog
from portal.families.pages import PageCache, build_id
from portal.families.publisher import Publisher
from portal.families.search import SearchIndexes
from portal.feedback import views as feedback  # adds its route to the families' blueprint
from portal.http import RefusedInput, security_headers, static_hash
from portal.locales import by_code
from portal.notify import setup as notify_setup
from portal.people import access, admin_views, login_views
from portal.review import page_views
from portal.review import views as review
from portal.review.operations import PUBLISHED, publish_locale
from portal.review.purge import PurgeHook, page_urls
from portal.translation import views as translation

log = logging.getLogger(__name__)


class RowIdConverter(IntegerConverter):
    """``<row_id:name>``: a database row id in a URL, 1 to 2**31 - 1.

    Outside that range (PostgreSQL's ``integer``; SQLite overflows at 2**63) no row can
    exist, so the URL does not match and the reader gets a 404 instead of a database error.
    """

    def __init__(self, url_map, **_ignored):
        super().__init__(url_map, min=1, max=2**31 - 1)


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def unit_of_work(view):
    """A request is one unit of work (docs/design.md, invariant 11), ended here for every view:

    * a GET (or HEAD, OPTIONS) commits nothing: what it may have changed is rolled back;
    * a POST whose answer is a success or a redirect (below 400) commits, once, after the view;
    * a refused POST (an answer of 400 or more, or an error) rolls back everything it changed.

    So a view never commits, and a refusal (the form's error, a conflict, a missing role) leaves
    the database as it was. The few changes that must outlive their request, or come before its
    end, commit themselves through ``portal.db.commit`` (listed there)."""

    @functools.wraps(view)
    def one_transaction(*args, **kwargs):
        # A commit before the view (a login's last-seen time) is not the view's: only the view's own
        # may make a failure say that the change may have been kept (portal.error_pages).
        g.pop("db_commit_started", None)
        try:
            response = current_app.make_response(view(*args, **kwargs))
        except BaseException:
            if g.get("db_session") is not None:
                db.rollback(g.db_session)
            raise
        session = g.get("db_session")
        if session is not None:
            if request.method in SAFE_METHODS or response.status_code >= 400:
                db.rollback(session)
            else:
                db.commit(session)
        return response

    one_transaction.unit_of_work = True
    return one_transaction


def every_view_one_unit_of_work(app: Flask) -> None:
    """Wrap every view of the app in ``unit_of_work`` (after every blueprint is registered)."""
    for endpoint, view in list(app.view_functions.items()):
        if not getattr(view, "unit_of_work", False):
            app.view_functions[endpoint] = unit_of_work(view)


PUBLISH_RETRY_SECONDS = 30  # a publish on demand that failed is tried again at most this often, per process


def ensure_published(locale: str) -> None:
    """Publish a locale on a family's request if nothing was published yet (a fresh install) or its
    served catalog is behind its approvals (an approval whose publish failed). A publish that fails
    is logged and families keep the catalog they had (or English); this process tries that locale
    again at most once every PUBLISH_RETRY_SECONDS, and one request at a time."""
    served = current_app.extensions["served"]
    if not served.needs_publish(locale):  # one bounded look at the database per request
        remember_catalog(locale, served.cached(locale))
        return
    retry = current_app.extensions["publish_on_demand"]
    wait = current_app.config.get("PUBLISH_RETRY_SECONDS", PUBLISH_RETRY_SECONDS)
    if time.monotonic() - retry["failed_at"].get(locale, -wait) < wait or not retry["lock"].acquire(blocking=False):
        return  # failed a moment ago, or another request of this process is publishing
    try:
        publish_locale(get_session(), locale)
    except Exception:  # a failed publish must not break the families' pages
        db.rollback(get_session())
        retry["failed_at"][locale] = time.monotonic()
        log.exception("could not publish %s on demand; families keep the catalog they had (or English)", locale)
    else:
        retry["failed_at"].pop(locale, None)
    finally:
        retry["lock"].release()
    forget_current_catalog()


def static_version(endpoint: str, values: dict) -> None:
    """``url_for('static', filename=…)`` carries the file's content hash (``?v=…``), so its URL
    changes whenever the file does and can be cached for a year."""
    if endpoint == "static" and "v" not in values and values.get("filename"):
        found = static_hash(values["filename"])
        if found:
            values["v"] = found


def schema_before_request() -> None:
    """The schema is checked (and the embedded SQLite upgraded) before a worker's first request
    touches the database; a 503 says what to do when it cannot be. Static files need no database,
    and families' pages need only the served catalog, whose lookup checks the schema in its own
    bounded thread (``portal.families.served``): a family never waits on a database that is down."""
    if request.endpoint != "static" and request.blueprint != "public":
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


def purge_after_publish(app: Flask) -> None:
    """Give the app's sessions the CDN purge hook (``portal.review.purge``) when one is configured."""

    if not (app.config.get("PURGE_COMMAND") or app.config.get("PURGE_URL")):
        return

    slugs = list(app.extensions["content"]) + list(SITE_PAGES)
    hook = PurgeHook(lambda locale: page_urls(by_code(locale).tag, slugs, app.config.get("PUBLIC_BASE_URL", "")),
                     command=app.config.get("PURGE_COMMAND", ""), url=app.config.get("PURGE_URL", ""),
                     authorization=app.config.get("PURGE_AUTHORIZATION", ""),
                     timeout=float(app.config.get("PURGE_TIMEOUT", 5)))
    app.extensions["db"].kw.setdefault("info", {}).setdefault(PUBLISHED, []).append(hook)


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

    package = Path(__file__).parent
    app.extensions["publisher"] = Publisher.from_config(app.config)
    # Everything that shapes a family page: the content and the whole package (code, templates, static
    # files), so a deploy that only changes how a page is built (say, the glossary's order) is a new ETag.
    app.extensions["build_id"] = build_id(Path(app.config["CONTENT_DIR"]), package,
                                          extra=app.extensions["publisher"].fingerprint())
    app.extensions["pages"] = PageCache(int(app.config.get("FAMILY_PAGE_CACHE_SIZE", 2000)))
    app.extensions["search"] = SearchIndexes()  # one per locale, rebuilt when its catalog changes
    app.url_defaults(static_version)
    purge_after_publish(app)
    trust_proxies(app)
    app.before_request(schema_before_request)  # before anything that may query the database
    app.before_request(refuse_nul_characters)  # before the access check, which reads the path
    access.init_app(app)
    app.url_map.converters["row_id"] = RowIdConverter  # before the blueprints' rules use it
    for blueprint in (families.bp, login_views.bp, admin_views.bp, translation.bp, review.bp, page_views.bp):
        app.register_blueprint(blueprint)
    feedback.init_app(app)
    notify_setup.init_app(app)
    app.extensions["ensure_published"] = ensure_published
    app.extensions["publish_on_demand"] = {"lock": threading.Lock(), "failed_at": {}}  # this process's
    app.after_request(security_headers)
    error_pages.init_app(app)
    every_view_one_unit_of_work(app)  # last: every route is registered
