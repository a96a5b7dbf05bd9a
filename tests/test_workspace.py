"""The translator's workspace: states, progress, filters, one message, saving, conflicts, history."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from portal.models import Edit, Unit
from portal.people.accounts import find_user
from portal.review import rules
from portal.translation import units
from portal.translation.catalogs import load_po
from portal.translation.identity import entry_fingerprint, fingerprint, message_id
from portal.translation.units import progress
from tests.conftest import csrf_token, login

TITLE = "Tests when leukemia comes back"
INTERFACE = "Skip to main content"
PLURAL = "%(num)s part of this page is not yet reviewed in this language, so it is shown in English."
MID = message_id(("", TITLE, ""))


@pytest.fixture
def ana(app, work):
    work.user("ana", "translator", "es")
    work.user("ahmed", "translator", "ar")
    work.user("rita", "reviewer", "es")
    client = app.test_client()
    login(client, "ana")
    return client


def states(work, code="es") -> dict[str, str]:
    """The stored state of every live unit of a locale, by its English."""
    with work.session() as session:
        return {unit.msgid: unit.state for unit in session.scalars(units.live(code))}


def first_unit(work, where, code="es") -> Unit:
    """The first live unit (template order) that ``where(unit)`` accepts."""
    with work.session() as session:
        return next(unit for unit in session.scalars(units.live(code)) if where(unit))


def snapshot(work, code="es"):
    """Everything a save could change: each unit's text, mark, comment and revision, the number of
    saved versions, and the locale's revision."""
    with work.session() as session:
        rows = [(u.mid, u.forms_json, u.fuzzy, u.translator_comment, u.revision)
                for u in session.scalars(select(Unit).where(Unit.locale == code).order_by(Unit.id))]
        return rows, session.query(Edit).count(), units.current_revision(session, code)


def page_base(client, mid=MID, code="es") -> str:
    """The unit revision a message page's save form is based on."""
    page = client.get(f"/translate/{code}/m/{mid}").get_data(as_text=True)
    return re.search(r'name="base" value="(\d+)"', page).group(1)


def save(client, text, base=None, mid=MID, code="es", **extra):
    base = base or page_base(client, mid, code)
    data = {"csrf_token": csrf_token(client, f"/translate/{code}/m/{mid}"), "base": base}
    if isinstance(text, list):
        data.update({f"form{i}": t for i, t in enumerate(text)})
    else:
        data["form0"] = text
    data.update(extra)
    return client.post(f"/translate/{code}/m/{mid}", data=data)


def test_states_cover_every_case(app, work):
    work.user("ana", "translator", "es")
    work.user("rita", "reviewer", "es")
    work.translate("es", TITLE, "Pruebas", author="ana")
    work.translate("es", "Infections", "Infecciones", author="ana")
    work.translate("es", "Glossary", "Glosario", author="ana")
    work.mark_staff_only(INTERFACE)
    work.translate("es", INTERFACE, "Saltar al contenido")
    work.translate("es", "Page not found", "Página no encontrada", author="ana")  # site text: reviewed
    work.approve("es", "Infections", "rita")
    with work.session() as session:
        rules.reject(session, units.find(session, "es", "Glossary")[0], find_user(session, "rita"),
                     "Use 'Glosario médico'")
        session.commit()
    found = states(work)
    assert found[TITLE] == "awaiting"
    assert found["Infections"] == "approved"
    assert found["Glossary"] == "rejected"
    assert found[INTERFACE] == "translated"
    assert found["Page not found"] == "awaiting"
    assert found["Side effects and support"] == "untranslated"
    with work.session() as session:
        progress = units.progress(session, "es")
    assert progress.strings["approved"] == 1 and progress.strings["rejected"] == 1
    assert progress.total_strings == len(found) == sum(progress.strings.values())
    assert progress.words["awaiting"] == len(TITLE.split()) + len("Page not found".split())
    assert progress.total_words == sum(progress.words.values()) > progress.words["awaiting"]


