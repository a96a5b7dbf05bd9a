"""Finding the way (issue 14): the glossary in the reader's alphabet, previous and next topic, "On
this page", and search over the text families can read in their language (served text only)."""
from __future__ import annotations

import re
from html import unescape
from urllib.parse import quote

import pytest
import pyuca

from portal.families import export
from portal.families.content import load_pages
from portal.families.search import MAX_QUERY
from portal.families.wayfinding import block_ids, sections
from portal.locales import LOCALES
from tests.conftest import ROOT

PAGES = load_pages(ROOT / "content")
ORDER = list(PAGES)
CONTENT = [slug for slug, page in PAGES.items() if page.kind == "page"]
TAGS = [loc.tag for loc in LOCALES]


def serve(app, locale: str, texts: dict[str, str], version: int = 1) -> None:
    """Make ``texts`` (English -> translation) the served catalog of ``locale``, written as the gate
    writes it (the tests control exactly which terms are served)."""
    from portal.review.gate import build_mo
    from portal.review.models import PublishedCatalog

    with app.extensions["db"]() as session:
        row = session.get(PublishedCatalog, locale)
        mo = build_mo(locale, {("", msgid, ""): [text] for msgid, text in texts.items()})
        if row is None:
            session.add(PublishedCatalog(locale=locale, version=version, mo=mo, reviewed_json="{}"))
        else:
            row.version, row.mo = row.version + 1, mo
        session.commit()


def main_of(html: str) -> str:
    return html.split("<main", 1)[1].split("</main>", 1)[0]


def ids_of(html: str) -> set[str]:
    return set(re.findall(r'\sid="([^"]+)"', html))


def terms_in_order(html: str) -> list[tuple[str, str]]:
    """(id, term as shown) of each glossary entry, in page order (the English beside left out)."""
    found = re.findall(r'<dt id="([^"]+)"[^>]*>(.*?)</dt>', html, re.S)
    return [(slug, unescape(re.sub(r"<[^>]+>", "", re.sub(r'<span class="term-en".*?</span>', "", text))).strip())
            for slug, text in found]


# --- The glossary in the reader's alphabet ------------------------------------------------------

SPANISH_TERMS = {
    "Anxiety": "Ansiedad",
    "Antibiotic": "Antibiótico",
    "Antifungal medicine": "Ácido de prueba",
    "Blood test": "Análisis de sangre",
    "Bone marrow": "Médula ósea",
    "Nausea": "Náuseas",
    "Natural killer cells": "Ñandú de prueba",
    "Relapse": "Recaída",
    "Remission": "Remisión",
    "Donor": "Donante",
}


def test_spanish_glossary_is_in_spanish_order_with_the_english_beside(app, client):
    serve(app, "es", SPANISH_TERMS)
    html = client.get("/es/glossary").get_data(as_text=True)
    entries = terms_in_order(html)
    shown = [term for _, term in entries]
    english = {entry.slug: entry.term.text for entry in PAGES["glossary"].glossary}
    # Every term, each once, with its English slug (other pages link to #slug).
    assert sorted(slug for slug, _ in entries) == sorted(english)
    # Served terms are shown translated; the rest in English (as on any page), marked lang="en".
    assert "Ácido de prueba" in shown and "Antifungal medicine" not in shown
    assert '<dt id="antibiotic-resistant-bacteria" lang="en" dir="ltr">' in html
    # The collation of the served terms: DUCET (accents second-level: "Ácido" with the a's) ...
    without_enye = [t for t in shown if "ñ" not in t.lower()]
    assert without_enye == sorted(without_enye, key=pyuca.Collator().sort_key)
    assert shown.index("Ácido de prueba") < shown.index("Acute lymphoblastic leukemia (ALL)") < shown.index("Análisis de sangre")
    # ... with Spanish ñ a letter of its own: after every n, before o.
    n_words = [t for t in shown if t[0].lower() == "n"]
    o_words = [t for t in shown if t[0].lower() == "o"]
    assert n_words and all(shown.index(t) < shown.index("Ñandú de prueba") for t in n_words)
    assert all(shown.index("Ñandú de prueba") < shown.index(t) for t in o_words)
    # The English term beside each translated one, marked as English; not beside English ones.
    assert re.search(r'<dt id="natural-killer-cells">Ñandú de prueba <span class="term-en" lang="en" dir="ltr">'
                     r'\(Natural killer cells\)</span></dt>', html)
    assert html.count('class="term-en"') == len(SPANISH_TERMS)


