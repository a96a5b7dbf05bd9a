"""Translation memory on the translator's message page (portal.translation.memory): similar
English, approved first, at most three, one language, never the message itself, highlighted
differences escaped, copied into the box only when asked and never saved."""
from __future__ import annotations

import html
import re

import polib
import pytest
from sqlalchemy import select

from portal.models import Edit, Unit
from portal.translation import memory, units
from portal.translation.extract import MEDICAL_COMMENT
from portal.translation.identity import message_id
from tests.conftest import csrf_token, login

TARGET = "Give this medicine to your child with food every morning."
EVENING = "Give this medicine to your child with food every evening."  # approved, 95% alike
NIGHT = "Give this medicine to your child with food every night."  # saved, 95%
WATER = "Give this medicine to your child with water every morning."  # saved, 92%
PILL = "Give this pill to your child with food every morning."  # saved, 91%
FEVER = "Call the clinic at once if your child has a fever or chills."  # saved, not alike
ESCAPED = "Give this medicine to your child with food & <b>milk</b> each morning."  # saved
NEW = [TARGET, EVENING, WATER, NIGHT, PILL, FEVER, ESCAPED]
TARGET_MID = message_id(("", TARGET, ""))


def add_messages(work, texts=NEW) -> None:
    """Medical messages of our own in the template, merged into every locale."""
    def change(template):
        for index, text in enumerate(texts):
            entry = polib.POEntry(msgid=text, msgstr="", occurrences=[("content/tests.md", str(900 + index))])
            entry.comment = MEDICAL_COMMENT
            template.append(entry)
    work.change_template(change)


@pytest.fixture
def memory_app(app, work):
    work.user("ana", "translator", "es")
    work.user("tom", "translator", "es")
    work.user("ahmed", "translator", "ar")
    work.user("rita", "reviewer", "es")
    add_messages(work)
    work.translate("es", EVENING, "Dele esta medicina a su hijo con comida cada tarde.", author="tom")
    work.translate("es", WATER, "Dele esta medicina a su hijo con agua cada mañana.", author="tom")
    work.translate("es", NIGHT, "Dele esta medicina a su hijo con comida cada noche.", author="tom")
    work.translate("es", PILL, "Dele esta pastilla a su hijo con comida cada mañana.", author="tom")
    work.translate("es", FEVER, "Llame a la clínica si su hijo tiene fiebre.", author="tom")
    work.approve("es", EVENING, "rita")
    return app


@pytest.fixture
def ana(memory_app):
    client = memory_app.test_client()
    login(client, "ana")
    return client


def suggested(work, msgid=TARGET, locale="es"):
    with work.session() as session:
        unit = units.find(session, locale, msgid)[0]
        return memory.TranslationMemory().suggestions(session, unit)


