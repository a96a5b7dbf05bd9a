"""Pages for families: no login, every language, English where a translation is not yet served."""
from __future__ import annotations

import functools

from babel.dates import format_date, format_skeleton
from babel.lists import format_list
from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from markupsafe import Markup, escape

from portal.db import get_session
from portal.families.caching import PAGE_CACHE_CONTROL
from portal.families.collation import sort_terms
from portal.families.content import HOW_WE_CHECKED, SITE_PAGES, plain_text
from portal.families.export import STATIC_EXPORT
from portal.families.i18n import LOCALE_COOKIE, current_catalog, current_locale, preferred_locale
from portal.families.pages import etag
from portal.families.rendering import Renderer
from portal.families.search import MAX_QUERY, QueryTooLong, build_index, parse_query
from portal.families.served import UNPUBLISHED
from portal.families.wayfinding import neighbours
from portal.locales import LOCALES, TRANSLATED_LOCALES, by_tag
from portal.people import access
from portal.review import checked

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


def cached_page(view=None, *, key=None):
    """A family page built once per publish (``portal.families.pages``): answered from the cache,
    or with 304 when the reader's copy is current; with a strong ETag and Cache-Control, and no
    cookie. Only a 200 is kept (a 404 is built each time).

    ``key``: for a page built from more than the served catalog, a function giving a short string
    that changes whenever that page would (it goes into the ETag), e.g. ``@cached_page(key=...)``."""
    if view is None:
        return functools.partial(cached_page, key=key)

    @functools.wraps(view)
    def answer(**kwargs):
        catalog = current_catalog()
        # The static export's rendering (no portal-only forms) is another page than the portal's.
        address = request.path + ("\0static-export" if in_static_export() else "")
        extra = key() if key is not None else ""
        tag = etag(current_app.extensions["build_id"], address, catalog.digest + ("\0" + extra if extra else ""))
        cache = current_app.extensions["pages"]
        if request.if_none_match.contains(tag):
            response = current_app.response_class(status=304)
        else:
            body = cache.get(address, tag)
            if body is None:
                body = view(**kwargs).encode("utf-8")
                cache.put(address, tag, body)
            response = current_app.response_class(body, mimetype="text/html")
        response.set_etag(tag)
        response.headers["Cache-Control"] = current_app.config.get("FAMILY_CACHE_CONTROL", PAGE_CACHE_CONTROL)
        return response

    return answer


def in_static_export() -> bool:
    """Whether this request renders a page for the static export (``portal.families.export``): a
    WSGI environ key, which no HTTP client can set."""
    return bool(request.environ.get(STATIC_EXPORT))


@bp.app_context_processor
def portal_forms():
    """``portal_forms_shown()``: the forms only the portal can answer (search, "Was this page
    clear?"), on the portal's family pages only; the static export's pages show no form that cannot
    work there."""

    def portal_forms_shown():
        return "locale" in g and not in_static_export()

    return {"portal_forms_shown": portal_forms_shown}


@bp.route("/choose-language/<tag>/")
@bp.route("/choose-language/<tag>/<slug>")
@access.public
def choose(slug=None):
    """The language switcher: save the reader's choice (for ``/`` next time), then show the page in
    it. The only family address that sets a cookie, so every page stays cacheable by anyone; a
    plain link, working without JavaScript. An unknown page goes to the language's list of pages."""
    pages = current_app.extensions["content"]
    if slug == "search":
        target = url_for("public.search")
    elif slug in SITE_PAGES:
        target = url_for(SITE_PAGES[slug])
    else:
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


@bp.app_context_processor
def publisher_details():
    """``publisher``: who publishes the guide (``portal.families.publisher``), for the footer and /about."""
    return {"publisher": current_app.extensions["publisher"]}


def _alternates(endpoint: str, *, choose_slug: str | None = None, **values):
    """The page in every language: its address, and the switcher's link that also saves the choice."""
    slug = values.get("slug", choose_slug)
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


@bp.route("/<tag>/about")
@access.public
@cached_page
def about():
    """Who publishes the guide and how to reach them, how the pages are written and translated,
    and the accessibility statement. Site text only (reviewed like any other), with the
    organisation's own details and the sources' titles as data."""
    pages = current_app.extensions["content"]
    sources = {source.key: source for page in pages.values() for source in page.sources}
    return render_template("about.html", sources=sorted(sources.values(), key=lambda s: s.key),
                           alternates=_alternates("public.about", choose_slug="about"))


def source_dates(sources, loc) -> Markup:
    """The month of each source document in the reader's language, with its publisher (a name, in
    English): "February 2014 (National Cancer Institute) and December 2018 (...)"."""
    items = []
    for source in sources:
        when = escape(format_skeleton("yMMMM", source.dated, locale=loc.babel))
        name = Markup('<span lang="en" dir="ltr">{}</span>').format(source.publisher) if not loc.is_source \
            else escape(source.publisher)
        items.append(Markup("{} ({})").format(when, name))
    # The language's own list pattern ("A and B", "A y B", "A和B"), with markers for the items, so the
    # pattern's words are escaped and the items' markup is kept.
    markers = [f"\ue000{index}\ue001" for index in range(len(items))]
    text = escape(format_list(markers, locale=loc.babel))
    for marker, item in zip(markers, items):
        text = Markup(text.replace(marker, item))
    return text