def index_links(html: str) -> list[tuple[str, str]]:
    nav = html.split('<nav class="glossary-index"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r'<a href="#([^"]+)">([^<]+)</a>', nav)


def test_the_index_links_each_letter_to_its_first_term(app, client):
    serve(app, "es", SPANISH_TERMS)
    html = client.get("/es/glossary").get_data(as_text=True)
    links = index_links(html)
    letters = [label for _, label in links]
    assert letters[:2] == ["A", "B"] and "Ñ" in letters and letters.index("Ñ") == letters.index("N") + 1
    assert len(letters) == len(set(letters)), "one link a letter"
    assert re.search(r'<nav class="glossary-index" aria-labelledby="glossary-index">\s*<h2 id="glossary-index">', html)
    entries = terms_in_order(html)
    ids = [slug for slug, _ in entries]
    for target, label in links:
        assert target in ids_of(html)
        first = ids.index(target)
        term = entries[first][1]
        assert term[0].upper() == label or (label == "A" and term.startswith("Á")), (label, term)
        if first:  # the term before it is in the letter before
            assert entries[first - 1][1][0].upper() != label


def test_english_glossary_has_no_english_beside_and_is_in_order(client):
    html = client.get("/en/glossary").get_data(as_text=True)
    assert 'class="term-en"' not in html
    shown = [term for _, term in terms_in_order(html)]
    assert shown == sorted(shown, key=pyuca.Collator().sort_key)
    assert [label for _, label in index_links(html)][:3] == ["A", "B", "C"]


def test_chinese_glossary_is_by_pinyin_and_grouped_by_its_first_letter(app, client):
    serve(app, "zh_Hans", {"Bone marrow": "骨髓", "Relapse": "复发", "Remission": "缓解",
                           "Chemotherapy": "化疗", "Palliative care": "缓和医疗", "Leukemia": "白血病"})
    html = client.get("/zh-Hans/glossary").get_data(as_text=True)
    shown = [term for _, term in terms_in_order(html)]
    # 白血病 bái, 复发 fù, 骨髓 gǔ, 化疗 huà, 缓和医疗 huǎn hé, 缓解 huǎn jiě: among the English terms by letter.
    chinese = [t for t in shown if re.match(r"[\u4e00-\u9fff]", t)]
    assert chinese == ["白血病", "复发", "骨髓", "化疗", "缓和医疗", "缓解"]
    assert shown.index("Anxiety") < shown.index("白血病") < shown.index("Blinatumomab")  # anx < bai < bli
    letters = dict((label, target) for target, label in index_links(html))
    assert letters["G"] == "bone-marrow"  # 骨髓 gǔ suǐ: the only G word
    assert letters["F"] == "first-line-treatment"  # fi < fù: 复发 in the same group, after it
    assert shown.index("First-line treatment") + 1 == shown.index("复发")
    assert '<dt id="relapse">复发 <span class="term-en" lang="en" dir="ltr">(Relapse)</span></dt>' in html


def test_arabic_and_vietnamese_glossaries_follow_their_alphabets(app, client):
    serve(app, "ar", {"Blood test": "تحليل الدم", "Bone marrow": "نخاع العظم", "Relapse": "الانتكاس",
                      "Infection": "العدوى", "Leukemia": "ابيضاض الدم"})
    shown = [t for _, t in terms_in_order(client.get("/ar/glossary").get_data(as_text=True))
             if re.match(r"[\u0600-\u06ff]", t)]
    # The article ال is not sorted on: ابيضاض (ا), الانتكاس (ا...), تحليل (ت), العدوى (ع), نخاع (ن).
    assert shown == ["ابيضاض الدم", "الانتكاس", "تحليل الدم", "العدوى", "نخاع العظم"]
    serve(app, "vi", {"Donor": "Người hiến", "Depression": "Trầm cảm", "Nausea": "Buồn nôn",
                      "Infection": "Nhiễm trùng", "Anxiety": "Lo âu", "Bone marrow": "Tủy xương",
                      "Blood test": "Xét nghiệm máu", "Relapse": "Tái phát", "Side effect": "Tác dụng phụ",
                      "Leukemia": "Ung thư máu", "Antibiotic": "Đề kháng thử", "Chaplain": "Dược sĩ thử"})
    html = client.get("/vi/glossary").get_data(as_text=True)
    shown = [t for _, t in terms_in_order(html)]
    # đ is a letter after d: after every d-word (Dược, Dexamethasone, ...), before e.
    assert max(shown.index(t) for t in shown if t[0] in "dD") < shown.index("Đề kháng thử") < shown.index("Early relapse")
    assert shown.index("Tác dụng phụ") < shown.index("Tái phát") < shown.index("Trầm cảm") < shown.index("Tủy xương")
    assert "Đ" in [label for _, label in index_links(html)]


