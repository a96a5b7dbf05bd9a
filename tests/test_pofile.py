"""The one reader and writer of .po files: exact for any text, strict about syntax; and the
commands around the units: `flask translate update` never changes a translator's words and is
all or nothing, `flask translate export` writes the same bytes for the same units, and
`flask translate import` brings a file's texts in through the checks, never over the portal's
without being asked."""
from __future__ import annotations

import polib
import pytest
from sqlalchemy import func, select

from portal.locales import TRANSLATED_LOCALES
from portal.translation import pofile, units
from portal.translation.catalogs import load_po
from portal.translation.models import CatalogRevision, Edit, SourceChange, Unit
from tests.conftest import ROOT, Workflow, msgfmt_check

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


# --- flask translate update ----------------------------------------------------------------------

TITLE = "Tests when leukemia comes back"


def everything(work):
    """Every unit of every locale (text, mark, comment, template side, state, revision), the number
    of saved versions and recorded source changes, and each locale's revision."""
    with work.session() as session:
        rows = [(u.locale, u.mid, u.forms_json, u.fuzzy, u.translator_comment, u.previous_msgid, u.obsolete,
                 u.position, u.occurrences_json, u.kind, u.state, u.revision)
                for u in session.scalars(select(Unit).order_by(Unit.id))]
        counts = (session.scalar(select(func.count()).select_from(Edit)),
                  session.scalar(select(func.count()).select_from(SourceChange)))
        revisions = sorted((r.locale, r.revision) for r in session.scalars(select(CatalogRevision)))
        return rows, counts, revisions


def write_template(work, change) -> None:
    """Edit the app's template as a deploy brings a new one (without merging it)."""
    template = load_po(work.paths.template)
    change(template)
    work.paths.template.write_text(pofile.dumps(template), encoding="utf-8")


def moved_and_renamed(template) -> None:
    """A template change that touches every locale: a new first message (every position moves)
    and a heading whose English changed."""
    template.insert(0, polib.POEntry(msgid="A new first message", msgstr=""))
    template.find(TITLE).msgid = TITLE + " again"


@pytest.mark.parametrize("char", REWRITTEN[:8], ids=[f"U+{ord(c):04X}" for c in REWRITTEN[:8]])
def test_update_never_changes_a_units_text(app, runner, work, char):
    """Before (files): `update` wrote through Babel and re-read with polib, and these characters
    rewrote or dropped words ("dual\\u2029Análisis" became "duaAnálisis"). Now it must leave a
    unit's text exactly as stored, and carry a text to a changed English exactly."""
    with work.session() as session:
        paragraph = next(u.msgid for u in session.scalars(units.live("es"))
                         if u.msgid.startswith("A study in the United Kingdom"))
    text = f"{UK}{char}probó 2 mezclas de 4 medicamentos. " + "Una frase larga más. " * 6
    heading = f"Pruebas{char}cuando vuelve"
    work.translate("es", paragraph, text)  # as a file pasted from a word processor left it
    work.translate("es", TITLE, heading)
    kept = work.unit("es", paragraph)
    write_template(work, moved_and_renamed)
    result = runner.invoke(args=["translate", "update", "es"])  # the locale whose texts are watched
    assert result.exit_code == 0, result.output
    after = work.unit("es", paragraph)
    assert after.forms == [text] and after.fingerprint == kept.fingerprint and not after.fuzzy
    assert after.revision == kept.revision  # not even touched
    carried = work.unit("es", TITLE + " again")
    assert carried.forms == [heading] and carried.fuzzy and carried.previous_msgid == TITLE


def test_update_after_edits_keeps_every_text_and_gettext_accepts_the_export(shipped_app, tmp_path):
    work = Workflow(shipped_app)
    with work.session() as session:
        changes = [units.Change(unit.mid, [f'{unit.forms[0]} «{index}» "citado" (ver-más-adelante-palabra-larguísima) '
                                           f'{"x" * 90}'], None, unit.fuzzy)
                   for index, unit in enumerate(u for u in session.scalars(units.live("es"))
                                                if len(u.msgid) > 150 and not u.msgid_plural)]
        assert len(changes) > 10
        units.apply_changes(session, "es", changes, None, shipped_app.extensions["terms"], origin="import",
                            check=False)
        session.commit()
        before = {unit.key: unit.forms for unit in session.scalars(units.live("es"))}
    write_template(work, moved_and_renamed)
    result = shipped_app.test_cli_runner().invoke(args=["translate", "update"])
    assert result.exit_code == 0, result.output
    with work.session() as session:
        after = {unit.key: unit.forms for unit in session.scalars(units.live("es"))}
    assert {k: v for k, v in before.items() if k in after} == {k: v for k, v in after.items() if k in before}
    assert after[("", TITLE + " again", "")] == before[("", TITLE, "")]  # carried over, word for word
    assert shipped_app.test_cli_runner().invoke(args=["translate", "export", "es"]).exit_code == 0
    msgfmt_check(work.paths.po("es"))


