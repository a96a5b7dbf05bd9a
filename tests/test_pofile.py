"""The one reader and writer of .po files: exact for any text, strict about syntax, and
`flask translate update` built on them: it never changes a translator's words, all or nothing."""
from __future__ import annotations

import shutil
from pathlib import Path

import polib
import pytest

from portal.locales import TRANSLATED_LOCALES
from portal.translation import pofile
from portal.translation.catalogs import load_po, po_path, pot_path
from tests.conftest import ROOT, msgfmt_check

CODES = [loc.code for loc in TRANSLATED_LOCALES]
# Characters polib and Babel treat as line breaks (str.splitlines), which rewrote or dropped words.
REWRITTEN = ["\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x08", "\r", "\t", "\x00"]
UK = "Un estudio en el Reino Unido"


def catalog_with(text: str) -> polib.POFile:
    catalog = polib.POFile()
    catalog.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Plural-Forms": "nplurals=2; plural=(n != 1);"}
    catalog.append(polib.POEntry(msgid="one", msgstr=text))
    catalog.append(polib.POEntry(msgid="%(num)s thing", msgid_plural="%(num)s things", msgstr_plural={0: text, 1: text}))
    catalog.append(polib.POEntry(msgid="ctx", msgctxt=text, msgstr="x"))
    return catalog


@pytest.mark.parametrize("path", sorted(str(p.relative_to(ROOT)) for p in (ROOT / "translations").rglob("*.po*") if p.suffix in (".po", ".pot")))
def test_shipped_catalogs_are_read_and_written_back_byte_for_byte(path):
    text = (ROOT / path).read_text(encoding="utf-8")
    assert pofile.dumps(pofile.parse(text)) == text


@pytest.mark.parametrize("char", REWRITTEN, ids=[f"U+{ord(c):04X}" for c in REWRITTEN])
def test_any_character_survives_a_write_and_a_read(char):
    text = f"dual{char}Análisis, \"citado\", a\\b " + "palabra " * 20 + f"fin{char}\nsegunda línea\n"
    back = pofile.parse(pofile.dumps(catalog_with(text)))
    assert [e.msgstr for e in back][:1] == [text]
    assert back[1].msgstr_plural == {0: text, 1: text} and back[2].msgctxt == text


def test_gnu_gettext_reads_what_the_writer_writes(tmp_path):
    text = "Línea\u2028separada, \"comillas\", barra \\ y tab\t " + "palabra " * 30
    path = tmp_path / "x.po"
    catalog = catalog_with(text)
    catalog.metadata.update({"Project-Id-Version": "x", "PO-Revision-Date": "2026-01-01 00:00+0000",
                             "Last-Translator": "x", "Language-Team": "x", "Language": "es", "MIME-Version": "1.0",
                             "Content-Transfer-Encoding": "8bit"})
    path.write_text(pofile.dumps(catalog), encoding="utf-8")
    msgfmt_check(path)


@pytest.mark.parametrize("text, line, words", [
    ('msgid ""\nmsgstr ""\n\nmsgid "Infections\nmsgstr "x"\n', 4, "not closed with a double quote"),
    ('msgid "a"\nmsgstr "b" garbage\n', 2, "text after the closing quote"),
    ('msgid "a"\nmsgstr "b"\nhello there\n', 3, "'hello' is not part of a message"),
    ('msgid "a"\nmsgstr "b\\q"\n', 2, "unknown escape \\q"),
    ('msgid "a"\n\nmsgid "b"\nmsgstr ""\n', 1, "has no msgstr"),
    ('msgstr "b"\n', 1, "msgstr comes before msgid"),
    ('msgid "a"\nmsgid_plural "as"\nmsgstr "b"\n', 1, "needs msgstr[0]"),
    ('msgid "a"\nmsgstr[0] "b"\n', 1, "has no msgid_plural"),
    ('msgid "a"\nmsgid_plural "as"\nmsgstr[0] "b"\nmsgstr[2] "c"\n', 1, "without gaps"),
    ('msgid "a"\nmsgstr "b"\nmsgstr "c"\n', 3, "appears twice"),
    ('"orphan"\n', 1, "no msgid or msgstr before it"),
    ('msgid "a"\nmsgstr "b"\n\nmsgid "c"\nmsgstr "d"\n\nmsgid "a"\nmsgstr "e"\n', 7,
     "duplicate of the one at line 1"),
    ('msgctxt "k"\nmsgid "a"\nmsgstr "b"\n\nmsgctxt "k"\nmsgid "a"\nmsgstr "e"\n', 5, "duplicate of the one at line 1"),
    ('msgid ""\nmsgstr "Content-Type: text/plain; charset=ISO-8859-1\\n"\n', 1, "charset is ISO-8859-1"),
    ('msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-7\\n"\n', 1, "charset is UTF-7"),
    ('msgid ""\nmsgstr ""\n\nmsgid ""\nmsgstr ""\n', 4, "a second header"),
    ('msgid "a"\nmsgstr "\\377\\376"\n', 2, "not UTF-8 text"),
])
def test_syntax_errors_name_the_line_and_the_problem(text, line, words):
    with pytest.raises(pofile.PoSyntaxError) as caught:
        pofile.parse(text)
    assert caught.value.line == line and words in str(caught.value)
    assert str(caught.value).startswith(f"Line {line}: ")


