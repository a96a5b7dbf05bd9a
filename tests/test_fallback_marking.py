"""Site text still in English on a page in another language says it is English (docs/design.md,
invariant 7; WCAG 3.1.2), as content blocks do: a screen reader reads it with English voice and
rules, and nothing in an attribute or the title is broken by the marking."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from portal.families.i18n import FALLBACK_END, FALLBACK_START, mark_fallbacks
from portal.locales import TRANSLATED_LOCALES
from portal.translation.catalogs import load_po
from portal.translation.extract import SITE_COMMENT
from tests.conftest import ROOT

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class TextLanguages(HTMLParser):
    """Each text of a page's body with the language it is in (the nearest ``lang``), and the
    attribute values and title, where no marking may appear."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str]] = []
        self.texts: list[tuple[str, str]] = []
        self.attributes: list[str] = []
        self.in_title = False
        self.title = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.attributes.extend(v for v in attrs.values() if v)
        if tag == "title":
            self.in_title = True
        if tag not in VOID:
            lang = attrs.get("lang") or (self.stack[-1][1] if self.stack else "")
            self.stack.append((tag, lang))

    def handle_endtag(self, tag):
        if tag == "title":
            self.in_title = False
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if self.in_title:
            self.title += data
        elif data.strip() and self.stack:
            self.texts.append((" ".join(data.split()), self.stack[-1][1]))


def site_texts() -> set[str]:
    """The English of every site-text message without placeholders: what families see of the
    templates, as it reads on a page."""
    return {e.msgid for e in load_po(ROOT / "translations" / "messages.pot")
            if SITE_COMMENT in (e.comment or "") and "%(" not in e.msgid and not e.msgid_plural and len(e.msgid) > 4}


def parse(html: str) -> TextLanguages:
    parser = TextLanguages()
    parser.feed(html)
    return parser


ADDRESSES = ["/{tag}/", "/{tag}/treatment", "/{tag}/glossary", "/{tag}/infections", "/{tag}/about",
             "/{tag}/how-we-checked", "/{tag}/search?q=leukemia", "/{tag}/no-such-page"]


@pytest.mark.parametrize("loc", TRANSLATED_LOCALES, ids=lambda loc: loc.code)
def test_site_text_shown_in_english_is_marked_english_and_attributes_stay_clean(app, loc):
    """Nothing approved: every site text on every kind of family page is English, and each is
    inside an element marked lang="en"; attributes and the title carry the plain words."""
    english = site_texts()
    client = app.test_client()
    seen = 0
    for address in ADDRESSES:
        response = client.get(address.format(tag=loc.tag))
        html = response.get_data(as_text=True)
        assert FALLBACK_START not in html and FALLBACK_END not in html, address
        page = parse(html)
        unmarked = [text for text, lang in page.texts if lang != "en" and text in english]
        assert unmarked == [], f"{address}: English site text not marked lang=\"en\": {unmarked}"
        seen += sum(1 for text, lang in page.texts if lang == "en" and text in english)
        assert "<span" not in page.title and all("<span" not in value for value in page.attributes), address
        assert "Relapsed childhood leukemia: a guide for families" in page.title
    assert seen > 50, "the pages did show English site text (the check above looked at something)"


def test_served_site_text_is_not_marked_and_english_pages_are_never_marked(app, work):
    work.user("tina", "translator", "es")
    work.user("rita", "reviewer", "es")
    work.translate("es", "Skip to main content", "Saltar al contenido principal", author="tina")
    work.approve("es", "Skip to main content", "rita")
    client = app.test_client()
    spanish = client.get("/es/treatment").get_data(as_text=True)
    assert re.search(r'<a class="skip-link" href="#main">Saltar al contenido principal</a>', spanish)
    assert '<span lang="en" dir="ltr">All topics</span>' in spanish  # still English: marked
    english = client.get("/en/treatment").get_data(as_text=True)
    assert '<span lang="en"' not in english and FALLBACK_START not in english


def test_the_marking_never_goes_into_a_tag_or_the_title():
    mark = f"{FALLBACK_START}Skip{FALLBACK_END}"
    html = (f'<html><head><title>{mark} | x</title></head><body><a aria-label="{mark}" href="#">{mark}</a>'
            f'<p>{FALLBACK_START}Written from <span lang="en">NCI</span>.{FALLBACK_END}</p></body></html>')
    assert mark_fallbacks(html) == (
        '<html><head><title>Skip | x</title></head><body><a aria-label="Skip" href="#">'
        '<span lang="en" dir="ltr">Skip</span></a><p><span lang="en" dir="ltr">Written from '
        '<span lang="en">NCI</span>.</span></p></body></html>')