def test_fuzzy_state_and_filters(app, work):
    work.translate("es", TITLE, "Pruebas de LEUCEMIA", fuzzy=True)
    assert states(work)[TITLE] == "fuzzy"
    with work.session() as session:
        def matching(**filters):
            return [unit.msgid for unit in units.page(session, "es", limit=10**6, **filters)[0]]

        assert matching(state="fuzzy") == [TITLE]
        assert TITLE in matching(query="leucemia")  # translation, any case
        assert TITLE in matching(query="WHEN LEUKEMIA")  # source
        assert matching(query="no such words anywhere") == []


def test_list_page_filters_search_and_pages(ana, work):
    work.translate("es", INTERFACE, "Saltar", author="ana")  # site text: waits for review
    html = ana.get("/translate/es/").get_data(as_text=True)
    total = re.search(r"(\d+) messages match", html).group(1)
    assert int(total) > 400 and "page 1 of" in html
    page2 = ana.get("/translate/es/?page=2").get_data(as_text=True)
    assert '<ol class="message-list" start="51">' in page2
    searched = ana.get("/translate/es/?q=lumbar").get_data(as_text=True)
    assert 0 < int(re.search(r"(\d+) messages? match", searched).group(1)) < 10
    assert "lumbar" in searched.lower()
    done = ana.get("/translate/es/?state=awaiting").get_data(as_text=True)
    assert re.search(r"\b1 message match", done)


def test_warnings_filter(ana, work):
    work.translate("es", TITLE, "Pruebas cuando la leucemia vuelve.", author="ana")  # ending punctuation
    html = ana.get("/translate/es/?warnings=1").get_data(as_text=True)
    assert re.search(r"\b1 message match", html) and TITLE in html


def test_message_page_shows_everything_a_translator_needs(ana, work):
    html = ana.get(f"/translate/es/m/{MID}").get_data(as_text=True)
    assert f'<p class="source" lang="en" dir="ltr">{TITLE}</p>' in html
    assert 'href="/es/tests"' in html and "content/tests.md" in html  # where it appears
    assert "<dt lang=\"en\">Leukemia</dt>" in html  # glossary entry for a term in it
    assert "Page title." in html  # the extracted comment
    assert 'lang="es" dir="ltr"' in html and 'name="base"' in html


def test_message_page_shows_the_note_for_the_medical_reviewer_once_and_whole(ana, work):
    unit = first_unit(work, lambda u: "reviewer: " in u.extracted)
    html = ana.get(f"/translate/es/m/{unit.mid}").get_data(as_text=True)
    notes = html[html.index("<h2>Notes</h2>"):]
    notes = notes[:notes.index("</ul>")]
    assert "<strong>For the medical reviewer to confirm:</strong> The PDQ lists chemotherapy" in notes
    assert "Please confirm.</li>" in notes and notes.count("<li>") == 3  # kind, hint, the note
    assert "reviewer: " not in notes
    assert "For the medical reviewer" not in ana.get(f"/translate/es/m/{MID}").get_data(as_text=True)


def test_message_page_shows_the_languages_term_policy_and_warns_where_it_is_broken(ana, work):
    title = "Treatment for relapsed ALL"
    mid = message_id(("", title, ""))
    assert save(ana, "Tratamiento de la ALL que volvió", mid=mid).status_code == 302
    html = ana.get(f"/translate/es/m/{mid}").get_data(as_text=True)
    assert "<h2>Term policy for Spanish</h2>" in html and "Use LLA and SNC, never ALL and CNS." in html
    assert "write &#39;LLA&#39;, not &#39;ALL&#39;, in this language (term policy)" in html
    assert save(ana, "Tratamiento de la LLA que volvió", mid=mid).status_code == 302
    assert "(term policy)" not in ana.get(f"/translate/es/m/{mid}").get_data(as_text=True)