def page(client, mid=TARGET_MID, code="es", query=""):
    response = client.get(f"/translate/{code}/m/{mid}{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def suggestion_section(text: str) -> str:
    return text.split('id="suggestions-heading"', 1)[1].split("</section>", 1)[0]


def test_similar_texts_are_suggested_approved_first_then_by_similarity_at_most_three(memory_app, work):
    found = suggested(work)
    assert [s.msgid for s in found] == [EVENING, NIGHT, WATER]  # PILL (also alike) is the fourth: left out
    assert [s.approved for s in found] == [True, False, False]
    assert [s.similarity for s in found] == [95, 95, 92]
    assert found[0].forms == ("Dele esta medicina a su hijo con comida cada tarde.",)
    assert found[1].differing == ["night."]  # the words of its English that this message's lacks
    assert found[2].differing == ["water"]


def test_an_approved_text_comes_first_even_when_less_alike(memory_app, work):
    work.approve("es", PILL, "rita")
    found = suggested(work)
    assert [s.msgid for s in found] == [EVENING, PILL, NIGHT]
    assert found[1].similarity < found[2].similarity


def test_the_page_shows_similarity_highlighted_differences_and_a_copy_button(ana):
    section = suggestion_section(page(ana))
    assert section.count('class="suggestion"') == 3
    assert re.search(r"<strong>\d\d% similar</strong>", section)
    assert "<mark>evening.</mark>" in section and "<mark>water</mark>" in section
    assert "Dele esta medicina a su hijo con comida cada tarde." in section
    assert section.count('name="use"') == 3 and f'value="{message_id(("", EVENING, ""))}"' in section
    assert "Llame a la clínica" not in section  # not alike enough
    assert re.search(r'<script src="/static/suggestions\.js\?v=[0-9a-f]{12}" defer></script>', page(ana))


def test_never_the_message_itself_and_no_repeated_texts(memory_app, work, ana):
    work.translate("es", TARGET, "Dele esta medicina a su hijo con comida cada mañana.", author="tom")
    work.approve("es", TARGET, "rita")
    work.translate("es", NIGHT, "Dele esta medicina a su hijo con comida cada tarde.", author="tom")  # = EVENING's
    found = suggested(work)
    assert TARGET not in [s.msgid for s in found]
    assert [s.msgid for s in found] == [EVENING, WATER, PILL]  # NIGHT repeats EVENING's text: offered once
    assert "cada mañana.</textarea>" in page(ana)  # its own text is in the box, not among the suggestions
    assert 'value="' + TARGET_MID + '"' not in suggestion_section(page(ana))


def test_only_the_same_language(memory_app, work, ana):
    work.translate("ar", WATER, "أعط هذا الدواء لطفلك مع الماء كل صباح.", author="ahmed")
    assert "مع الماء" not in suggestion_section(page(ana))
    with work.session() as session:
        unit = units.find(session, "ar", TARGET)[0]
        found = memory.TranslationMemory().suggestions(session, unit)
    assert [(s.msgid, s.forms) for s in found] == [(WATER, ("أعط هذا الدواء لطفلك مع الماء كل صباح.",))]


def test_rejected_fuzzy_and_untranslated_texts_are_not_offered(memory_app, work):
    with work.session() as session:
        from portal.people.accounts import find_user
        from portal.review import rules

        unit = units.find(session, "es", WATER)[0]
        rules.reject(session, unit, find_user(session, "rita"), "Use «tómelo»")
        session.commit()
    work.translate("es", NIGHT, "Dele esta medicina a su hijo con comida cada noche.", author="tom", fuzzy=True)
    assert [s.msgid for s in suggested(work)] == [EVENING, PILL]


def test_the_index_follows_saves_and_approvals(memory_app, work):
    """One memory kept across changes (as a worker keeps it): each change is seen at once."""
    kept = memory.TranslationMemory()

    def now():
        with work.session() as session:
            return [(s.msgid, s.approved) for s in kept.suggestions(session, units.find(session, "es", TARGET)[0])]

    assert now() == [(EVENING, True), (NIGHT, False), (WATER, False)]
    work.translate("es", ESCAPED, "Dele esta medicina a su hijo con comida y leche cada mañana.", author="tom")
    work.approve("es", ESCAPED, "rita")  # now approved: among the first
    assert (ESCAPED, True) in now()[:2]
    with work.session() as session:  # the approval is revoked: no longer approved
        from portal.people.accounts import find_user
        from portal.review import rules
        from portal.review.models import Approval

        approval = session.scalars(select(Approval).where(Approval.msgid == ESCAPED)).one()
        rules.revoke(session, "es", approval.id, find_user(session, "rita"), "Not checked")
        session.commit()
    assert (ESCAPED, True) not in now()


def test_differing_words_are_escaped_inside_the_highlight(memory_app, work, ana):
    work.translate("es", ESCAPED, "Dele esta medicina a su hijo con comida & <b>leche</b> cada mañana.",
                   author="tom")
    work.approve("es", ESCAPED, "rita")  # among the first three
    found = [s for s in suggested(work) if s.msgid == ESCAPED]
    assert found, "the text with markup is offered"
    section = suggestion_section(page(ana))
    assert "<mark>&amp; &lt;b&gt;milk&lt;/b&gt; each</mark>" in section
    assert "&lt;b&gt;leche&lt;/b&gt;" in section
    assert "<b>" not in section


def snapshot(work):
    with work.session() as session:
        rows = [(u.mid, u.forms_json, u.fuzzy, u.revision) for u in session.scalars(
            select(Unit).where(Unit.locale == "es").order_by(Unit.id))]
        return rows, session.query(Edit).count(), units.current_revision(session, "es")


def test_copying_puts_the_text_in_the_box_and_saves_nothing(memory_app, work, ana):
    before = snapshot(work)
    evening = message_id(("", EVENING, ""))
    text = page(ana, query=f"?use={evening}")
    box = re.search(r'<textarea id="form0"[^>]*>(.*?)</textarea>', text, re.S).group(1)
    assert html.unescape(box) == "Dele esta medicina a su hijo con comida cada tarde."
    assert "It is not saved" in text
    assert snapshot(work) == before  # a GET never writes
    # Saving is a separate, explicit step: it saves what the box holds.
    base = re.search(r'name="base" value="(\d+)"', text).group(1)
    response = ana.post(f"/translate/es/m/{TARGET_MID}", data={
        "csrf_token": csrf_token(ana, f"/translate/es/m/{TARGET_MID}"), "base": base, "form0": html.unescape(box)})
    assert response.status_code == 302
    assert work.unit("es", TARGET).forms == ["Dele esta medicina a su hijo con comida cada tarde."]


def test_copying_keeps_the_translators_filter_and_search(memory_app, ana):
    """A GET form replaces its action's query: the filter, the search and the list page travel as
    hidden fields, so after copying "Next message" and "Back to the list" still follow the filter."""
    text = page(ana, query="?state=untranslated&q=medicine")
    form = suggestion_section(text).split('class="copy-suggestion"', 1)[1].split("</form>", 1)[0]
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form))
    assert fields.get("state") == "untranslated" and fields.get("q") == "medicine" and "use" in fields
    copied = page(ana, query="?" + "&".join(f"{k}={v}" for k, v in fields.items()))
    assert "It is not saved" in copied
    assert re.search(r'href="[^"]*/translate/es/\?[^"]*state=untranslated[^"]*"[^>]*>Back to the es messages', copied)