def test_update_is_all_or_nothing_when_the_template_cannot_be_read(app, runner, work):
    work.translate("es", "Skip to main content", "Saltar al contenido")
    before = everything(work)
    write_template(work, moved_and_renamed)
    broken = work.paths.template.read_text(encoding="utf-8") + '\nmsgid "unterminated\nmsgstr ""\n'
    work.paths.template.write_text(broken, encoding="utf-8")
    result = runner.invoke(args=["translate", "update"])
    assert result.exit_code == 1
    line = broken.split("\n").index('msgid "unterminated') + 1
    assert f"Line {line}" in result.output and "messages.pot" in result.output
    assert "Nothing was changed" in result.output and "Traceback" not in result.output
    assert everything(work) == before


def test_update_is_all_or_nothing_when_one_locale_fails(app, runner, work, monkeypatch):
    """The template is merged into every locale in one transaction: a failure in the last locale
    leaves the ones merged before it as they were."""
    from portal.translation import template

    work.translate("es", TITLE, "Pruebas")
    before = everything(work)
    write_template(work, moved_and_renamed)
    merge, merged = template.sync, []

    def sync(session, catalog, locale, terms=None):
        if locale == CODES[-1]:
            raise RuntimeError("the database went away")
        merged.append(locale)
        return merge(session, catalog, locale, terms)

    monkeypatch.setattr(template, "sync", sync)
    result = runner.invoke(args=["translate", "update"])
    assert result.exit_code != 0 and isinstance(result.exception, RuntimeError)
    assert merged == CODES[:-1]
    assert everything(work) == before


# --- flask translate export ----------------------------------------------------------------------

def keys(catalog, obsolete=False):
    return [(e.msgctxt or "", e.msgid, e.msgid_plural or "") for e in catalog if e.msgid and e.obsolete == obsolete]


def test_export_is_deterministic_in_template_order_and_passes_msgfmt(shipped_app):
    work, runner = Workflow(shipped_app), shipped_app.test_cli_runner()
    translated = work.unit("es", TITLE).forms[0]
    path = work.paths.po("es")
    path.unlink()
    first = runner.invoke(args=["translate", "export", "es"])
    assert first.exit_code == 0 and "written" in first.output
    written = path.read_bytes()
    again = runner.invoke(args=["translate", "export", "es"])
    assert again.exit_code == 0 and "already current" in again.output
    path.unlink()  # made again from nothing: no clock, no chance in it
    assert runner.invoke(args=["translate", "export", "es"]).exit_code == 0
    assert path.read_bytes() == written
    exported = pofile.parse(written.decode("utf-8"))
    assert keys(exported) == keys(load_po(work.paths.template))
    assert exported.metadata["Language"] == "es" and "X-Portal-Revision" not in exported.metadata
    msgfmt_check(path)
    # A message gone from the template keeps its translation, after the live ones.
    work.change_template(lambda template: template.remove(template.find(TITLE)))
    assert runner.invoke(args=["translate", "export", "es"]).exit_code == 0
    exported = load_po(path)
    assert keys(exported) == keys(load_po(work.paths.template))
    assert keys(exported, obsolete=True) == [("", TITLE, "")]
    assert exported[-1].obsolete and exported[-1].msgstr == translated and translated
    msgfmt_check(path)


@pytest.mark.parametrize("char", ["\u2028", "\x0b"], ids=["U+2028", "U+000B"])
def test_a_text_survives_export_then_import_unchanged(app, runner, work, char):
    text = f"Pruebas{char}cuando la leucemia vuelve, \"citado\" \\ " + "palabra " * 20
    work.translate("es", TITLE, text)
    before = everything(work)
    assert runner.invoke(args=["translate", "export", "es"]).exit_code == 0
    assert pofile.parse(work.paths.po("es").read_text(encoding="utf-8")).find(TITLE).msgstr == text
    result = runner.invoke(args=["translate", "import", "--replace", "es"])
    assert result.exit_code == 0, result.output
    assert "es: 0 imported, 0 differ from the portal (replaced), 0 refused by the checks" in result.output
    assert everything(work) == before
    assert work.unit("es", TITLE).forms == [text]