def page_context(content_page) -> tuple[str, dict]:
    """One content page: its template and what it is rendered with (as ``index_context``)."""
    pages = current_app.extensions["content"]
    slug = content_page.slug
    renderer = _renderer()
    rendered = renderer.page(content_page)
    loc = current_locale()
    around = neighbours(pages, slug)
    previous = (around.previous, renderer.piece(around.previous.title)) if around.previous else None
    following = (around.next, renderer.piece(around.next.title)) if around.next else None
    translation_reviewed = None
    if not loc.is_source:
        when = current_catalog().last_reviewed(m.text for m in content_page.messages())
        translation_reviewed = format_date(when, "long", locale=loc.babel) if when else None
    return "glossary.html" if content_page.kind == "glossary" else "page.html", dict(
        rendered=rendered, pages=pages, alternates=_alternates("public.page", slug=content_page.slug),
        reviewed=format_date(content_page.reviewed, "long", locale=loc.babel),
        next_review=format_date(content_page.next_review, "long", locale=loc.babel),
        translation_reviewed=translation_reviewed, previous=previous, following=following,
        source_dates=source_dates(content_page.sources, loc), source_count=len(content_page.sources),
        glossary_groups=_glossary_groups(rendered) if content_page.kind == "glossary" else None,
    )


def _glossary_groups(rendered):
    """The glossary's entries in the reader's alphabet, by index letter: [(letter, [(slug, term,
    definition, English term or None)])]. The English term is given beside a translated one."""
    loc = current_locale()
    entries = {slug: (term, definition) for slug, term, definition in rendered.glossary}
    english = {entry.slug: plain_text(entry.term.text) for entry in rendered.page.glossary}
    groups = sort_terms(loc.code, [(slug, term.html.striptags()) for slug, (term, _) in entries.items()])
    return [(group.label,
             [(slug, *entries[slug], english[slug] if not loc.is_source and not entries[slug][0].lang else None)
              for slug in group.slugs])
            for group in groups]


@bp.route("/<tag>/search")
@access.public
def search():
    """Search the text families can read in this language (``portal.families.search``).

    Not in the page cache: queries are endless, and the index (built once per published catalog)
    answers in well under a millisecond. It shows only served text, so any cache may keep it for a
    short time, as a page. Not in the static export either (it needs the portal to answer)."""
    raw = request.args.get("q", "")
    status, hits, total, message, parts = 200, [], 0, None, []
    try:
        parts = parse_query(raw)
    except QueryTooLong:
        status = 400
        message = "too-long"
    if parts:
        catalog = current_catalog()
        loc = current_locale()
        pages = current_app.extensions["content"]
        index = current_app.extensions["search"].get(
            loc.code, catalog.digest, lambda: build_index(pages, Renderer(catalog, not loc.is_source, lambda href: None)))
        hits, total = index.search(parts)
    renderer = _renderer()
    titles = {slug: renderer.piece(page.title) for slug, page in current_app.extensions["content"].items()}
    body = render_template("search.html", query=raw[:MAX_QUERY], searched=bool(parts), hits=hits, total=total,
                           titles=titles, message=message, max_query=MAX_QUERY,
                           glossary=next((p.slug for p in current_app.extensions["content"].values()
                                          if p.kind == "glossary"), None),
                           alternates=[{"loc": loc, "url": url_for("public.search", tag=loc.tag, **({"q": raw} if parts else {})),
                                        "choose": url_for("public.choose", tag=loc.tag, slug="search")} for loc in LOCALES])
    response = current_app.response_class(body, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = current_app.config.get("FAMILY_CACHE_CONTROL", PAGE_CACHE_CONTROL)
    return response


def _checked_stamp() -> str:
    """The how-we-checked page's part of its ETag (``checked.families_stamp``); nothing for English."""
    loc = current_locale()
    return "" if loc.is_source else checked.families_stamp(get_session(), loc.code)


@bp.route("/<tag>/how-we-checked")
@access.public
@cached_page(key=_checked_stamp)
def how_we_checked():
    """How this language's translation was checked: how many of the site's reviewed texts are
    served in an approved translation, when the newest was approved, and by whom (those who chose
    to be shown; the others counted). Built from the published catalog and the review trail
    (``portal.review.checked``); cached like every family page, keyed also on the published
    version and on what reviewers chose to show, and exported. Reads the database on each request
    (for that key), so unlike the content pages it answers 503 while the database is down.

    English is the source: its page says so (200, not 404, so the language switcher and the
    export have the page in every language)."""
    loc = current_locale()
    found = None if loc.is_source else checked.translation_check(get_session(), loc.code)
    last_checked = (format_date(found.last_checked, "long", locale=loc.babel)
                    if found is not None and found.last_checked else None)
    return render_template("how_we_checked.html", check=found, last_checked=last_checked,
                           alternates=_alternates("public.how_we_checked", choose_slug=HOW_WE_CHECKED))


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