def test_arabic_plural_message_has_six_fields_with_example_numbers(app, work):
    client = app.test_client()
    login(client, "ahmed") if work.user("ahmed", "translator", "ar") else None
    mid = message_id(("", PLURAL, PLURAL.replace("part of this page is", "parts of this page are")
                                .replace("so it is", "so they are")))
    html = client.get(f"/translate/ar/m/{mid}").get_data(as_text=True)
    assert html.count('<textarea id="form') == 6
    assert 'dir="rtl"' in html and 'lang="ar"' in html
    assert "Used for numbers like 0" in html and "Used for numbers like 1" in html
    assert "Used for numbers like 3, 4, 5, 6, 7, 8" in html


def test_fuzzy_message_shows_what_changed_in_the_english(app, ana, work):
    # As `flask translate update` leaves a translation carried over to a changed English.
    work.translate("es", TITLE, "Pruebas si vuelve", fuzzy=True)
    with work.session() as session:
        units.find(session, "es", TITLE)[0].previous_msgid = "Tests if leukemia is back"
        session.commit()
    html = ana.get(f"/translate/es/m/{MID}").get_data(as_text=True)
    assert "What changed in the English" in html
    assert re.search(r"<del><span class=\"visually-hidden\">removed: </span>if</del>", html)
    assert re.search(r"<ins><span class=\"visually-hidden\">added: </span>when</ins>", html)


def template_side(work, code="es"):
    """What the template gives every unit of a locale (a save never changes it)."""
    with work.session() as session:
        return {u.mid: (u.kind, u.position, u.extracted, u.occurrences_json, u.template_flags_json, u.obsolete)
                for u in session.scalars(select(Unit).where(Unit.locale == code))}


def test_save_stores_the_unit_keeps_its_template_side_and_records_history(app, ana, work):
    before = template_side(work)
    with work.session() as session:
        revision = units.current_revision(session, "es")
    response = save(ana, "Pruebas cuando la leucemia vuelve")
    assert response.status_code == 302
    assert "waits for review" in ana.get(response.headers["Location"]).get_data(as_text=True)
    assert work.unit("es", TITLE).forms == ["Pruebas cuando la leucemia vuelve"]
    assert template_side(work) == before
    with work.session() as session:
        edits = session.scalars(select(Edit)).all()
        assert [(e.msgid, e.author.username, e.revision, e.origin) for e in edits] == \
            [(TITLE, "ana", revision + 1, "web")]
        assert units.current_revision(session, "es") == revision + 1


@pytest.fixture
def bea(app, work):
    work.user("bea", "translator", "es")
    client = app.test_client()
    login(client, "bea")
    return client


def test_stale_save_is_a_conflict_showing_both_versions(app, ana, bea, work):
    old_base = page_base(ana)
    assert save(bea, "Versión de Bea").status_code == 302
    response = save(ana, "Versión de Ana", base=old_base)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Versión de Bea" in html and "Versión de Ana" in html and "saved by bea" in html
    assert work.unit("es", TITLE).forms == ["Versión de Bea"]
    # Choosing "save mine over theirs" posts their revision as the base.
    theirs = re.search(r'name="base" value="(\d+)"', html.split('id="conflict-heading"')[1]).group(1)
    assert int(theirs) == work.unit("es", TITLE).revision
    assert save(ana, "Versión de Ana", base=theirs).status_code == 302
    assert work.unit("es", TITLE).forms == ["Versión de Ana"]


def test_saving_the_same_text_someone_else_saved_is_not_a_conflict(app, ana, work):
    old_base = page_base(ana)
    work.translate("es", TITLE, "Pruebas")
    assert int(old_base) != work.unit("es", TITLE).revision  # the page is stale ...
    assert save(ana, "Pruebas", base=old_base).status_code == 302  # ... but it wants what the unit holds
    assert work.unit("es", TITLE).forms == ["Pruebas"] and not work.unit("es", TITLE).fuzzy


def test_saving_exactly_what_stands_records_nothing_and_keeps_the_locale_revision(app, ana, work):
    """A second click on Save (or a page sent again) is no save: no history row, no new author,
    and the locale's revision (every download's stamp) stays, so no upload becomes stale by it."""
    assert save(ana, "Pruebas").status_code == 302
    before = snapshot(work)
    response = save(ana, "Pruebas")
    assert response.status_code == 302
    assert snapshot(work) == before


