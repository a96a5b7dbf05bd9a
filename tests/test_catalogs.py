"""Extraction, the template, its merge into the units of every locale, and the repository's
catalogs as gettext tools and Poedit expect them."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import polib
import pytest
from babel.messages.plurals import get_plural
from sqlalchemy import delete, select

from portal.families.content import load_pages
from portal.locales import TRANSLATED_LOCALES
from portal.translation import catalogs, files, units
from portal.translation.extract import MEDICAL_COMMENT, SITE_COMMENT
from portal.translation.models import SourceChange, Unit
from tests.conftest import msgfmt_check

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
CODES = [loc.code for loc in TRANSLATED_LOCALES]


def test_committed_template_is_current():
    """Fails when content/ or a template changed without `flask translate extract`."""
    assert catalogs.template_is_current(ROOT, ROOT / "babel.cfg", TRANSLATIONS / "messages.pot"), \
        "translations/messages.pot is stale: run `flask translate extract` and `flask translate update`"


def test_staleness_is_detected(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(ROOT / "content", project / "content")
    shutil.copytree(ROOT / "portal", project / "portal", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "babel.cfg", project / "babel.cfg")
    template = project / "translations" / "messages.pot"
    assert catalogs.write_template(project, project / "babel.cfg", template) is True
    assert catalogs.write_template(project, project / "babel.cfg", template) is False  # no churn
    page = project / "content" / "tests.md"
    page.write_text(page.read_text() + "\nA brand new paragraph.\n")
    assert not catalogs.template_is_current(project, project / "babel.cfg", template)


def test_every_content_block_is_one_medical_message_at_its_line():
    template = polib.pofile(str(TRANSLATIONS / "messages.pot"))
    by_id = {entry.msgid: entry for entry in template}
    pages = load_pages(ROOT / "content")
    count = 0
    for page in pages.values():
        lines = (ROOT / page.path).read_text(encoding="utf-8").splitlines()
        for message in page.messages():
            entry = by_id.get(message.text)
            assert entry is not None, f"{page.path}:{message.lineno} not extracted"
            assert (page.path, str(message.lineno)) in entry.occurrences
            assert MEDICAL_COMMENT in entry.comment.splitlines()
            first_words = message.text.split()[0].lstrip("*[")
            assert first_words in lines[message.lineno - 1], f"{page.path}:{message.lineno} wrong line"
            count += 1
    assert count > 300


def test_markdown_inline_syntax_is_kept_in_messages():
    template = polib.pofile(str(TRANSLATIONS / "messages.pot"))
    assert any("](glossary:" in entry.msgid for entry in template)
    assert any("**" in entry.msgid for entry in template) or any("*" in e.msgid for e in template)


def test_family_template_strings_are_extracted_as_site_text():
    template = polib.pofile(str(TRANSLATIONS / "messages.pot"))
    entry = template.find("Skip to main content")
    assert entry is not None
    assert any(ref.startswith("portal/templates/") for ref, _ in entry.occurrences)
    assert MEDICAL_COMMENT not in (entry.comment or "")
    assert SITE_COMMENT in (entry.comment or "")
    assert any(e.msgid_plural for e in template), "the fallback notice is a plural message"


@pytest.mark.parametrize("code", CODES)
def test_committed_catalog_passes_msgfmt_check(code):
    path = TRANSLATIONS / code / "LC_MESSAGES" / "messages.po"
    msgfmt_check(path)


@pytest.mark.parametrize("code", CODES)
def test_committed_catalog_headers_come_from_cldr(code):
    catalog = polib.pofile(str(TRANSLATIONS / code / "LC_MESSAGES" / "messages.po"))
    assert catalog.metadata["Language"] == code
    assert catalog.metadata["Plural-Forms"] == str(get_plural(code))
    assert "charset=utf-8" in catalog.metadata["Content-Type"].lower()


@pytest.mark.parametrize("code", CODES)
def test_committed_catalog_holds_every_template_message(code):
    template = {(e.msgctxt, e.msgid) for e in polib.pofile(str(TRANSLATIONS / "messages.pot"))}
    catalog = {(e.msgctxt, e.msgid) for e in polib.pofile(str(TRANSLATIONS / code / "LC_MESSAGES" / "messages.po"))
               if not e.obsolete}
    assert template == catalog, "run `flask translate update`, then `flask translate export`"


def test_plural_forms_for_arabic_and_chinese():
    assert get_plural("ar").num_plurals == 6
    assert get_plural("zh_Hans").num_plurals == 1


def test_update_creates_the_units_of_a_locale_and_its_export_passes_msgfmt(app, runner, work, tmp_path):
    """`init` is gone: `flask translate update` creates the units a locale lacks, with one form per
    plural category, and the locale's export is a catalog gettext accepts."""
    with work.session() as session:
        session.execute(delete(Unit).where(Unit.locale == "ar"))
        session.commit()
    result = runner.invoke(args=["translate", "update", "ar"])
    assert result.exit_code == 0, result.output
    live = [e for e in polib.pofile(str(work.paths.template)) if e.msgid and not e.obsolete]
    assert f"ar: {len(live)} new" in result.output
    with work.session() as session:
        made = list(session.scalars(units.live("ar")))
        assert [unit.key for unit in made] == [(e.msgctxt or "", e.msgid, e.msgid_plural) for e in live]
        assert {len(unit.forms) for unit in made if unit.msgid_plural} == {6}
        assert {unit.state for unit in made} == {"untranslated"}
        path = tmp_path / "ar.po"
        path.write_text(files.export(session, "ar"), encoding="utf-8")
        before = [(u.mid, u.forms_json, u.position, u.revision) for u in session.scalars(units.live("ar"))]
    catalog = polib.pofile(str(path))
    assert catalog.metadata["Plural-Forms"].startswith("nplurals=6;")
    plural = next(e for e in catalog if e.msgid_plural)
    assert sorted(plural.msgstr_plural) == [0, 1, 2, 3, 4, 5]
    msgfmt_check(path)
    again = runner.invoke(args=["translate", "update", "ar"])  # nothing new: nothing changes
    assert again.exit_code == 0 and "ar: 0 new, 0 carried over as fuzzy, 0 no longer" in again.output
    with work.session() as session:
        assert [(u.mid, u.forms_json, u.position, u.revision) for u in session.scalars(units.live("ar"))] == before


