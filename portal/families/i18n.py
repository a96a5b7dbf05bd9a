"""Flask side of languages: which locale a request is in, and gettext that serves the gate's catalogs.

Locale order for ``/`` (written down, as SecureDrop does): the locale in the
URL, else the reader's saved choice (a cookie set when they read a page in a
language), else ``Accept-Language`` (resolved with CLDR's likely scripts, so
``zh-CN`` gets ``zh_Hans``), else English.

Translations are looked up in the *served* catalogs only (``portal.families.served``),
and every translated interface string is escaped on output: a translator's
``<b>`` shows as text, never as markup (invariant 6 for interface strings;
Jinja's own newstyle gettext would have trusted it).
"""
from __future__ import annotations

from flask import Flask, current_app, g, request
from flask_babel import Babel, Domain
from markupsafe import Markup, escape

from portal.db import require_schema
from portal.families.served import EMPTY, ServedCatalog, ServedCatalogs
from portal.locales import LOCALES, PortalLocale, accepted_tags, by_tag, negotiate

LOCALE_COOKIE = "lang"


def current_locale() -> PortalLocale:
    return g.get("locale") or LOCALES[0]


def current_catalog() -> ServedCatalog:
    """The request's served catalog: looked up once per request (a bounded wait on the database,
    see ``portal.families.served``), then the same for every string of the page."""
    loc = current_locale()
    if loc.is_source:
        return EMPTY
    memo = g.setdefault("served_catalogs", {})
    if loc.code not in memo:
        memo[loc.code] = current_app.extensions["served"].get(loc.code)
    return memo[loc.code]


def remember_catalog(locale: str, catalog: ServedCatalog) -> None:
    """The catalog this request found for ``locale`` (``portal.web.ensure_published`` looked)."""
    g.setdefault("served_catalogs", {})[locale] = catalog


def forget_current_catalog() -> None:
    """After a publish within the request: the next lookup reads the new catalog."""
    g.pop("served_catalogs", None)


def preferred_locale() -> PortalLocale:
    """The reader's language when the URL does not say: saved choice, browser, English."""
    saved = by_tag(request.cookies.get(LOCALE_COOKIE, ""))
    if saved:
        return saved
    return negotiate(accepted_tags(request.accept_languages)) or LOCALES[0]


class ServedDomain(Domain):
    """Flask-Babel domain whose translations are the gate's served catalog for the request."""

    def get_translations(self):
        return current_catalog().translations


class PortalBabel(Babel):
    @property
    def domain_instance(self):
        return ServedDomain()


def _gettext(string: str, **variables) -> Markup:
    return escape(current_catalog().gettext(string)) % variables


def _ngettext(singular: str, plural: str, num: int, **variables) -> Markup:
    variables.setdefault("num", num)
    return escape(current_catalog().ngettext(singular, plural, num)) % variables


def init_app(app: Flask) -> None:
    def schema_ready():
        with app.app_context():
            require_schema()

    app.extensions["served"] = ServedCatalogs(
        lambda: app.extensions["db"](), app.config["PUBLISHED_DIR"], prepare=schema_ready,
        wait=float(app.config.get("FAMILY_DB_WAIT", 0.1)), patience=float(app.config.get("FAMILY_DB_PATIENCE", 2.0)))
    PortalBabel(app, locale_selector=lambda: current_locale().code, configure_jinja=False)
    env = app.jinja_env
    env.add_extension("jinja2.ext.i18n")
    env.policies["ext.i18n.trimmed"] = True
    env.newstyle_gettext = True
    env.globals.update(gettext=_gettext, ngettext=_ngettext, locales=LOCALES,
                       current_locale=current_locale)