def test_sending_again_an_imported_text_that_fails_a_check_is_refused_not_saved(app, ana, work):
    """A file edited outside the portal brought in a text with a blocking problem (kept, never
    served). A translator who sends it back unchanged is told what is wrong, not "Saved."."""
    unit = first_unit(work, lambda u: u.msgid.startswith(UK_STUDY))
    mid = unit.mid
    work.translate("es", unit.msgid, UK_ES.replace("2 mezclas", "3 mezclas"))  # no author: as an import
    before = snapshot(work)
    response = save(ana, UK_ES.replace("2 mezclas", "3 mezclas"), mid=mid)
    assert response.status_code == 400
    assert "The English has 2; your translation has 3" in response.get_data(as_text=True)
    assert snapshot(work) == before


def test_a_stale_save_is_a_conflict_when_only_the_fuzzy_mark_changed(app, ana, bea, work):
    """Bea marks the text "needs edit"; Ana, from a page opened before, saves the same words
    unmarked: that would silently undo Bea's mark, so it is a conflict and the mark stays."""
    work.translate("es", TITLE, "Pruebas", author="ana")
    old_base = page_base(ana)
    assert save(bea, "Pruebas", fuzzy="1").status_code == 302
    before = snapshot(work)
    response = save(ana, "Pruebas", base=old_base)
    assert response.status_code == 409
    assert "Someone else changed this message" in response.get_data(as_text=True)
    assert work.unit("es", TITLE).fuzzy and work.unit("es", TITLE).forms == ["Pruebas"]
    assert snapshot(work) == before


def test_a_stale_save_is_not_a_conflict_when_the_unit_now_holds_exactly_what_it_sends(app, ana, bea, work):
    work.translate("es", TITLE, "Pruebas", author="ana")
    old_base = page_base(ana)
    assert save(bea, "Pruebas revisadas", fuzzy="1").status_code == 302
    assert int(old_base) != work.unit("es", TITLE).revision
    assert save(ana, "Pruebas revisadas", base=old_base, fuzzy="1").status_code == 302
    unit = work.unit("es", TITLE)
    assert (unit.forms, unit.fuzzy) == (["Pruebas revisadas"], True)


def test_a_template_update_makes_no_open_editor_stale(app, ana, work):
    """Before: `flask translate update` rewrote the template's side of a unit (its position, where
    it appears) through the ORM, which raised its revision: every page opened before a deploy
    that moved messages got a conflict for a text nobody had changed."""
    import polib

    work.translate("es", TITLE, "Pruebas")
    old_base = page_base(ana)

    def moved(template):
        template.insert(0, polib.POEntry(msgid="A message new at the top", msgstr=""))
        entry = template.find(TITLE)
        entry.occurrences = [*entry.occurrences, ("content/new-page.md", "3")]

    work.change_template(moved)
    assert ("content/new-page.md", "3") in work.unit("es", TITLE).occurrences
    assert work.unit("es", TITLE).revision == int(old_base)
    assert save(ana, "Pruebas cuando vuelve", base=old_base).status_code == 302
    assert work.unit("es", TITLE).forms == ["Pruebas cuando vuelve"]


UK_STUDY = "A study in the United Kingdom tested 2 mixes of 4 drugs."
UK_ES = ("Un estudio en el Reino Unido probó 2 mezclas de 4 medicamentos. La primera tenía "
         "[idarubicina](glossary:idarubicin). La segunda tenía mitoxantrona.")