# --- Previous and next topic; On this page -----------------------------------------------------

def topic_nav(html: str) -> str:
    return html.split('<nav class="topic-nav"', 1)[1].split("</nav>", 1)[0]


@pytest.mark.parametrize("slug", ORDER)
def test_each_page_links_to_the_topics_before_and_after_it(client, slug):
    html = client.get(f"/en/{slug}").get_data(as_text=True)
    nav = topic_nav(html)
    index = ORDER.index(slug)
    prev_link = re.findall(r'<a href="/en/([^"]+)" rel="prev">', nav)
    next_link = re.findall(r'<a href="/en/([^"]+)" rel="next">', nav)
    assert prev_link == ([ORDER[index - 1]] if index > 0 else [])
    assert next_link == ([ORDER[index + 1]] if index + 1 < len(ORDER) else [])
    for found in prev_link + next_link:
        assert PAGES[found].title.text in nav
    assert 'aria-label="Previous and next topic"' in html


def test_the_first_and_last_pages_have_one_link_each(client):
    first, last = ORDER[0], ORDER[-1]
    assert topic_nav(client.get(f"/en/{first}").get_data(as_text=True)).count("<a ") == 1
    assert topic_nav(client.get(f"/en/{last}").get_data(as_text=True)).count("<a ") == 1


def test_topic_titles_are_translated_where_served_and_marked_english_where_not(app, client):
    index = ORDER.index("treatment")
    before, after = PAGES[ORDER[index - 1]], PAGES[ORDER[index + 1]]
    serve(app, "es", {before.title.text: "Título anterior servido"})
    nav = topic_nav(client.get("/es/treatment").get_data(as_text=True))
    assert "<span>Título anterior servido</span>" in nav
    assert f'<span lang="en" dir="ltr">{after.title.text}</span>' in nav


@pytest.mark.parametrize("slug", CONTENT)
def test_on_this_page_lists_the_sections_only_on_pages_with_three_or_more(client, slug):
    page = PAGES[slug]
    html = client.get(f"/es/{slug}").get_data(as_text=True)
    found = sections(page)
    if len(found) < 3:
        assert 'class="on-this-page"' not in html
        return
    nav = html.split('<nav class="on-this-page"', 1)[1].split("</nav>", 1)[0]
    assert re.findall(r'<a href="#([^"]+)"', nav) == [section_id for section_id, _ in found]
    for section_id, _ in found:
        assert re.search(rf'<h2 id="{section_id}"', html), section_id
    # After the lead, before the first block.
    assert html.index('class="lead"') < html.index('class="on-this-page"') < html.index(f'id="{block_ids(page)[0]}"')


def test_some_pages_have_on_this_page_and_some_do_not():
    counts = {slug: len(sections(PAGES[slug])) for slug in CONTENT}
    assert any(n >= 3 for n in counts.values()) and any(n < 3 for n in counts.values())


def test_block_ids_are_the_same_in_every_language_and_unique(app, client):
    page = PAGES["treatment"]
    heading = next(b for b in page.blocks if b.kind == "heading").messages[0].text
    serve(app, "es", {heading: "Paso 1: volver a la remisión"})
    ids = block_ids(page)
    assert len(ids) == len(set(ids)) == len(page.blocks)
    for tag in TAGS:
        html = client.get(f"/{tag}/treatment").get_data(as_text=True)
        assert all(f'id="{block_id}"' in html for block_id in ids), tag
    assert '<h2 id="step-1-getting-back-into-remission">Paso 1: volver a la remisión</h2>' in \
        client.get("/es/treatment").get_data(as_text=True)


