"""Preview in context (issue 15): the family page as it will look with a pending text.

Who may open it, that it is never cached or exported, that the pending text is marked and the rest
of the page is exactly what families read now, and that a pending text cannot inject markup.
"""
from __future__ import annotations

import re

import pytest

from portal.translation.identity import message_id
from tests.conftest import signed_in

HOW_WELL = "How well it works"  # a heading of content/treatment.md only
CHEMO = "Chemotherapy and other medicines your child may get"  # another heading of the same page
SKIP = "Skip to main content"  # site text from base.html: on every page
PENDING = "Qué tan bien funciona"
SERVED = "Quimioterapia y otros medicamentos que su hijo puede recibir"
BANNER = "Preview — not what families see"


def mid(msgid: str) -> str:
    return message_id(("", msgid, ""))


def preview_url(msgid: str, code: str = "es", who: str = "translate") -> str:
    return f"/{who}/{code}/preview/{mid(msgid)}"


@pytest.fixture
def pending(people):
    """CHEMO approved and served; HOW_WELL saved by tina, waiting for review."""
    people.translate("es", CHEMO, SERVED, author="tom")
    people.approve("es", CHEMO, "rita")
    people.translate("es", HOW_WELL, PENDING, author="tina")
    return people


def main_of(html: str) -> str:
    return html[html.index('<main id="main"'):html.index("</main>")]


def blocks(html: str) -> list[str]:
    """The page's text blocks (headings, paragraphs, list items) inside <main>, each as HTML."""
    return [m.group(0) for m in re.finditer(r"<(h[1-6]|p|li|dt|dd)\b[^>]*>.*?</\1>", main_of(html), re.S)]


def test_translator_sees_the_pending_text_marked_on_its_family_page(app, pending, tina):
    response = tina.get(preview_url(HOW_WELL))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    banner = re.search(r'<div class="preview-banner" role="status"[^>]*>(.*?)</div>', html, re.S)
    assert banner and BANNER in banner.group(1)
    assert html.index("preview-banner") < html.index('<main id="main"')  # at the top, before the page
    assert '<html lang="es" dir="ltr">' in html
    marked = re.findall(r'<mark class="pending-text">(.*?)</mark>', html, re.S)
    assert len(marked) == 1
    assert '<span class="pending-label" lang="en" dir="ltr">Pending text</span>' in marked[0]
    assert PENDING in marked[0]
    assert re.search(r"<h3 id=\"[^\"]+\"><mark class=\"pending-text\">", html)  # the heading itself is marked
    assert "\ue000" not in html and "\ue001" not in html


def test_the_other_blocks_are_exactly_what_families_read_now(app, pending, tina):
    family = app.test_client().get("/es/treatment").get_data(as_text=True)
    preview = tina.get(preview_url(HOW_WELL)).get_data(as_text=True)
    assert SERVED in family and SERVED in preview  # the served text of another block
    assert PENDING not in family
    family_blocks = [b for b in blocks(family) if HOW_WELL not in b and 'class="notice"' not in b]
    preview_blocks = [b for b in blocks(preview) if "pending-text" not in b and 'class="notice"' not in b]
    assert family_blocks == preview_blocks
    assert len(family_blocks) == len(blocks(family)) - 2  # the pending block and the fallback notice
    # What families read of the pending block now: English, marked as English.
    assert re.search(r'<h3 id="[^"]+" lang="en" dir="ltr">' + re.escape(HOW_WELL) + '</h3>', family)


def test_a_reviewer_opens_it_from_the_review_page(app, pending, rita):
    page = rita.get(f"/review/es/m/{mid(HOW_WELL)}").get_data(as_text=True)
    assert f'href="{preview_url(HOW_WELL, who="review")}"' in page
    response = rita.get(preview_url(HOW_WELL, who="review"))
    assert response.status_code == 200 and PENDING in response.get_data(as_text=True)
    assert f'href="/review/es/m/{mid(HOW_WELL)}"' in response.get_data(as_text=True)  # back to the message


def test_the_translator_page_links_to_it(app, pending, tina):
    page = tina.get(f"/translate/es/m/{mid(HOW_WELL)}").get_data(as_text=True)
    assert f'href="{preview_url(HOW_WELL)}"' in page