@pytest.mark.parametrize("msgid, text, message", [
    (UK_STUDY, UK_ES.replace("2 mezclas", "3 mezclas"), "The English has 2; your translation has 3"),
    (UK_STUDY, UK_ES.replace("2 mezclas", "tres mezclas"), "The English has 2; your translation has 3"),
    (UK_STUDY, UK_ES + " ![x](https://tracker.example/p.png)", "an image"),
    (UK_STUDY, UK_ES.replace("4 medicamentos", "<b>4</b> medicamentos"), "raw HTML"),
    (UK_STUDY, UK_ES + " www.example.com", "the web address"),
    (UK_STUDY, UK_ES + " <https://example.org>", "an autolink"),
    (UK_STUDY, "# " + UK_ES, "a heading"),
    (UK_STUDY, "- " + UK_ES, "a list"),
    (UK_STUDY, UK_ES.replace("4 medicamentos", "`4` medicamentos"), "code"),
    (UK_STUDY, UK_ES.replace("Un estudio", "Un\u202eestudio"), "U+202E (RIGHT-TO-LEFT OVERRIDE), at position 3"),
    (UK_STUDY, UK_ES.replace("Un estudio", "Un\u2066estudio"), "U+2066 (LEFT-TO-RIGHT ISOLATE)"),
    (UK_STUDY, UK_ES.replace("Un estudio", "Un\u200bestudio"), "U+200B (ZERO WIDTH SPACE)"),
    (UK_STUDY, UK_ES + "\x00", "NUL character"),  # refused for every form field, before the checks
    (UK_STUDY, UK_ES.replace("Un estudio", "Un\u2029estudio"), "U+2029 (PARAGRAPH SEPARATOR)"),
    (UK_STUDY, UK_ES.replace("Un estudio", "Un\x0bestudio"), "U+000B"),
    (UK_STUDY, UK_ES.replace("Un estudio", "Un\x85estudio"), "U+0085"),
])
def test_blocking_check_refuses_the_save_and_writes_nothing(app, ana, work, msgid, text, message):
    mid = first_unit(work, lambda u: u.msgid.startswith(msgid)).mid
    before = snapshot(work)
    response = save(ana, text, mid=mid)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert snapshot(work) == before
    with work.session() as session:
        assert session.scalars(select(Edit)).all() == []


@pytest.mark.parametrize("text", [UK_ES.replace("2 mezclas de 4", "dos mezclas de cuatro"),
                                  UK_ES.replace("Un estudio", "Un solo estudio"),
                                  UK_ES.replace("mezclas", "mez\u200dclas")])
def test_numbers_as_words_and_script_joiners_are_accepted(app, ana, work, text):
    unit = first_unit(work, lambda u: u.msgid.startswith(UK_STUDY))
    assert save(ana, text, mid=unit.mid).status_code == 302
    assert work.unit("es", unit.msgid).forms == [text]


def test_changed_link_refuses_the_save(app, ana, work):
    unit = first_unit(work, lambda u: "](glossary:" in u.msgid)
    response = save(ana, re.sub(r"\]\(glossary:[^)]+\)", "](https://example.org)", unit.msgid), mid=unit.mid)
    assert response.status_code == 400 and "Keep each link" in response.get_data(as_text=True)


def test_warnings_are_stored_with_the_edit_for_the_reviewer(app, ana, work):
    assert save(ana, "Pruebas cuando la leucemia vuelve.").status_code == 302
    with work.session() as session:
        edit = session.scalars(select(Edit)).one()
        assert any("ending punctuation" in w for w in edit.warnings)


def test_plural_save_needs_every_form(app, work):
    client = app.test_client()
    work.user("ahmed", "translator", "ar")
    login(client, "ahmed")
    unit = first_unit(work, lambda u: u.msgid_plural, code="ar")
    forms = [f"%(num)s صيغة {word}" for word in ("صفر", "واحد", "اثنان", "قليل", "كثير", "أخرى")]
    assert save(client, forms, mid=unit.mid, code="ar").status_code == 302
    assert work.unit("ar", unit.msgid).forms == forms
    assert work.entry("ar", unit.msgid).msgstr_plural == dict(enumerate(forms))


def test_marking_fuzzy_and_clearing_it(app, ana, work):
    save(ana, "Pruebas", fuzzy="1")
    assert work.unit("es", TITLE).fuzzy and "fuzzy" in work.entry("es", TITLE).flags
    assert work.unit("es", TITLE).state == "fuzzy"
    save(ana, "Pruebas")
    assert not work.unit("es", TITLE).fuzzy and "fuzzy" not in work.entry("es", TITLE).flags
    assert work.unit("es", TITLE).state == "awaiting"