def test_a_byte_order_mark_and_windows_line_ends_are_read():
    text = '\ufeffmsgid ""\r\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\r\n\r\nmsgid "a"\r\nmsgstr "b"\r\n'
    catalog = pofile.parse(text)
    assert [(e.msgid, e.msgstr) for e in catalog] == [("a", "b")]


def test_comments_flags_references_previous_and_obsolete_entries_are_read():
    text = ('# translator\n#. extracted\n#: a.md:1 b.html:2\n#, fuzzy, python-format\n#| msgid "old"\n'
            'msgid "new %(x)s"\nmsgstr "nuevo %(x)s"\n\n#~ msgid "gone"\n#~ msgstr "ido"\n')
    [entry, gone] = pofile.parse(text)
    assert (entry.tcomment, entry.comment, entry.occurrences) == ("translator", "extracted", [("a.md", "1"), ("b.html", "2")])
    assert entry.flags == ["fuzzy", "python-format"] and entry.previous_msgid == "old"
    assert gone.obsolete and (gone.msgid, gone.msgstr) == ("gone", "ido")
    assert pofile.dumps(pofile.parse(pofile.dumps(pofile.parse(text)))) == pofile.dumps(pofile.parse(text))


# --- flask translate update --------------------------------------------------------------------

def put_in_paragraph(app, char: str) -> str:
    """Hand-edit the Spanish catalog so a long paragraph holds ``char`` (a paste from a word
    processor does this); returns the exact text."""
    path = po_path(app.config["TRANSLATIONS_DIR"], "es")
    catalog = load_po(path)
    entry = next(e for e in catalog if e.msgid.startswith("A study in the United Kingdom"))
    entry.msgstr = f"{UK}{char}probó 2 mezclas de 4 medicamentos. " + "Una frase larga más. " * 6
    path.write_text(pofile.dumps(catalog), encoding="utf-8")
    return entry.msgstr


@pytest.mark.parametrize("char", REWRITTEN[:8], ids=[f"U+{ord(c):04X}" for c in REWRITTEN[:8]])
def test_update_never_changes_a_translators_words(app, runner, char):
    """Before: `update` wrote through Babel and re-read with polib, and these characters rewrote
    or dropped words ("dual\\u2029Análisis" became "duaAnálisis")."""
    text = put_in_paragraph(app, char)
    result = runner.invoke(args=["translate", "update", "es"])
    assert result.exit_code == 0, result.output
    entry = next(e for e in load_po(po_path(app.config["TRANSLATIONS_DIR"], "es"))
                 if e.msgid.startswith("A study in the United Kingdom"))
    assert entry.msgstr == text


def test_update_after_edits_keeps_every_text_and_gettext_accepts_the_result(app, runner):
    path = po_path(app.config["TRANSLATIONS_DIR"], "es")
    shutil.copy(ROOT / "translations" / "es" / "LC_MESSAGES" / "messages.po", path)
    catalog = load_po(path)
    for index, entry in enumerate(e for e in catalog if len(e.msgid) > 150):
        entry.msgstr = f'{entry.msgstr} «{index}» "citado" (ver-más-adelante-palabra-larguísima) {"x" * 90}'
    path.write_text(pofile.dumps(catalog), encoding="utf-8")
    before = {(e.msgctxt, e.msgid): (e.msgstr, e.msgstr_plural) for e in load_po(path)}
    result = runner.invoke(args=["translate", "update", "es"])
    assert result.exit_code == 0, result.output
    after = {(e.msgctxt, e.msgid): (e.msgstr, e.msgstr_plural) for e in load_po(path) if not e.obsolete}
    assert {k: v for k, v in before.items() if k in after} == {k: v for k, v in after.items() if k in before}
    msgfmt_check(path)


def test_update_is_all_or_nothing(app, runner):
    translations = Path(app.config["TRANSLATIONS_DIR"])
    template = load_po(pot_path(translations))
    template.find("Skip to main content").msgid = "Skip to the main content"
    (pot_path(translations)).write_text(pofile.dumps(template), encoding="utf-8")
    broken = po_path(translations, "vi")
    broken.write_text(broken.read_text(encoding="utf-8") + '\nmsgid "unterminated\nmsgstr ""\n', encoding="utf-8")
    before = {code: po_path(translations, code).read_bytes() for code in CODES}
    result = runner.invoke(args=["translate", "update"])
    assert result.exit_code == 1
    assert "vi" in result.output and "Line" in result.output and "Nothing was written" in result.output
    assert "Traceback" not in result.output
    assert {code: po_path(translations, code).read_bytes() for code in CODES} == before