def test_roles(app, pending, tina, rita):
    from tests.conftest import person

    person(pending, "tara", [("translator", "ar")])
    tara = signed_in(app, "tara")
    assert tara.get(preview_url(HOW_WELL)).status_code == 403  # another language's translator
    assert tara.get(preview_url(HOW_WELL, code="ar")).status_code == 200  # her own language
    assert tina.get(preview_url(HOW_WELL, who="review")).status_code == 403  # not a reviewer
    assert rita.get(preview_url(HOW_WELL)).status_code == 403  # not a translator
    anonymous = app.test_client().get(preview_url(HOW_WELL))
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/login?next=")
    assert tina.get(f"/translate/es/preview/{'0' * 16}").status_code == 404


def test_never_in_the_families_page_cache(app, pending, tina):
    cache = app.extensions["pages"]
    client = app.test_client()
    before = client.get("/es/treatment")
    assert len(cache) == 1
    bodies = {address: body for address, (_, body) in cache._pages.items()}
    tina.get(preview_url(HOW_WELL))
    tina.get(preview_url(SKIP))
    assert len(cache) == 1 and {a: b for a, (_, b) in cache._pages.items()} == bodies
    after = client.get("/es/treatment")
    assert after.get_data() == before.get_data() and after.headers["ETag"] == before.headers["ETag"]
    assert PENDING not in after.get_data(as_text=True) and "Pending text" not in after.get_data(as_text=True)
    assert "Set-Cookie" not in after.headers


def test_never_in_the_static_export(app, pending, tina, tmp_path):
    tina.get(preview_url(HOW_WELL))
    out = tmp_path / "site"
    result = app.test_cli_runner().invoke(args=["export-static", str(out), "--base-url", "https://example.org"])
    assert result.exit_code == 0, result.output
    files = [p for p in out.rglob("*") if p.is_file()]
    assert any(p.suffix == ".html" for p in files)
    assert not any("preview" in str(p.relative_to(out)) for p in files)
    for path in (p for p in files if p.suffix != ".css"):  # the stylesheet is shared with staff pages
        data = path.read_bytes()
        for needle in (PENDING, "Pending text", BANNER, "pending-label"):
            assert needle.encode() not in data, f"{needle!r} in {path}"


def test_a_pending_text_cannot_inject_markup(app, people, tina):
    # Put there by a file edited outside the portal (a blocking problem: never saved on the web).
    people.translate("es", HOW_WELL, 'Qué <script>alert("x")</script> **bien** <b>funciona</b>')
    html = tina.get(preview_url(HOW_WELL)).get_data(as_text=True)
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;alert" in html and "&lt;b&gt;funciona&lt;/b&gt;" in html
    assert "<strong>bien</strong>" in html  # what the family renderer allows, as for families
    banner = re.search(r'<div class="preview-banner".*?</div>', html, re.S).group(0)
    assert "Blocking problems" in banner and "raw HTML" in banner


def test_site_text_is_shown_on_the_list_of_pages(app, people, tina):
    people.translate("es", SKIP, "Saltar al <i>contenido</i>", author="tina")
    html = tina.get(preview_url(SKIP)).get_data(as_text=True)
    assert "the list of pages" in html
    marked = re.findall(r'<mark class="pending-text">(.*?)</mark>', html, re.S)
    assert len(marked) == 1 and "Saltar al &lt;i&gt;contenido&lt;/i&gt;" in marked[0]


def test_site_text_inside_the_title_and_attributes_is_not_marked(app, people, tina):
    name = "Relapsed childhood leukemia: a guide for families"  # in <title> and the header link
    people.translate("es", name, "Leucemia infantil en recaída", author="tina")
    people.translate("es", "Languages", "Idiomas", author="tina")  # an aria-label
    html = tina.get(preview_url(name)).get_data(as_text=True)
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert "Leucemia infantil en recaída" in title and "<" not in title
    assert '<a class="site-name" href="/es/"><mark class="pending-text">' in html
    html = tina.get(preview_url("Languages")).get_data(as_text=True)
    assert 'aria-label="Idiomas"' in html


def test_a_message_without_translation_shows_the_page_as_families_see_it(app, people, tina):
    response = tina.get(preview_url(HOW_WELL))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "no translation yet" in html
    assert "pending-text" not in html