def test_revert_restores_an_earlier_version_as_a_new_edit(app, ana, work):
    save(ana, "Primera versión")
    save(ana, "Segunda versión")
    with work.session() as session:
        first = session.scalars(select(Edit).order_by(Edit.id)).first().id
    base = page_base(ana)
    response = ana.post(f"/translate/es/m/{MID}/revert/{first}",
                        data={"csrf_token": csrf_token(ana, f"/translate/es/m/{MID}"), "base": base})
    assert response.status_code == 302
    assert work.unit("es", TITLE).forms == ["Primera versión"]
    with work.session() as session:
        origins = [e.origin for e in session.scalars(select(Edit).order_by(Edit.id))]
    assert origins == ["web", "web", "revert"]
    html = ana.get(f"/translate/es/m/{MID}").get_data(as_text=True)
    assert html.count("Restore this version") == 1  # the second; the others equal the current text


def test_revert_refuses_a_version_of_another_message(app, ana, work):
    save(ana, "Primera versión")
    other = message_id(("", "Infections", ""))
    with work.session() as session:
        edit_id = session.scalars(select(Edit)).first().id
    base = page_base(ana, other)
    response = ana.post(f"/translate/es/m/{other}/revert/{edit_id}",
                        data={"csrf_token": csrf_token(ana, f"/translate/es/m/{other}"), "base": base})
    assert response.status_code == 400 and "does not belong" in response.get_data(as_text=True)


def test_rejection_reason_is_shown_to_the_translator(app, ana, work):
    save(ana, "Pruebas")
    with work.session() as session:
        rules.reject(session, units.get(session, "es", MID), find_user(session, "rita"),
                     "Say 'análisis', families know it better.")
        session.commit()
    html = ana.get(f"/translate/es/m/{MID}").get_data(as_text=True)
    assert "Rejected by" in html and "Say &#39;análisis&#39;, families know it better." in html


def test_translator_text_is_escaped_everywhere_in_the_workspace(ana, work):
    refused = save(ana, "<script>alert()</script>")  # markup is refused, and the refusal shows it as text
    assert refused.status_code == 400
    assert "<script>alert()</script>" not in refused.get_data(as_text=True)
    work.translate("es", TITLE, "<script>alert()</script>")  # ... but a file edited by hand can hold it
    for url in ("/translate/es/?q=script", f"/translate/es/m/{MID}"):
        html = ana.get(url).get_data(as_text=True)
        assert "<script>alert()</script>" not in html and "&lt;script&gt;alert()&lt;/script&gt;" in html


def test_unknown_message_is_404(ana):
    assert ana.get("/translate/es/m/0000000000000000").status_code == 404


def test_cli_status_and_check(app, runner, work):
    work.translate("es", TITLE, "Pruebas")
    status = runner.invoke(args=["translate", "status"])
    assert status.exit_code == 0 and "awaiting" in status.output
    assert runner.invoke(args=["translate", "check", "es"]).exit_code == 0
    unit = first_unit(work, lambda u: "100" in u.msgid and not u.msgid_plural)
    work.translate("es", unit.msgid, "sin números")
    result = runner.invoke(args=["translate", "check", "es"])
    assert result.exit_code == 1 and "BLOCKING" in result.output and "your translation does not" in result.output


def test_fingerprints_in_history_match_the_saved_text(app, ana, work):
    save(ana, "Pruebas finales")
    with work.session() as session:
        edit = session.scalars(select(Edit)).one()
        assert edit.fingerprint == fingerprint(("", TITLE, ""), ["Pruebas finales"])
        assert json.loads(edit.translation_json) == ["Pruebas finales"]
    assert work.unit("es", TITLE).fingerprint == edit.fingerprint
    assert entry_fingerprint(work.entry("es", TITLE)) == edit.fingerprint