# --- flask translate import ----------------------------------------------------------------------

def write_po(work, code: str, texts: dict[str, str]) -> str:
    """The locale's export with some texts changed, as a file edited outside the portal."""
    with work.session() as session:
        from portal.translation.files import catalog

        po = catalog(session, code)
    for msgid, text in texts.items():
        po.find(msgid).msgstr = text
    data = pofile.dumps(po)
    work.paths.po(code).parent.mkdir(parents=True, exist_ok=True)
    work.paths.po(code).write_text(data, encoding="utf-8")
    return data


def history(work, msgid: str, code: str = "es"):
    with work.session() as session:
        return [(e.forms, e.author and e.author.username, e.origin)
                for e in units.history(session, code, work.unit(code, msgid).key)]


def test_import_brings_new_texts_in_by_an_unknown_author(app, runner, work):
    write_po(work, "es", {TITLE: "Pruebas cuando vuelve", "Infections": "Infecciones"})
    result = runner.invoke(args=["translate", "import", "es"])
    assert result.exit_code == 0, result.output
    assert "es: 2 imported, 0 differ" in result.output
    assert work.unit("es", TITLE).forms == ["Pruebas cuando vuelve"]
    assert work.unit("es", TITLE).state == "awaiting"  # imported is not approved
    assert history(work, TITLE) == [(["Pruebas cuando vuelve"], None, "import")]
    assert history(work, "Infections") == [(["Infecciones"], None, "import")]


def test_import_reports_a_different_text_and_applies_it_only_with_replace(app, runner, work):
    work.user("tina", "translator", "es")
    work.translate("es", "Infections", "Infecciones", author="tina")
    write_po(work, "es", {"Infections": "Las infecciones"})
    before = everything(work)
    kept = runner.invoke(args=["translate", "import", "es"])
    assert kept.exit_code == 0, kept.output
    assert "es: 0 imported, 1 differ from the portal (kept the portal's)" in kept.output
    assert everything(work) == before
    replaced = runner.invoke(args=["translate", "import", "--replace", "es"])
    assert replaced.exit_code == 0, replaced.output
    assert "es: 1 imported, 1 differ from the portal (replaced)" in replaced.output
    assert work.unit("es", "Infections").forms == ["Las infecciones"]
    assert history(work, "Infections") == [(["Las infecciones"], None, "import"), (["Infecciones"], "tina", "web")]


def test_import_refuses_a_text_with_a_blocking_problem_and_says_why(app, runner, work):
    write_po(work, "es", {TITLE: "Pruebas <script>alert(1)</script>", "Infections": "Infecciones"})
    result = runner.invoke(args=["translate", "import", "--replace", "es"])
    assert result.exit_code == 0, result.output
    assert "es: 1 imported, 0 differ from the portal (replaced), 1 refused by the checks" in result.output
    assert f"refused {TITLE!r}" in result.output and "raw HTML" in result.output
    assert work.unit("es", TITLE).forms == [""]  # refused: never stored
    assert work.unit("es", "Infections").forms == ["Infecciones"]  # the rest of the file is applied


def test_import_of_a_file_with_a_syntax_error_says_the_line_and_changes_nothing(app, runner, work):
    data = write_po(work, "es", {TITLE: "Pruebas", "Infections": "Infecciones"})
    broken = data.replace('msgid "Infections"', 'msgid "Infections', 1)
    work.paths.po("es").write_text(broken, encoding="utf-8")
    before = everything(work)
    result = runner.invoke(args=["translate", "import", "es"])
    assert result.exit_code == 1
    line = broken.split("\n").index('msgid "Infections') + 1
    assert f"Line {line}:" in result.output and "not closed with a double quote" in result.output
    assert "Nothing was imported, in any locale" in result.output and "Traceback" not in result.output
    assert everything(work) == before


def test_import_of_several_locales_is_all_or_nothing(app, runner, work):
    """A good es file and a broken vi file: es is not half-imported before vi fails."""
    write_po(work, "es", {TITLE: "Pruebas", "Infections": "Infecciones"})
    data = write_po(work, "vi", {"Infections": "Nhiễm trùng"})
    work.paths.po("vi").write_text(data.replace('msgid "Infections"', 'msgid "Infections', 1), encoding="utf-8")
    before = everything(work)
    result = runner.invoke(args=["translate", "import", "es", "vi"])
    assert result.exit_code == 1
    assert str(work.paths.po("vi")) in result.output and "Nothing was imported, in any locale" in result.output
    assert everything(work) == before
    assert work.unit("es", TITLE).forms == [""]