# --- Search --------------------------------------------------------------------------------------

def results(html: str) -> list[tuple[str, str]]:
    """(link, block text HTML) of each result."""
    found = html.split('<ol class="search-results">', 1)
    if len(found) == 1:
        return []
    return re.findall(r'<a href="([^"]+)"[^>]*>.*?</a>\s*<p[^>]*>(.*?)</p>', found[1].split("</ol>")[0], re.S)


def test_search_finds_served_spanish_text_and_links_to_its_block(app, client):
    page = PAGES["treatment"]
    paragraph = next(b for b in page.blocks if b.kind == "paragraph")
    serve(app, "es", {paragraph.messages[0].text: "La quimioterapia ayuda al niño con una palabra únicaxyz."})
    response = client.get("/es/search?q=" + quote("únicaxyz"))
    assert response.status_code == 200
    found = results(response.get_data(as_text=True))
    assert len(found) == 1
    link, text = found[0]
    assert text == "La quimioterapia ayuda al niño con una palabra <mark>únicaxyz</mark>."
    url, anchor = link.split("#")
    assert url == "/es/treatment"
    assert f'id="{anchor}"' in client.get(url).get_data(as_text=True)
    # Without accents, as typed on a phone; case does not matter.
    assert len(results(client.get("/es/search?q=UNICAXYZ%20nino").get_data(as_text=True))) == 1


def test_search_in_chinese_matches_characters_without_spaces(app, client):
    page = PAGES["outlook"]
    paragraph = next(b for b in page.blocks if b.kind == "paragraph")
    serve(app, "zh_Hans", {paragraph.messages[0].text: "治疗是否有效的可能性叫作预后。"})
    html = client.get("/zh-Hans/search?q=" + quote("预后")).get_data(as_text=True)
    found = results(html)
    assert ("/zh-Hans/outlook#b0", "治疗是否有效的可能性叫作<mark>预后</mark>。") in found
    # Any run of characters inside the text, and full-width Latin letters fold to the same (NFKC).
    assert results(client.get("/zh-Hans/search?q=" + quote("有效的")).get_data(as_text=True))
    assert results(client.get("/zh-Hans/search?q=" + quote("ｒｅｍｉｓｓｉｏｎ")).get_data(as_text=True))


def test_search_never_finds_unapproved_text(work, client):
    """A translation waiting for review, holding a unique word, is not found; once approved and
    published it is."""
    work.user("tina", "translator", "es")
    work.user("rita", "reviewer", "es")
    msgid = PAGES["infections"].title.text
    work.translate("es", msgid, "Infecciones palabrapendiente", author="tina")
    work.translate("es", "Skip to main content", "Saltar al contenido principal", author="tina")
    work.approve("es", "Skip to main content", "rita")  # a publish: the catalog exists, without the draft
    html = client.get("/es/search?q=palabrapendiente").get_data(as_text=True)
    assert results(html) == [] and "Nothing in this guide matches your search" in html
    assert 'href="/es/glossary"' in main_of(html), "suggests the glossary"
    assert "palabrapendiente" not in main_of(html).replace('value="palabrapendiente"', "")
    work.approve("es", msgid, "rita")
    found = results(client.get("/es/search?q=palabrapendiente").get_data(as_text=True))
    assert found == [("/es/infections", "Infecciones <mark>palabrapendiente</mark>")]


def test_english_shown_in_place_of_a_missing_translation_is_searched_and_marked(client):
    html = client.get("/vi/search?q=remission").get_data(as_text=True)
    assert results(html)
    assert '<p lang="en" dir="ltr">' in html.split('<ol class="search-results">', 1)[1]


def test_vietnamese_tone_marks_count_when_typed(app, client):
    page = PAGES["infections"]
    paragraphs = [b for b in page.blocks if b.kind == "paragraph"]
    serve(app, "vi", {paragraphs[0].messages[0].text: "Con có thể bị sốt.",
                      paragraphs[1].messages[0].text: "Không còn sót lại gì."})
    fever = [text for _, text in results(client.get("/vi/search?q=" + quote("sốt")).get_data(as_text=True))]
    assert fever == ["Con có thể bị <mark>sốt</mark>."]
    both = [text for _, text in results(client.get("/vi/search?q=sot").get_data(as_text=True))]
    assert "Con có thể bị <mark>sốt</mark>." in both and "Không còn <mark>sót</mark> lại gì." in both