def test_a_plural_text_with_one_empty_form_is_not_counted_as_translated(app, work):
    """A file edited outside the portal (or any path that skips the form) can bring a plural text
    with one form left empty: families would get nothing for that number, so the message stays
    untranslated in the state, the progress, the list's filter and the gate."""
    plural = next(e.msgid for e in load_po(work.paths.template) if e.msgid_plural)
    with work.session() as session:
        before = progress(session, "ar").strings["untranslated"]
    forms = [f"%(num)s صيغة {word}" for word in ("صفر", "واحد", "اثنان", "قليل", "كثير")] + [""]
    work.translate("ar", plural, forms)
    assert work.unit("ar", plural).forms == forms, "the text is kept as written"
    assert work.unit("ar", plural).state == "untranslated"
    with work.session() as session:
        assert progress(session, "ar").strings["untranslated"] == before
    work.translate("ar", plural, forms[:-1] + ["%(num)s صيغة أخرى"])
    assert work.unit("ar", plural).state != "untranslated"
    with work.session() as session:
        assert progress(session, "ar").strings["untranslated"] == before - 1


def test_a_change_bound_to_a_text_is_refused_when_the_unit_holds_another(work):
    """An import binds each change to the server text its preview read (``expected_fingerprint``):
    if the unit holds another text by the time it is written, it is a Conflict and nothing is saved,
    even with no revision to compare (``base`` None)."""
    from portal.translation.checks import Terms

    work.user("ana", "translator", "es")
    work.translate("es", TITLE, "Pruebas cuando la leucemia vuelve", author="ana")
    previewed = fingerprint(("", TITLE, ""), ["Texto que la vista previa leyó"])
    before = snapshot(work)
    with work.session() as session:
        with pytest.raises(units.Conflict):
            units.apply_changes(session, "es", [units.Change(MID, ["Del archivo"], None,
                                                             expected_fingerprint=previewed)],
                                find_user(session, "ana"), Terms(), origin="import")
        session.rollback()
    assert snapshot(work) == before
    with work.session() as session:  # bound to the text it holds: applied
        current = units.get(session, "es", MID).fingerprint
        units.apply_changes(session, "es", [units.Change(MID, ["Del archivo"], None, expected_fingerprint=current)],
                            find_user(session, "ana"), Terms(), origin="import")
        session.commit()
    assert work.unit("es", TITLE).forms == ["Del archivo"]


def test_the_latest_objection_to_a_text_names_its_state(work):
    """Rejected, then approved, then revoked: "revoked" (the revocation is the latest word); rejected
    again after that: "rejected"."""
    work.user("ana", "translator", "es")
    work.user("rita", "reviewer", "es")
    work.translate("es", TITLE, "Pruebas cuando la leucemia vuelve", author="ana")

    def reject():
        with work.session() as session:
            rules.reject(session, units.get(session, "es", MID), find_user(session, "rita"), "Revise el título.")
            session.commit()

    reject()
    assert states(work)[TITLE] == "rejected"
    work.approve("es", TITLE, "rita")
    assert states(work)[TITLE] == "approved"
    with work.session() as session:
        approval = rules.current_approval(session, "es", units.get(session, "es", MID).fingerprint)
        rules.revoke(session, "es", approval.id, find_user(session, "rita"), "Un dato cambió.")
        session.commit()
    assert states(work)[TITLE] == "revoked"
    reject()
    assert states(work)[TITLE] == "rejected"


@pytest.mark.parametrize("asked, total, size, expected", [
    (1, 0, 50, (1, 1)),      # an empty list has one, empty, page
    (1, 50, 50, (1, 1)),
    (2, 51, 50, (2, 2)),
    (9, 120, 50, (3, 3)),    # past the end: the last page
    (3, 101, 100, (2, 2)),   # the trail's page size
])
def test_every_paged_list_counts_its_pages_the_same_way(asked, total, size, expected):
    from portal.translation import workspace

    assert workspace.clamp_page(asked, total, size) == expected
    assert [workspace.page_holding(i, size) for i in (0, size - 1, size, 2 * size)] == [1, 1, 2, 3]
