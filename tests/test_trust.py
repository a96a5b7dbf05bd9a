"""A site families can trust (issue 14): the About page with the publisher's name and contact, the
urgent-help box, and the date of each page's sources next to its review date."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from portal.families.caching import PAGE_CACHE_CONTROL
from portal.families.content import ContentError, load_pages, load_sources
from portal.families.export import export_static, file_for
from portal.families.publisher import Publisher
from portal.locales import LOCALES
from portal.translation.catalogs import load_po
from tests.conftest import ROOT, close_app, english, make_app
from tests.test_pages import outline
from tests.test_static_export import portal

TAGS = [loc.tag for loc in LOCALES]
SLUGS = list(load_pages(ROOT / "content"))
EVERY_PAGE = [""] + SLUGS + ["about"]  # the list of pages, every content page, the About page

ORGANISATION = {
    "ORGANISATION_NAME": "<script>alert(1)</script> Family Guide",
    "ORGANISATION_ADDRESS": "12 Example Road\nSpringfield",
    "ORGANISATION_PHONE": "+1 555 0100",
    "ORGANISATION_EMAIL": "guide@example.org",
    "ORGANISATION_WEBSITE": "https://example.org/guide",
}
ESCAPED_NAME = "&lt;script&gt;alert(1)&lt;/script&gt; Family Guide"


@pytest.fixture
def org_app(tmp_path, empty_catalogs):
    """An app whose instance names its publisher (a name that tries to inject a script)."""
    app = make_app(tmp_path, empty_catalogs, **ORGANISATION)
    yield app
    close_app(app)


def shown(tag: str, text: str) -> str:
    """Site text as the page in ``tag`` shows it with no translation approved: English, marked as
    English on a translated page."""
    return text if tag == "en" else english(text)


def footer(html: str) -> str:
    """The site footer of a page (what every family page shares)."""
    return html.split('<footer class="site-footer">', 1)[1]


def main(html: str) -> str:
    return html.split('<main id="main"', 1)[1].split("</main>", 1)[0]


def urgent_boxes(html: str) -> list[tuple[str, str]]:
    """Each urgent-help box: (the id of the heading that names it, the box's HTML)."""
    found = re.findall(r'<div class="urgent-help" role="note" aria-labelledby="([^"]+)">(.*?)</div>', html, re.S)
    return found


# --- The About page --------------------------------------------------------------------------------

@pytest.mark.parametrize("tag", TAGS)
def test_the_about_page_in_every_language_is_a_cached_family_page(client, tag):
    response = client.get(f"/{tag}/about")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    page = outline(html)
    assert page.first("html") == {"lang": tag, "dir": "rtl" if tag == "ar" else "ltr"}
    assert page.h1 == 1 and page.scripts == 0
    # site text: English until a reviewer approves a translation, and marked as English meanwhile
    assert f"<h1>{shown(tag, 'About this site')}</h1>" in html
    for heading in ("Who publishes this guide", "How we write the pages", "How we translate and check the pages",
                    "Accessibility"):
        assert f"<h2>{shown(tag, heading)}</h2>" in main(html)
    # Cached like every family page: a strong ETag, the families' Cache-Control, 304, no cookie.
    assert response.headers["Cache-Control"] == PAGE_CACHE_CONTROL
    assert response.headers["ETag"] and not response.headers["ETag"].startswith("W/")
    assert "Set-Cookie" not in response.headers and "Cookie" not in response.headers.get("Vary", "")
    again = client.get(f"/{tag}/about", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    # The switcher keeps the reader on this page, and search engines get each language's version.
    for other in LOCALES:
        assert page.all("a", href=f"/choose-language/{other.tag}/about")
        assert page.all("link", rel="alternate", hreflang=other.tag, href=f"/{other.tag}/about")


def test_the_about_page_says_how_pages_are_written_translated_and_tested(client):
    html = main(client.get("/en/about").get_data(as_text=True))
    assert "grade 6 reading level" in html
    for source in load_sources(ROOT / "content").values():  # every source document, named and linked
        assert f'<a href="{source.url}">' in html and source.publisher.replace("'", "&#39;") in html
    assert "medical reviewer" in html and "not the person who wrote it" in html and "exact words" in html
    assert "you see the English words" in html
    assert "(WCAG) 2.2, level AA" in html and "axe" in html and "320 pixels" in html and "right to left" in html
    assert "Tell us about a problem" in html


def test_the_source_titles_on_a_translated_about_page_are_marked_english(client):
    html = main(client.get("/vi/about").get_data(as_text=True))
    sources = html.split('<ul class="sources">', 1)[1].split("</ul>", 1)[0]
    assert sources.count('<li lang="en" dir="ltr">') == len(load_sources(ROOT / "content"))


def test_without_an_organisation_the_pages_name_a_neutral_publisher_and_no_made_up_contact(client):
    for url in ("/en/about", "/es/tests", "/ar/"):
        html = client.get(url).get_data(as_text=True)
        name = "The publisher of this guide" if url.startswith("/en/") else english("The publisher of this guide")
        assert f'<p class="publisher-name">{name}</p>' in footer(html)
        assert "<address" not in html and "publisher-contact" not in html
        assert "tel:" not in html and "mailto:" not in html
    about = main(client.get("/en/about").get_data(as_text=True))
    assert "The publisher has not added a phone number or e-mail address yet." in about
    assert "please tell the publisher of this guide" in about


def test_the_organisation_from_the_configuration_is_shown_escaped_and_as_given(org_app):
    html = org_app.test_client().get("/es/about").get_data(as_text=True)
    assert "<script>" not in html and outline(html).scripts == 0
    who = main(html).split("How we write the pages", 1)[0]
    assert f'<p class="publisher-name"><bdi>{ESCAPED_NAME}</bdi></p>' in who
    assert '<address class="publisher-address"><bdi>12 Example Road</bdi><br><bdi>Springfield</bdi></address>' in who
    assert '<a href="tel:+15550100" dir="ltr">+1 555 0100</a>' in who
    assert '<a href="mailto:guide@example.org" dir="ltr">guide@example.org</a>' in who
    assert '<a href="https://example.org/guide" dir="ltr">https://example.org/guide</a>' in who
    assert "The publisher of this guide" not in html and "has not added" not in html
    # How to report a problem: the contact, again, under its own heading.
    problem = main(html).split("Tell us about a problem", 1)[1]
    assert "please tell us" in problem and "mailto:guide@example.org" in problem


def test_organisation_values_are_cleaned_and_only_web_addresses_are_linked():
    publisher = Publisher.from_config({
        "ORGANISATION_NAME": "  Centre\u202e evil\n name ", "ORGANISATION_WEBSITE": "javascript:alert(1)",
        "ORGANISATION_PHONE": 5550100, "ORGANISATION_EMAIL": "not an address", "ORGANISATION_ADDRESS": ["a", " ", "b"]})
    assert publisher.name == "Centre evil name"  # bidi controls and line breaks gone
    assert publisher.website_href is None and publisher.email_href is None
    assert publisher.phone == "5550100" and publisher.phone_href == "tel:5550100"
    assert publisher.address == ("a", "b") and publisher.has_contact
    assert not Publisher.from_config({}).has_contact and Publisher.from_config({}).name == ""


def test_a_javascript_web_address_is_shown_as_text_not_a_link(tmp_path, empty_catalogs):
    app = make_app(tmp_path, empty_catalogs, ORGANISATION_WEBSITE="javascript:alert(1)")
    try:
        html = app.test_client().get("/en/about").get_data(as_text=True)
        assert 'href="javascript:' not in html and "<bdi>javascript:alert(1)</bdi>" in html
    finally:
        close_app(app)


def test_the_organisation_can_be_set_with_flask_variables(tmp_path, empty_catalogs, monkeypatch):
    monkeypatch.setenv("FLASK_ORGANISATION_NAME", "Hospital Family Team")
    monkeypatch.setenv("FLASK_ORGANISATION_EMAIL", "team@example.org")
    app = make_app(tmp_path, empty_catalogs)
    try:
        html = footer(app.test_client().get("/vi/outlook").get_data(as_text=True))
        assert "<bdi>Hospital Family Team</bdi>" in html and "mailto:team@example.org" in html
    finally:
        close_app(app)


def test_the_organisation_can_be_set_in_instance_config(tmp_path, empty_catalogs, monkeypatch):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text('ORGANISATION_NAME = "Config File Centre"\n'
                                        'ORGANISATION_PHONE = "+44 20 7946 0000"\n')
    monkeypatch.setenv("FLASK_INSTANCE_PATH", str(instance))
    app = make_app(tmp_path, empty_catalogs)
    try:
        html = footer(app.test_client().get("/en/").get_data(as_text=True))
        assert "<bdi>Config File Centre</bdi>" in html and 'href="tel:+442079460000"' in html
    finally:
        close_app(app)


@pytest.mark.parametrize("tag", TAGS)
def test_every_family_page_has_the_publisher_and_the_about_link_in_its_footer(org_app, tag):
    client = org_app.test_client()
    for slug in EVERY_PAGE + ["no-such-page"]:
        response = client.get(f"/{tag}/{slug}")
        assert response.status_code == (404 if slug == "no-such-page" else 200)
        foot = footer(response.get_data(as_text=True))
        assert "Who publishes this guide" in foot, slug
        assert f"<bdi>{ESCAPED_NAME}</bdi>" in foot and "tel:+15550100" in foot and "mailto:guide@example.org" in foot
        about = "About this site" if tag == "en" else english("About this site")
        assert f'<a href="/{tag}/about">{about}</a>' in foot, slug


def test_a_new_organisation_is_a_new_etag(tmp_path, empty_catalogs):
    """The footer shows the publisher: a browser or CDN holding a page must not keep the old name."""
    first = make_app(tmp_path / "a", empty_catalogs, ORGANISATION_NAME="First Centre")
    second = make_app(tmp_path / "b", empty_catalogs, ORGANISATION_NAME="Second Centre")
    try:
        one = first.test_client().get("/es/tests")
        two = second.test_client().get("/es/tests")
        assert one.headers["ETag"] != two.headers["ETag"]
        assert second.test_client().get("/es/tests", headers={"If-None-Match": one.headers["ETag"]}).status_code == 200
    finally:
        close_app(first)
        close_app(second)


def test_the_switcher_saves_the_choice_and_stays_on_the_about_page(client):
    response = client.get("/choose-language/ar/about")
    assert response.status_code == 302 and response.headers["Location"] == "/ar/about"
    assert "lang=ar" in response.headers["Set-Cookie"]


def test_the_about_page_is_in_the_static_export_and_its_sitemap(org_app, tmp_path):
    report = export_static(org_app, tmp_path / "export", "https://portal.example.org")
    for tag in TAGS:
        assert f"/{tag}/about" in report.site.pages
        exported = (tmp_path / "export" / file_for(f"/{tag}/about")).read_bytes()
        assert exported == portal(org_app, f"/{tag}/about").data  # as exported: without the search form
    assert "<loc>https://portal.example.org/zh-Hans/about</loc>" in (tmp_path / "export" / "sitemap.xml").read_text()


# --- Urgent help ----------------------------------------------------------------------------------

@pytest.mark.parametrize("tag", TAGS)
def test_the_infections_page_has_the_urgent_help_box_after_its_lead(client, tag):
    html = client.get(f"/{tag}/infections").get_data(as_text=True)
    body = main(html)
    boxes = urgent_boxes(body)
    assert len(boxes) == 1
    name, box = boxes[0]
    # Named by its own heading (a text label, not a colour), announced as a note.
    assert f'<h2 class="urgent-help-heading" id="{name}">{shown(tag, "Get help fast")}</h2>' in box
    assert "fever or seems sick" in box and "at any hour" in box and "local emergency number" in box
    assert "It does not come from the sources" in box  # framed as beyond the sources
    assert not re.search(r"\d+\s*°|degrees|acetaminophen|paracetamol|ibuprofen", box), "no temperature or drug advice"
    # Near the top: after the lead, before the page's first section.
    lead, box_at = body.index('class="lead"'), body.index('class="urgent-help"')
    first_section = re.search(r'<h2(?! class="urgent-help-heading")', body).start()
    assert lead < box_at < first_section


@pytest.mark.parametrize("tag", TAGS)
def test_every_family_page_has_the_urgent_help_box_in_its_footer(client, tag):
    ids = []
    for slug in EVERY_PAGE + ["no-such-page"]:
        html = client.get(f"/{tag}/{slug}").get_data(as_text=True)
        boxes = urgent_boxes(footer(html))
        assert len(boxes) == 1, slug
        name, box = boxes[0]
        assert f'id="{name}">{shown(tag, "Get help fast")}</h2>' in box and "local emergency number" in box
        if slug != "infections":
            assert not urgent_boxes(main(html)), f"{slug}: only the infections page has the box in its text"
        everywhere = re.findall(r'id="([^"]+)"', html)
        assert len(everywhere) == len(set(everywhere)), f"{slug}: ids are unique"
        ids.append(name)
    assert set(ids) == {"urgent-help-footer"}


def test_the_urgent_box_is_told_apart_by_more_than_colour():
    """A thick border all round and its own heading (checked above), not a background colour alone."""
    css = (ROOT / "portal" / "static" / "portal.css").read_text()
    rule = re.search(r"\.urgent-help \{([^}]*)\}", css).group(1)
    width = re.search(r"border:\s*(\d+)px solid", rule)
    assert width and int(width.group(1)) >= 3


def test_the_urgent_box_is_reviewed_site_text_and_served_once_approved(app, work):
    template = load_po(Path(app.config["TRANSLATIONS_DIR"]) / "messages.pot")
    for msgid in ("Get help fast", "In an emergency, call your local emergency number.", "About this site",
                  "Written from a source dated %(sources)s."):
        entry = template.find(msgid)
        assert entry is not None and "site text" in entry.comment, msgid
    client = app.test_client()
    assert "Get help fast" in client.get("/es/infections").get_data(as_text=True)
    work.user("rita", "reviewer", "es")
    work.translate("es", "Get help fast", "Pida ayuda rápido")
    work.translate("es", "About this site", "Acerca de este sitio")
    assert work.approve("es", "Get help fast", "rita").report is not None
    assert work.approve("es", "About this site", "rita").report is not None
    html = client.get("/es/infections").get_data(as_text=True)
    assert html.count(">Pida ayuda rápido</h2>") == 2 and "Get help fast" not in html
    assert "<h1>Acerca de este sitio</h1>" in client.get("/es/about").get_data(as_text=True)


def test_a_page_with_an_unknown_callout_is_refused():
    from portal.families.content import parse_page

    text = ("---\ntitle: T\nsummary: S\norder: 1\nreviewed: 2026-01-01\nnext_review: 2027-01-01\n"
            "sources: [pdq]\ncallout: fire\n---\n\nText.\n")
    with pytest.raises(ContentError, match="callout must be one of"):
        parse_page(text, "content/bad.md", load_sources(ROOT / "content"))
    assert load_pages(ROOT / "content")["infections"].callout == "urgent"


# --- Source dates next to the review date --------------------------------------------------------------

SOURCE_DATES = {
    "en": ("February 2014", "December 2018", " and "),
    "es": ("febrero de 2014", "diciembre de 2018", " y "),
    "zh-Hans": ("2014年2月", "2018年12月", "和"),
    "vi": ("tháng 2 năm 2014", "tháng 12 năm 2018", " và "),
    "ar": ("فبراير", "ديسمبر", " و"),
}


def page_meta(html: str) -> str:
    return html.split('<footer class="page-meta">', 1)[1].split("</footer>", 1)[0]


@pytest.mark.parametrize("tag", TAGS)
def test_each_page_shows_its_sources_dates_beside_its_review_date_in_the_readers_language(client, tag):
    first, second, conjunction = SOURCE_DATES[tag]
    meta = page_meta(client.get(f"/{tag}/outlook").get_data(as_text=True))  # written from both sources
    paragraphs = re.findall(r"<p[^>]*>(.*?)</p>", meta, re.S)
    assert paragraphs[0].startswith(shown(tag, "Last reviewed:").removesuffix("</span>"))
    dates = paragraphs[1]  # the very next line
    assert dates.startswith(shown(tag, "Written from sources dated ").removesuffix("</span>"))
    assert first in dates and second in dates and conjunction in dates
    assert dates.index(first) < dates.index(second)
    marked = ' lang="en" dir="ltr"' if tag != "en" else ""
    assert f"(<span{marked}>National Cancer Institute</span>)" in dates or (
        tag == "en" and "(National Cancer Institute)" in dates)
    if tag == "en":
        assert dates == ("Written from sources dated February 2014 (National Cancer Institute) and December 2018 "
                         "(St. Jude Children&#39;s Research Hospital, Together).")


def test_a_page_from_one_source_says_so(client):
    meta = page_meta(client.get("/en/infections").get_data(as_text=True))
    assert ("Written from a source dated December 2018 (St. Jude Children&#39;s Research Hospital, Together)."
            in meta)
    assert "2014" not in meta.split("<h2>", 1)[0]


def test_every_content_page_shows_its_sources_dates(client):
    for slug, content_page in load_pages(ROOT / "content").items():
        meta = page_meta(client.get(f"/en/{slug}").get_data(as_text=True))
        for source in content_page.sources:
            assert source.dated.strftime("%B %Y") in meta.split("<h2>", 1)[0], slug


def test_a_source_needs_a_machine_readable_month(tmp_path):
    (tmp_path / "sources.yml").write_text('x:\n  title: T\n  publisher: P\n  date: "2014"\n  url: https://a.org\n')
    with pytest.raises(ContentError, match="dated: YYYY-MM"):
        load_sources(tmp_path)
    (tmp_path / "sources.yml").write_text('x:\n  title: T\n  publisher: P\n  date: "d"\n  dated: "Feb 2014"\n'
                                          '  url: https://a.org\n')
    with pytest.raises(ContentError, match="written YYYY-MM"):
        load_sources(tmp_path)
    sources = load_sources(ROOT / "content")
    assert sources["pdq"].dated.isoformat() == "2014-02-01" and sources["pdq"].date == "updated 2014-02-25"
    assert sources["stjude"].dated.isoformat() == "2018-12-01"