@pytest.mark.parametrize("chosen", ["", "0" * 16, TARGET_MID, "x" * 40, "<script>"])
def test_a_suggestion_that_cannot_be_copied_leaves_the_box_as_it_was(memory_app, work, ana, chosen):
    before = snapshot(work)
    text = page(ana, query=f"?use={chosen}")
    assert re.search(r'<textarea id="form0"[^>]*></textarea>', text)  # still empty
    assert ("cannot be copied any more" in text) == bool(chosen)
    assert "<script>" not in text.split("<main", 1)[1].replace("<script src=", "")
    assert snapshot(work) == before


def test_a_plural_message_is_offered_only_texts_with_as_many_forms(memory_app, work):
    assert all(len(s.forms) == 1 for s in suggested(work))
    with work.session() as session:
        plural = session.scalars(select(Unit).where(Unit.locale == "es", Unit.msgid_plural != "")).first()
        assert all(len(s.forms) == len(plural.forms) for s in memory.TranslationMemory().suggestions(session, plural))


@pytest.mark.parametrize("who, status", [(None, 302), ("ahmed", 403), ("rita", 403)])
def test_the_translator_role_for_the_language_is_needed(memory_app, who, status):
    client = memory_app.test_client()
    if who:
        login(client, who)
    evening = message_id(("", EVENING, ""))
    response = client.get(f"/translate/es/m/{TARGET_MID}?use={evening}")
    assert response.status_code == status
    assert "cada tarde" not in response.get_data(as_text=True)
