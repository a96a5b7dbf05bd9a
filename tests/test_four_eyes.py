"""Four eyes (docs/design.md, invariant 3) against an attacker: whoever saved the same words for the same
message is their author, through every path, across changes of the English and rewrites by tools.

Before this, authorship was keyed by a fingerprint that included the English and the exact
characters: after the English changed and a colleague confirmed the carried-over text, or after a
tool rewrote spaces or line breaks, the writer was no longer its author and could approve it.
"""
from __future__ import annotations

import unicodedata

import polib
import pytest

from portal.models import Approval, Edit
from portal.translation import pofile
from portal.translation.catalogs import load_po
from portal.translation.identity import entry_fingerprint, normalized_words, words_fingerprint
from tests.conftest import Workflow, csrf_token, person, signed_in
from tests.test_review import HOW_WELL, approve, html_of, review_url, rows, save_text, upload_po, user_id

NEW_ENGLISH = "How well the treatment works"
NEWER_ENGLISH = "How well the treatments work"
TEXT = "Qué tan bien funciona el tratamiento"


@pytest.fixture
def tess(app, people):
    """Translates and reviews Spanish: the person four eyes is about."""
    person(people, "tess", [("translator", "es"), ("reviewer", "es")], display_name="Tess Torres")
    return signed_in(app, "tess")


def change_english(app, runner, old: str, new: str) -> None:
    """The content's English changes: a new template, then `flask translate update`."""
    template_file = Workflow(app).paths.template
    template = load_po(template_file)
    template.find(old).msgid = new
    template_file.write_text(pofile.dumps(template), encoding="utf-8")
    result = runner.invoke(args=["translate", "update", "es"])
    assert result.exit_code == 0, result.output


def refused_to(client, work, msgid: str) -> bool:
    """The review page offers no Approve button and a direct post is refused with nothing recorded."""
    html = html_of(client, review_url(msgid))
    offered = f'action="{review_url(msgid)}/approve"' in html
    before = len(rows(work, Approval))
    response = approve(client, msgid, seen=entry_fingerprint(work.entry("es", msgid)))
    refused = response.status_code == 403 and "you wrote this text" in response.get_data(as_text=True)
    return not offered and refused and len(rows(work, Approval)) == before


def test_the_writer_cannot_approve_their_words_after_the_english_changed_and_a_colleague_confirmed(
        app, runner, people, tess, tina, rita):
    save_text(tess, HOW_WELL, TEXT)
    change_english(app, runner, HOW_WELL, NEW_ENGLISH)
    entry = people.entry("es", NEW_ENGLISH)
    assert "fuzzy" in entry.flags and entry.msgstr == TEXT  # carried over, waiting for a translator
    save_text(tina, NEW_ENGLISH, TEXT)  # confirms the same words under the new English
    assert refused_to(tess, people, NEW_ENGLISH)
    assert approve(rita, NEW_ENGLISH).status_code == 302
    [approval] = rows(people, Approval)
    assert approval.author_known and approval.author_id is None  # two authors: "several people"


def test_confirming_by_upload_or_by_hand_or_after_two_changes_keeps_the_writer(app, runner, people, tess, tina, rita):
    save_text(tess, HOW_WELL, TEXT)
    change_english(app, runner, HOW_WELL, NEW_ENGLISH)
    change_english(app, runner, NEW_ENGLISH, NEWER_ENGLISH)  # nobody confirmed the middle one
    # Confirmed in Poedit (fuzzy flag removed) and uploaded by a colleague:
    po = polib.pofile(tina.get("/translate/es/download").get_data(as_text=True))
    entry = po.find(NEWER_ENGLISH)
    entry.flags.remove("fuzzy")
    entry.previous_msgid = None
    upload_po(tina, pofile.dumps(po).encode())
    assert "fuzzy" not in people.entry("es", NEWER_ENGLISH).flags
    assert refused_to(tess, people, NEWER_ENGLISH)


def test_confirmed_in_the_file_outside_the_portal_keeps_the_writer(app, runner, people, tess, rita):
    save_text(tess, HOW_WELL, TEXT)
    change_english(app, runner, HOW_WELL, NEW_ENGLISH)
    assert runner.invoke(args=["translate", "export", "es"]).exit_code == 0
    path = people.paths.po("es")
    catalog = load_po(path)
    entry = catalog.find(NEW_ENGLISH)
    assert "fuzzy" in entry.flags and entry.previous_msgid == HOW_WELL
    entry.flags, entry.previous_msgid = [], None  # the fuzzy mark and the old English, removed by hand
    path.write_text(pofile.dumps(catalog), encoding="utf-8")
    result = runner.invoke(args=["translate", "import", "es", "--replace"])
    assert result.exit_code == 0 and "es: 1 imported" in result.output, result.output
    assert "fuzzy" not in people.entry("es", NEW_ENGLISH).flags  # confirmed, by an unknown author
    assert rows(people, Edit)[-1].author_id is None and rows(people, Edit)[-1].origin == "import"
    assert refused_to(tess, people, NEW_ENGLISH)
    assert approve(rita, NEW_ENGLISH).status_code == 302  # someone else may