def test_the_highlight_is_escaped(app, client):
    page = PAGES["tests"]
    serve(app, "es", {page.title.text: "Pruebas <script>alert(1)</script>"})
    html = client.get("/es/search?q=" + quote("<script>")).get_data(as_text=True)
    assert "<script>" not in html
    assert ("/es/tests", "Pruebas <mark>&lt;script&gt;</mark>alert(1)&lt;/script&gt;") in results(html)
    assert 'value="&lt;script&gt;"' in html


def test_a_long_query_gets_a_message_and_an_empty_one_the_form(client):
    response = client.get("/en/search?q=" + "a" * (MAX_QUERY + 1))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f"Your search is too long. Use {MAX_QUERY} letters or fewer" in html
    assert response.headers.get("Set-Cookie") is None
    assert client.get("/en/search?q=" + "a" * MAX_QUERY).status_code == 200
    empty = client.get("/en/search").get_data(as_text=True)
    assert re.search(r'<form class="search-form" role="search" method="get" action="/en/search"', empty)
    assert "Type a word" in empty and "search-results" not in empty


@pytest.mark.parametrize("query", ["\u202e\u200b", "%00", "%ED%A0%80", "%FF%FE", "%C0%80", "\u0301\u0301",
                                   "ﬁ" * 50, "ß", "  ", "🙂" * 101, "a" * 5000, "q=1&q=2"])
def test_odd_queries_never_fail(client, query):
    response = client.get("/es/search?q=" + (query if "%" in query else quote(query)))
    assert response.status_code in (200, 400)
    assert "search-form" in response.get_data(as_text=True) or response.status_code == 400


def test_search_pages_are_not_kept_in_the_page_cache_but_may_be_cached_briefly(app, client):
    cache = app.extensions["pages"]
    before = len(cache)
    for n in range(20):
        response = client.get(f"/en/search?q=word{n}")
        assert response.headers["Cache-Control"].startswith("public, max-age=60")
        assert response.headers.get("Set-Cookie") is None
    assert len(cache) == before


def test_the_index_is_built_once_per_published_catalog(app, client, monkeypatch):
    from portal.families import views

    built = []
    real = views.build_index
    monkeypatch.setattr(views, "build_index", lambda *a: built.append(1) or real(*a))
    serve(app, "es", {PAGES["tests"].title.text: "Pruebas uno"})
    for _ in range(3):
        client.get("/es/search?q=pruebas")
    assert len(built) == 1
    serve(app, "es", {PAGES["tests"].title.text: "Pruebas dos"})
    assert results(client.get("/es/search?q=dos").get_data(as_text=True))[0][1] == "Pruebas <mark>dos</mark>"
    assert len(built) == 2


@pytest.mark.parametrize("tag", TAGS)
def test_every_family_page_has_a_labelled_search_form(client, tag):
    html = client.get(f"/{tag}/outlook").get_data(as_text=True)
    form = re.search(r'<form class="search-form" role="search" method="get" action="/' + tag +
                     r'/search" aria-labelledby="site-search-label">.*?</form>', html, re.S)
    assert form and '<label id="site-search-label" for="site-search">' in form.group(0)
    assert 'name="q"' in form.group(0) and "<script" not in html


def test_the_static_export_has_no_search(shipped_app, tmp_path):
    """The export cannot answer a search (it needs the portal): its pages show no search form and
    link nowhere near it, and it holds no search page."""
    target = tmp_path / "export"
    export.export_static(shipped_app, target, "https://portal.example.org")
    pages = list(target.rglob("*.html"))
    assert pages
    for path in pages:
        html = path.read_text()
        assert "search-form" not in html and "/search" not in html, path
    assert not list(target.rglob("search*"))
    # The portal's own page has the form, and the export's rendering is cached apart from it.
    live = shipped_app.test_client().get("/es/outlook").get_data(as_text=True)
    assert 'role="search"' in live
