"""What a family's browser receives: languages, fallbacks, links, errors, headers, safety."""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from portal.families.content import load_pages
from portal.locales import LOCALES
from tests.conftest import ROOT, login

SLUGS = list(load_pages(ROOT / "content"))
TAGS = [loc.tag for loc in LOCALES]


class Outline(HTMLParser):
    """Collects the tags, attributes and text a test needs to reason about a page."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.h1 = 0
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self.h1 += tag == "h1"
        self.scripts += tag == "script"

    def first(self, tag):
        return next(attrs for name, attrs in self.tags if name == tag)

    def all(self, tag, **match):
        return [attrs for name, attrs in self.tags
                if name == tag and all(attrs.get(k) == v for k, v in match.items())]


def outline(html: str) -> Outline:
    parser = Outline()
    parser.feed(html)
    return parser


@pytest.mark.parametrize("tag", TAGS)
@pytest.mark.parametrize("slug", SLUGS + [""])
def test_every_page_in_every_locale(client, tag, slug):
    response = client.get(f"/{tag}/{slug}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    page = outline(html)
    loc = next(loc for loc in LOCALES if loc.tag == tag)
    assert page.first("html") == {"lang": tag, "dir": "rtl" if tag == "ar" else "ltr"}
    assert page.h1 == 1
    assert page.scripts == 0, "pages work without JavaScript"
    assert len(response.data) < 50 * 1024, f"{len(response.data)} bytes"
    assert page.all("a", href="#main"), "skip link"
    assert page.all("main", id="main") and page.all("header") and page.all("footer")
    # The switcher names each language in itself, with lang and hreflang, on the same page (through
    # the address that saves the choice); search engines get the page itself as the alternate.
    for other in LOCALES:
        link = page.all("a", href=f"/choose-language/{other.tag}/{slug}")
        assert any(a.get("lang") == other.tag and a.get("hreflang") == other.tag for a in link)
        assert f">{other.native_name}</a>" in html
        assert page.all("link", rel="alternate", hreflang=other.tag, href=f"/{other.tag}/{slug}")
    assert page.all("a", href=f"/choose-language/{tag}/{slug}")[0].get("aria-current") == "page"
    del loc


def test_arabic_is_right_to_left_and_switcher_names_languages_in_themselves(client):
    html = client.get("/ar/outlook").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html
    for name in ("English", "Español", "中文 (简体)", "Tiếng Việt", "العربية"):
        assert name in html


@pytest.mark.parametrize("header, expected", [
    ("zh-CN,zh;q=0.9,en;q=0.8", "/zh-Hans/"),
    ("es-MX,es;q=0.9", "/es/"),
    ("fr-FR, vi;q=0.5", "/vi/"),
    ("ar-EG", "/ar/"),
    ("zh-TW", "/en/"),  # Traditional Chinese is not served; English rather than the wrong script
    ("zh-SG", "/zh-Hans/"),
    ("zh-TW, zh-CN;q=0.5", "/zh-Hans/"),
    ("de-DE", "/en/"),
    ("", "/en/"),
])
def test_root_picks_the_language_from_the_browser(client, header, expected):
    response = client.get("/", headers={"Accept-Language": header})
    assert response.status_code == 302
    assert response.headers["Location"] == expected
    assert "Accept-Language" in response.headers["Vary"]


def test_noncanonical_locale_spelling_redirects(client):
    response = client.get("/zh_hans/tests")
    assert response.status_code == 301
    assert response.headers["Location"] == "/zh-Hans/tests"


@pytest.mark.parametrize("url", ["/es/no-such-page", "/xx/tests", "/es/tests/extra", "/fr/"])
def test_unknown_page_or_locale_is_a_404_page(client, url):
    response = client.get(url, headers={"Accept-Language": "es"})
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert outline(html).h1 == 1
    assert '<html lang="es" dir="ltr">' in html


def test_404_page_is_translated(work, client):
    work.user("tina", "translator", "es")
    work.user("rita", "reviewer", "es")
    work.translate("es", "Page not found", "Página no encontrada", author="tina")
    work.translate("es", "We could not find this page. It may have moved.",
                   "No encontramos esta página. Puede que se haya movido.", author="tina")
    work.approve("es", "Page not found", "rita")
    html = client.get("/es/no-such-page").get_data(as_text=True)
    assert "<h1>Página no encontrada</h1>" in html


def test_security_headers(client):
    response = client.get("/en/tests")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert client.get("/xx/").headers["X-Content-Type-Options"] == "nosniff"


SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options")


def assert_security_headers(response):
    missing = [name for name in SECURITY_HEADERS if name not in response.headers]
    assert not missing, f"{response.status} without {missing}"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


# Languages CLDR does not know, or tags Babel cannot parse: each once gave a 500.
ODD_LANGUAGES = ["xx", "tlh", "sgn-US", "zz-ZZ", "i-klingon", "x-private", "en-US-u-ca-gregory",
                 "*;q=0.5, xx", ";;,,", "xx;q=0.9, tlh;q=0.8", "\u00e9"]


@pytest.mark.parametrize("header", ODD_LANGUAGES)
def test_any_accept_language_gets_english(client, header):
    response = client.get("/", headers={"Accept-Language": header.encode("utf-8").decode("latin-1")})
    assert response.status_code == 302
    assert response.headers["Location"] == "/en/"
    assert_security_headers(response)


def test_an_unknown_language_before_a_served_one_gets_the_served_one(client):
    response = client.get("/", headers={"Accept-Language": "tlh, sgn-US;q=0.9, es;q=0.5"})
    assert response.headers["Location"] == "/es/"


@pytest.mark.parametrize("header", ["xx", "tlh", "sgn-US", "zz-ZZ"])
def test_error_pages_answer_any_accept_language(work, client, header):
    """404, 405 and 403 pages pick their language from the browser too; none may fail."""
    headers = {"Accept-Language": header}
    not_found = client.get("/no/such/page", headers=headers)
    assert not_found.status_code == 404
    assert '<html lang="en" dir="ltr">' in not_found.get_data(as_text=True)
    not_allowed = client.post("/en/tests", headers=headers)
    assert not_allowed.status_code == 405
    work.user("tina", "translator", "es")
    login(client, "tina")
    forbidden = client.get("/review/es/", headers=headers)
    assert forbidden.status_code == 403
    for response in (not_found, not_allowed, forbidden):
        assert_security_headers(response)


def test_a_405_says_the_method_is_not_allowed_at_this_address(client):
    response = client.post("/en/tests")
    assert response.status_code == 405
    html = response.get_data(as_text=True)
    assert "does not accept POST requests" in html
    assert "role" not in html, "a 405 is not about the account's roles"
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET"}


def test_a_403_says_the_account_lacks_the_role(work, client):
    work.user("tina", "translator", "es")
    login(client, "tina")
    response = client.get("/review/es/")
    assert response.status_code == 403
    assert "Your account does not have the role this page needs" in response.get_data(as_text=True)


@pytest.fixture
def broken_templates(monkeypatch):
    """Every template fails to render, as a template with a mistake in it would."""
    def broken(*args, **kwargs):
        raise RuntimeError("a broken template")

    monkeypatch.setattr("portal.error_pages.render_template", broken)
    monkeypatch.setattr("portal.families.views.render_template", broken)


@pytest.mark.parametrize("method, url, status", [
    ("GET", "/no/such/page", 404), ("POST", "/en/tests", 405), ("GET", "/en/tests", 500)])
def test_an_error_page_that_fails_still_answers_with_its_status_and_headers(
        client, broken_templates, method, url, status):
    """An exception inside an error handler gives a plain error page, never a crash."""
    response = client.open(url, method=method, headers={"Accept-Language": "es"})
    assert response.status_code == status
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True).startswith(str(status))
    assert_security_headers(response)


def test_the_expired_form_page_that_fails_still_answers_400_with_headers(client, monkeypatch):
    """The CSRF handler lives in portal.people.access; it may not crash either."""
    def broken(*args, **kwargs):
        raise RuntimeError("a broken template")

    monkeypatch.setattr("portal.people.access.render_template", broken)
    response = client.post("/login", data={"username": "ana", "password": "x", "csrf_token": "stale"})
    assert response.status_code == 400
    assert response.mimetype == "text/plain"
    assert_security_headers(response)


def test_english_pages_have_no_fallback_notice_or_lang_attributes(client):
    html = client.get("/en/treatment").get_data(as_text=True)
    assert "not yet reviewed" not in html
    assert 'lang="en" dir="ltr">' not in html.split("<main", 1)[1].split("</main>")[0]


def test_untranslated_blocks_are_labelled_english_and_the_page_says_so(work, client):
    work.user("tina", "translator", "es")
    work.user("rita", "reviewer", "es")
    notice = "%(num)s part of this page is not yet reviewed in this language, so it is shown in English."
    work.translate("es", notice,
                   ["%(num)s parte de esta página aún no está revisada en español; se muestra en inglés.",
                    "%(num)s partes de esta página aún no están revisadas en español; se muestran en inglés."],
                   author="tina")
    work.approve("es", notice, "rita")
    work.translate("es", "Questions to ask the care team", "Preguntas para el equipo médico", author="tina")
    work.approve("es", "Questions to ask the care team", "rita")
    html = client.get("/es/questions").get_data(as_text=True)
    main = html.split("<main", 1)[1].split("</main>")[0]
    assert "<h1>Preguntas para el equipo médico</h1>" in main
    untranslated = len(load_pages(ROOT / "content")["questions"].messages()) - 1
    assert f"{untranslated} partes de esta página aún no están revisadas en español" in main
    blocks = main.split('class="page-meta"')[0]  # the sources below are English titles, labelled too
    assert blocks.count('lang="en" dir="ltr"') == untranslated


def test_a_fully_reviewed_page_has_no_notice(work, client):
    work.user("tina", "translator", "vi")
    work.user("vic", "reviewer", "vi")
    page = load_pages(ROOT / "content")["questions"]
    for message in page.messages():
        work.translate("vi", message.text, "VI " + message.text, author="tina")
    with work.session() as session:
        from portal.people.accounts import find_user
        from portal.review.operations import approve_messages

        outcome = approve_messages(session, "vi", find_user(session, "vic"), approve_all=True)
    assert len(outcome.approved) == len(page.messages())
    main = client.get("/vi/questions").get_data(as_text=True).split("<main", 1)[1].split("</main>")[0]
    assert "not yet reviewed" not in main and 'lang="en"' not in main.split('class="page-meta"')[0]


def test_medical_terms_link_to_their_glossary_entry(client):
    html = client.get("/es/treatment").get_data(as_text=True)
    targets = set(re.findall(r'href="/es/glossary#([a-z0-9-]+)"', html))
    assert {"chemotherapy", "remission", "stem-cell-transplant"} <= targets
    glossary = client.get("/es/glossary").get_data(as_text=True)
    for slug in targets:
        assert f'<dt id="{slug}"' in glossary


@pytest.mark.parametrize("slug", SLUGS)
def test_each_page_credits_sources_and_shows_review_dates(client, slug):
    html = client.get(f"/en/{slug}").get_data(as_text=True)
    page = load_pages(ROOT / "content")[slug]
    assert "Last reviewed:" in html and "Next review:" in html
    assert page.reviewed.strftime("%B") in html and str(page.next_review.year) in html
    for source in page.sources:
        assert source.url in html and source.publisher.replace("'", "&#39;") in html


def test_review_dates_use_the_readers_language(client):
    html = client.get("/es/tests").get_data(as_text=True)
    assert "de noviembre de 2026" in html


def test_markup_in_a_translation_is_refused_at_approval_and_never_served(work, client):
    """Invariant 6: a translation with markup cannot be approved, and even a forged approval of it
    does not get it served (the gate asks the same checks)."""
    from portal.models import Approval
    from portal.review.rules import NothingToApprove
    from portal.translation.identity import fingerprint

    work.user("tina", "translator", "es")
    rita = work.user("rita", "reviewer", "es")
    msgid = "Tests when leukemia comes back"
    evil = 'Pruebas <script>alert(1)</script> ![x](/admin/publish)'
    work.translate("es", msgid, evil, author="tina")
    with pytest.raises(NothingToApprove, match="raw HTML"):
        work.approve("es", msgid, "rita")
    with work.session() as session:  # written straight into the database, bypassing approve()
        session.add(Approval(locale="es", mid=work.unit("es", msgid).mid,
                             fingerprint=fingerprint(("", msgid, ""), [evil]), msgctxt="",
                             msgid=msgid, msgid_plural="", translation_json=json.dumps([evil]), reviewer_id=rita))
        session.commit()
    report = work.publish("es")
    assert report.blocked == 1
    html = client.get("/es/tests").get_data(as_text=True)
    assert "alert(1)" not in html and "<img" not in html
    assert f'<h1 lang="en" dir="ltr">{msgid}</h1>' in html


def test_markup_that_reached_a_served_catalog_is_shown_as_text(app, client):
    """Defence in depth: if a served catalog ever held markup (content or site text), the page
    escapes it and makes no image."""
    from portal.review.gate import build_mo
    from portal.review.models import PublishedCatalog

    served = {("", "Tests when leukemia comes back", ""): ['Pruebas <script>alert(1)</script> ![x](/admin/publish)'],
              ("", "Skip to main content", ""): ['<b onmouseover="x()">Saltar</b>']}
    with app.extensions["db"]() as session:  # written into the served catalog's row, bypassing the gate
        session.add(PublishedCatalog(locale="es", version=1, mo=build_mo("es", served), reviewed_json="{}"))
        session.commit()
    html = client.get("/es/tests").get_data(as_text=True)
    assert "<script>" not in html and "<img" not in html and "<b " not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b onmouseover=&#34;x()&#34;&gt;Saltar&lt;/b&gt;" in html


def test_dangerous_link_in_a_translation_never_becomes_a_link():
    from portal.families.rendering import render_inline

    html = render_inline("[click](javascript:alert(1)) and [ok](glossary:relapse)",
                         lambda href: "/es/glossary#relapse" if href == "glossary:relapse" else None)
    assert "javascript" not in html.split("click")[0]
    assert 'href="/es/glossary#relapse"' in html
    assert html.count("<a ") == 1


def test_questions_page_prints_as_a_clean_list(client):
    html = client.get("/en/questions").get_data(as_text=True)
    assert 'class="content page-questions"' in html
    assert "<ol>" in html or "<ul>" in html
    css = (ROOT / "portal" / "static" / "portal.css").read_text()
    printing = css.split("@media print", 1)[1]
    assert ".site-header nav" in printing and ".site-footer nav" in printing
    assert ".page-questions" in printing