def test_update_keeps_work_and_marks_changed_sources_fuzzy(app, runner, work, tmp_path):
    kept, changed = "Skip to main content", "Tests when leukemia comes back"
    work.user("tina", "translator", "es")
    work.translate("es", kept, "Saltar al contenido principal", author="tina")
    work.translate("es", changed, "Pruebas cuando la leucemia vuelve", author="tina")
    template = polib.pofile(str(work.paths.template))
    template.find(changed).msgid = "Tests when leukemia comes back again"
    catalogs.save_po(work.paths.template, template)

    result = runner.invoke(args=["translate", "update", "es"])
    assert result.exit_code == 0, result.output
    assert "es: 0 new, 1 carried over as fuzzy, 1 no longer in the template" in result.output
    unit = work.unit("es", kept)
    assert (unit.forms, unit.fuzzy) == (["Saltar al contenido principal"], False)
    unit = work.unit("es", "Tests when leukemia comes back again")
    assert unit.forms == ["Pruebas cuando la leucemia vuelve"]
    assert (unit.fuzzy, unit.state, unit.previous_msgid) == (True, "fuzzy", changed)
    entry = work.entry("es", "Tests when leukemia comes back again")
    assert "fuzzy" in entry.flags and entry.previous_msgid == changed
    with work.session() as session:
        assert units.find(session, "es", changed) == []  # no longer live ...
        gone = session.scalars(select(Unit).where(Unit.locale == "es", Unit.msgid == changed)).one()
        assert gone.obsolete and gone.forms == ["Pruebas cuando la leucemia vuelve"]  # ... but its work is kept
        assert [(c.msgid_before, c.msgid) for c in session.scalars(select(SourceChange))] == \
            [(changed, "Tests when leukemia comes back again")]
        assert units.find(session, "vi", changed) != []  # only the locale named was merged
        path = tmp_path / "es.po"
        path.write_text(files.export(session, "es"), encoding="utf-8")
    msgfmt_check(path)


def test_update_restates_a_message_whose_kind_the_template_changes(app, work):
    """Whether a message is reviewed is the template's to say (invariant 2); the state stored
    with the unit follows it. Before: a translated message made staff only stayed "awaiting"."""
    text = "Skip to main content"
    work.translate("es", text, "Saltar al contenido")
    assert (work.unit("es", text).kind, work.unit("es", text).state) == ("site", "awaiting")
    revision = work.unit("es", text).revision
    work.mark_staff_only(text)
    assert (work.unit("es", text).kind, work.unit("es", text).state) == (None, "translated")
    work.change_template(lambda template: setattr(template.find(text), "comment", SITE_COMMENT))
    assert (work.unit("es", text).kind, work.unit("es", text).state) == ("site", "awaiting")
    assert work.unit("es", text).revision == revision  # not a change of the translation


@pytest.mark.parametrize("command", ["update", "import", "export"])
def test_unknown_locale_is_refused_with_the_list(runner, command):
    result = runner.invoke(args=["translate", command, "fr"])
    assert result.exit_code == 1
    assert "Unknown locale 'fr'" in result.output and "zh_Hans" in result.output


def test_atomic_write_leaves_the_old_file_when_writing_fails(tmp_path, monkeypatch):
    target = tmp_path / "messages.po"
    target.write_bytes(b"old")

    def broken_fsync(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        catalogs.atomic_write(target, b"new content")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["messages.po"]  # no temporary file left


def test_a_failed_atomic_write_names_its_target_and_leaves_no_trace(tmp_path, monkeypatch):
    """A full disk fails the write with no file name (``write``, ``fsync``): the error names the
    target, and the folders made for a new file are gone with its temporary file."""
    import errno

    target = tmp_path / "vi" / "LC_MESSAGES" / "messages.po"

    def full_disk(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full_disk)
    with catalogs.recording_writes() as written:
        with pytest.raises(OSError) as raised:
            catalogs.atomic_write(target, b"new content")
    assert raised.value.errno == errno.ENOSPC and raised.value.filename == str(target)
    assert list(tmp_path.iterdir()) == [] and written == []
    monkeypatch.undo()
    with catalogs.recording_writes() as written:
        catalogs.atomic_write(target, b"new content")
    assert written == [target] and target.read_bytes() == b"new content"
