"""Extraction, the template, and the working catalogs as gettext tools and Poedit expect them."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import polib
import pytest
from babel.messages.plurals import get_plural

from portal.families.content import load_pages
from portal.locales import TRANSLATED_LOCALES
from portal.translation import catalogs
from portal.translation.extract import MEDICAL_COMMENT, SITE_COMMENT
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
    assert template == catalog, "run `flask translate update`"


def test_plural_forms_for_arabic_and_chinese():
    assert get_plural("ar").num_plurals == 6
    assert get_plural("zh_Hans").num_plurals == 1


def test_init_creates_a_catalog_gettext_accepts(app, runner, tmp_path):
    shutil.rmtree(Path(app.config["TRANSLATIONS_DIR"]) / "ar")
    result = runner.invoke(args=["translate", "init", "ar"])
    assert result.exit_code == 0, result.output
    path = catalogs.po_path(app.config["TRANSLATIONS_DIR"], "ar")
    catalog = polib.pofile(str(path))
    assert catalog.metadata["Plural-Forms"].startswith("nplurals=6;")
    plural = next(e for e in catalog if e.msgid_plural)
    assert sorted(plural.msgstr_plural) == [0, 1, 2, 3, 4, 5]
    msgfmt_check(path)
    again = runner.invoke(args=["translate", "init", "ar"])
    assert again.exit_code == 1 and "already exists" in again.output


def test_update_keeps_work_and_marks_changed_sources_fuzzy(app, runner):
    translations = Path(app.config["TRANSLATIONS_DIR"])
    po = catalogs.po_path(translations, "es")
    catalog = polib.pofile(str(po))
    kept, changed = "Skip to main content", "Tests when leukemia comes back"
    catalog.find(kept).msgstr = "Saltar al contenido principal"
    catalog.find(changed).msgstr = "Pruebas cuando la leucemia vuelve"
    catalogs.save_po(po, catalog)
    template = polib.pofile(str(translations / "messages.pot"))
    template.find(changed).msgid = "Tests when leukemia comes back again"
    catalogs.save_po(translations / "messages.pot", template)

    result = runner.invoke(args=["translate", "update", "es"])
    assert result.exit_code == 0, result.output
    updated = polib.pofile(str(po))
    assert updated.find(kept).msgstr == "Saltar al contenido principal"
    assert "fuzzy" not in updated.find(kept).flags
    entry = updated.find("Tests when leukemia comes back again")
    assert entry.msgstr == "Pruebas cuando la leucemia vuelve"
    assert "fuzzy" in entry.flags
    assert entry.previous_msgid == changed
    msgfmt_check(po)


def test_unknown_locale_is_refused_with_the_list(runner):
    result = runner.invoke(args=["translate", "init", "fr"])
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