def test_the_cli_refuses_the_writer_too(app, runner, people, tess):
    save_text(tess, HOW_WELL, TEXT)
    change_english(app, runner, HOW_WELL, NEW_ENGLISH)
    save_text(signed_in(app, "tina"), NEW_ENGLISH, TEXT)
    result = runner.invoke(args=["review", "approve", "es", "--reviewer", "tess", "--msgid", NEW_ENGLISH])
    assert result.exit_code == 1 and "you wrote this text" in result.output
    all_of_them = runner.invoke(args=["review", "approve", "es", "--reviewer", "tess", "--all"])
    assert "you wrote this text" in all_of_them.output
    assert rows(people, Approval) == []


def rewrite_in_file(app, msgid: str, rewrite) -> str:
    """A tool rewrites the text in the catalog, and it comes back in as edited outside the portal
    (no author; kept as it is, blocking problems and all, as an adopted catalog is)."""
    work = Workflow(app)
    text = rewrite(work.entry("es", msgid).msgstr)
    work.translate("es", msgid, text)
    assert work.entry("es", msgid).msgstr == text
    return text


REWRITES = {
    "NFD": lambda text: unicodedata.normalize("NFD", text),  # decomposed accents
    "no-break spaces": lambda text: text.replace(" ", "\u00a0"),
    "doubled spaces": lambda text: text.replace(" ", "  "),
    "newline": lambda text: text.replace(" el ", " el\n"),  # wrapped onto two lines
    "line separator": lambda text: text.replace(" el ", " el\u2028"),
    "tab": lambda text: text.replace(" el ", " el\t"),
    "invisible": lambda text: "\ufeff" + text.replace("bien", "bi\u200ben") + " ",  # BOM, zero-width space
}


@pytest.mark.parametrize("name", list(REWRITES))
def test_a_tool_that_rewrites_the_text_does_not_make_its_writer_someone_else(app, people, tess, name):
    from portal.review.rules import unit_authors
    from portal.translation import units

    save_text(tess, HOW_WELL, TEXT)
    rewritten = rewrite_in_file(app, HOW_WELL, REWRITES[name])
    assert rewritten != TEXT and normalized_words(rewritten) == normalized_words(TEXT)
    assert words_fingerprint([rewritten]) == words_fingerprint([TEXT])
    with people.session() as session:
        unit = units.find(session, "es", HOW_WELL)[0]
        assert unit.forms == [rewritten]
        assert unit_authors(session, unit) == {user_id(people, "tess"), None}


@pytest.mark.parametrize("name", ["NFD", "no-break spaces", "doubled spaces"])
def test_after_a_rewrite_the_writer_still_cannot_approve_and_a_colleague_can(app, people, tess, rita, name):
    """(The other rewrites add characters that are blocking problems: nobody may approve those.)"""
    save_text(tess, HOW_WELL, TEXT)
    rewrite_in_file(app, HOW_WELL, REWRITES[name])
    assert refused_to(tess, people, HOW_WELL)
    assert approve(rita, HOW_WELL).status_code == 302


def test_other_words_or_another_message_are_not_the_writers(app, people, tess, tina, rita):
    """Four eyes is not over-broad: a colleague's different words, or the same words for another
    message, may be approved by someone who wrote something else."""
    save_text(tess, HOW_WELL, TEXT)
    save_text(tina, HOW_WELL, TEXT + " hoy")  # different words, by tina
    assert approve(tess, HOW_WELL).status_code == 302
    other = "Newer kinds of treatment"
    save_text(tess, other, "Sí")
    save_text(tina, "If treatment is not working", "Sí")  # the same word, for another message
    assert approve(tess, "If treatment is not working").status_code == 302
    assert approve(tess, other, seen=entry_fingerprint(people.entry("es", other))).status_code == 403


def test_the_queue_names_every_author_of_the_words(app, runner, people, tess, tina, rita):
    save_text(tess, HOW_WELL, TEXT)
    change_english(app, runner, HOW_WELL, NEW_ENGLISH)
    save_text(tina, NEW_ENGLISH, TEXT)
    html = html_of(rita, review_url(NEW_ENGLISH))
    assert "Written by Tess Torres, Tina Torres." in html
    token = csrf_token(rita, review_url(NEW_ENGLISH))
    assert token  # the reviewer's page is a form page: a reviewer who wrote nothing may approve
