"""Flask side of languages: which locale a request is in, and gettext that serves the gate's catalogs.

Locale order for ``/`` (written down, as SecureDrop does): the locale in the
URL, else the reader's saved choice (a cookie set when they read a page in a
language), else ``Accept-Language`` (resolved with CLDR's likely scripts, so
``zh-CN`` gets ``zh_Hans``), else English.

Why not Flask-Babel: its translations are loaded from files and kept for the life of the process,
its gettext trusts the translation's markup, and it cannot say which strings fell back to English.
Here the catalog of a request is the one the gate published, by version, from the database
(``portal.families.served``); interface strings are escaped and English fallbacks marked. Babel
itself (CLDR) is used directly: plural rules, dates in the reader's locale, locale data.

Translations are looked up in the *served* catalogs only (``portal.families.served``),
and every translated interface string is escaped on output: a translator's
``<b>`` shows as text, never as markup (invariant 6 for interface strings;
Jinja's own newstyle gettext would have trusted it).
"""
from __future__ import annotations

import re

from flask import Flask, current_app, g, request
from jinja2 import Template
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


# Site text still in English on a page in another language is marked as English (lang="en", WCAG
# 3.1.2; docs/design.md, invariant 7), as content blocks are. gettext cannot know where its text
# lands, so it wraps English it falls back to in two private-use characters, and the rendered page
# (``FallbackMarkingTemplate``) turns each pair into <span lang="en" dir="ltr">...</span> in text,
# and drops it inside a tag (an attribute) or the <title>, where no element can say its language.
FALLBACK_START, FALLBACK_END = "\ue010", "\ue011"
_FALLBACK_MARKS = str.maketrans("", "", FALLBACK_START + FALLBACK_END)
_TAG_OR_TITLE = re.compile(r"<title\b[^>]*>.*?</title>|<[^>]*>", re.IGNORECASE | re.DOTALL)
FALLBACK_SPAN = '<span lang="en" dir="ltr">'


def mark_fallbacks(html: str) -> str:
    """Each fallback mark pair in a rendered page as a span saying "English"; none left behind."""
    if FALLBACK_START not in html:
        return html
    out, at = [], 0
    for match in _TAG_OR_TITLE.finditer(html):
        text = html[at:match.start()]
        out.append(text.replace(FALLBACK_START, FALLBACK_SPAN).replace(FALLBACK_END, "</span>"))
        out.append(match.group(0).translate(_FALLBACK_MARKS))
        at = match.end()
    out.append(html[at:].replace(FALLBACK_START, FALLBACK_SPAN).replace(FALLBACK_END, "</span>"))
    return "".join(out)


class FallbackMarkingTemplate(Template):
    """Every template the app renders: its output with English fallbacks marked (``mark_fallbacks``)."""

    def render(self, *args, **kwargs) -> str:
        return mark_fallbacks(super().render(*args, **kwargs))


def _english(text: Markup) -> Markup:
    """Site text shown in English on a page in another language, marked for ``mark_fallbacks``."""
    return Markup(FALLBACK_START) + text + Markup(FALLBACK_END)


def _gettext(string: str, **variables) -> Markup:
    catalog = current_catalog()
    found = catalog.lookup(string)
    if found is None:
        text = escape(string) % variables
        return text if current_locale().is_source else _english(text)
    return escape(found) % variables


def _ngettext(singular: str, plural: str, num: int, **variables) -> Markup:
    variables.setdefault("num", num)
    found = current_catalog().lookup_plural(singular, num)
    if found is None:
        text = escape(singular if num == 1 else plural) % variables
        return text if current_locale().is_source else _english(text)
    return escape(found) % variables


def init_app(app: Flask) -> None:
    def schema_ready():
        with app.app_context():
            require_schema()

    app.extensions["served"] = ServedCatalogs(
        lambda: app.extensions["db"](), app.config["PUBLISHED_DIR"], prepare=schema_ready,
        wait=float(app.config.get("FAMILY_DB_WAIT", 0.1)), patience=float(app.config.get("FAMILY_DB_PATIENCE", 2.0)))
    env = app.jinja_env
    env.template_class = FallbackMarkingTemplate
    env.add_extension("jinja2.ext.i18n")
    env.policies["ext.i18n.trimmed"] = True
    env.newstyle_gettext = True
    env.globals.update(gettext=_gettext, ngettext=_ngettext, locales=LOCALES,
                       current_locale=current_locale)
