"""Pages for families: no login, every language, English where a translation is not yet served."""
from __future__ import annotations

import functools

from babel.dates import format_date
from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for

from portal.families.caching import PAGE_CACHE_CONTROL
from portal.families.i18n import LOCALE_COOKIE, current_catalog, current_locale, preferred_locale
from portal.families.pages import etag
from portal.families.rendering import Renderer
from portal.families.served import UNPUBLISHED
from portal.locales import LOCALES, TRANSLATED_LOCALES, by_tag
from portal.people import access

bp = Blueprint("public", __name__)

COOKIE_AGE = 365 * 24 * 3600


@bp.url_value_preprocessor
def pull_locale(endpoint, values):
    if values is None or "tag" not in values:
        return
    tag = values.pop("tag")
    loc = by_tag(tag)
    if loc is None:
        abort(404)
    if loc.tag != tag:  # zh-hans, zh_Hans: one canonical address per page
        g.noncanonical = loc
    g.locale = loc


@bp.url_defaults
def add_locale(endpoint, values):
    if "tag" not in values and "locale" in g:
        values["tag"] = g.locale.tag


@bp.before_request
def canonical_and_published():
    loc = g.get("locale")
    if loc is None:
        return None
    if "noncanonical" in g:
        args = dict(request.view_args or {}, tag=loc.tag)
        return redirect(url_for(request.endpoint, **args), 301)
    if not loc.is_source:
        current_app.extensions["ensure_published"](loc.code)
    return None


def cached_page(view):
    """A family page built once per publish (``portal.families.pages``): answered from the cache,
    or with 304 when the reader's copy is current; with a strong ETag and Cache-Control, and no
    cookie. Only a 200 is kept (a 404 is built each time)."""

    @functools.wraps(view)
    def answer(**kwargs):
        catalog = current_catalog()
        tag = etag(current_app.extensions["build_id"], request.path, catalog.digest)
        cache = current_app.extensions["pages"]
        if request.if_none_match.contains(tag):
            response = current_app.response_class(status=304)
        else:
            body = cache.get(request.path, tag)
            if body is None:
                body = view(**kwargs).encode("utf-8")
                cache.put(request.path, tag, body)
            response = current_app.response_class(body, mimetype="text/html")
        response.set_etag(tag)
        response.headers["Cache-Control"] = current_app.config.get("FAMILY_CACHE_CONTROL", PAGE_CACHE_CONTROL)
        return response

    return answer


@bp.route("/choose-language/<tag>/")
@bp.route("/choose-language/<tag>/<slug>")
@access.public
def choose(slug=None):
    """The language switcher: save the reader's choice (for ``/`` next time), then show the page in
    it. The only family address that sets a cookie, so every page stays cacheable by anyone; a
    plain link, working without JavaScript. An unknown page goes to the language's list of pages."""
    pages = current_app.extensions["content"]
    target = url_for("public.page", slug=slug) if slug in pages else url_for("public.index")
    response = redirect(target, 302)
    response.set_cookie(LOCALE_COOKIE, current_locale().tag, max_age=COOKIE_AGE, samesite="Lax", httponly=True,
                        secure=request.is_secure)
    response.headers["Cache-Control"] = "no-store"
    return response


def _resolver(pages):
    glossary = next((p for p in pages.values() if p.kind == "glossary"), None)
    slugs = {entry.slug for entry in glossary.glossary} if glossary else set()

    def resolve(href: str):
        if href.startswith("glossary:") and glossary and href[9:] in slugs:
            return url_for("public.page", slug=glossary.slug) + "#" + href[9:]
        if href.startswith("page:") and href[5:] in pages:
            return url_for("public.page", slug=href[5:])
        if href.startswith("https://"):
            return href
        return None

    return resolve


def _renderer() -> Renderer:
    pages = current_app.extensions["content"]
    return Renderer(current_catalog(), not current_locale().is_source, _resolver(pages))


@bp.app_context_processor
def topic_links():
    """``topics()`` for the footer: every page's title, in the reader's language where served."""

    def topics():
        pages = current_app.extensions["content"]
        renderer = _renderer()
        return [(url_for("public.page", tag=current_locale().tag, slug=page.slug), renderer.piece(page.title))
                for page in pages.values()]

    return {"topics": topics}


def _alternates(endpoint: str, **values):
    """The page in every language: its address, and the switcher's link that also saves the choice."""
    slug = values.get("slug")
    return [{"loc": loc, "url": url_for(endpoint, tag=loc.tag, **values),
             "choose": url_for("public.choose", tag=loc.tag, slug=slug)} for loc in LOCALES]


@bp.route("/")
@access.public
def choose_language():
    """Send the reader to their language: saved choice, then browser, then English."""
    response = redirect(url_for("public.index", tag=preferred_locale().tag))
    response.headers["Vary"] = "Accept-Language, Cookie"
    response.headers["Cache-Control"] = "private, no-cache"  # differs by reader: never from a shared cache
    return response


@bp.route("/healthz")
@access.public
def healthz():
    """For load balancers: 200 when the database answers and every language has a published
    catalog; 503 with the reason otherwise (the same bounded look families' pages take; no
    secrets: only which condition failed)."""
    served = current_app.extensions["served"]
    problems = []
    for loc in TRANSLATED_LOCALES:
        version = served.check(loc.code)
        if version is None:
            problems.append("the database is not answering")
            break
        if version == UNPUBLISHED:
            problems.append(f"no published catalog for {loc.code}")
    body = "ok\n" if not problems else "".join(f"{problem}\n" for problem in problems)
    response = current_app.response_class(body, status=503 if problems else 200, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    return response


def index_context() -> tuple[str, dict]:
    """The list of pages: its template and what it is rendered with, in the request's locale and
    served catalog (``current_catalog``; a staff preview gives its own, ``portal.review.preview``)."""
    pages = current_app.extensions["content"]
    renderer = _renderer()
    items = [(page, renderer.piece(page.title), renderer.piece(page.summary)) for page in pages.values()]
    return "index.html", dict(items=items, fallbacks=renderer.fallbacks, alternates=_alternates("public.index"))


def page_context(content_page) -> tuple[str, dict]:
    """One content page: its template and what it is rendered with (as ``index_context``)."""
    pages = current_app.extensions["content"]
    rendered = _renderer().page(content_page)
    loc = current_locale()
    translation_reviewed = None
    if not loc.is_source:
        when = current_catalog().last_reviewed(m.text for m in content_page.messages())
        translation_reviewed = format_date(when, "long", locale=loc.babel) if when else None
    return "glossary.html" if content_page.kind == "glossary" else "page.html", dict(
        rendered=rendered, pages=pages, alternates=_alternates("public.page", slug=content_page.slug),
        reviewed=format_date(content_page.reviewed, "long", locale=loc.babel),
        next_review=format_date(content_page.next_review, "long", locale=loc.babel),
        translation_reviewed=translation_reviewed,
    )


@bp.route("/<tag>/")
@access.public
@cached_page
def index():
    template, context = index_context()
    return render_template(template, **context)


@bp.route("/<tag>/<slug>")
@access.public
@cached_page
def page(slug):
    content_page = current_app.extensions["content"].get(slug)
    if content_page is None:
        abort(404)
    template, context = page_context(content_page)
    return render_template(template, **context)
