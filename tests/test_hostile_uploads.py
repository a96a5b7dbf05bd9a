"""A corpus of hostile and awkward .po files, built from the project's own Spanish catalog, each
sent through the real upload endpoint with its expected result:

* refused: a 400 with a clear message, and nothing changed (units, history, pending uploads);
* accepted without the dangerous entry: the preview lists it under failed checks, applying keeps
  everything else, and the dangerous text is in no unit (nor in the locale's export);
* accepted cleanly.

Never a 500, never a changed unit on refusal, and after a reviewer approves everything
approvable, never unsafe markup on a family page.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import pytest

from portal.translation import files, pofile, units
from tests.conftest import ROOT, login
from tests.test_uploads import apply, pending, snapshot, upload

TITLE = "Tests when leukemia comes back"  # a medical heading of content/tests.md
HEADING = "Infections"  # another: the hostile texts go here
LINKED = "Another name for a [stem cell transplant](glossary:stem-cell-transplant)."  # has a link
NUMBERED = next(e.msgid for e in pofile.parse((ROOT / "translations" / "messages.pot").read_text(encoding="utf-8"))
                if "85 out of 100" in e.msgid)  # a message whose numbers matter
PLURAL = "%(num)s part of this page is not yet reviewed in this language, so it is shown in English."
UNSAFE = re.compile(r"<script|<img|javascript:|onerror|<iframe|\u202e|\u200b", re.IGNORECASE)


GOOD = "Pruebas si la leucemia regresa"  # a valid change every file carries, so there is always work to apply


def with_translation(msgid_start: str, text: str | list[str]) -> Callable[[str], bytes]:
    """The downloaded file with a valid change to TITLE, and one message's translation replaced
    (written by the portal's writer)."""
    def make(downloaded: str) -> bytes:
        catalog = pofile.parse(downloaded)
        for start, value in ((TITLE, GOOD), (msgid_start, text)):
            entry = next(e for e in catalog if e.msgid.startswith(start) and not e.obsolete)
            if entry.msgid_plural:
                entry.msgstr_plural = dict(enumerate(value))
            else:
                entry.msgstr = value
        return pofile.dumps(catalog).encode("utf-8")
    return make


def edited(change: Callable[[str], str]) -> Callable[[str], bytes]:
    """The downloaded text changed by hand (a valid change first, so there is something to apply)."""
    def make(downloaded: str) -> bytes:
        text = with_translation(TITLE, GOOD)(downloaded).decode("utf-8")
        return change(text).encode("utf-8")
    return make


def raw(change: Callable[[bytes], bytes]) -> Callable[[str], bytes]:
    def make(downloaded: str) -> bytes:
        return change(with_translation(TITLE, GOOD)(downloaded))
    return make


def _header(text: str, name: str, value: str) -> str:
    return re.sub(rf'"{name}: [^"]*\\n"', f'"{name}: {value}\\\\n"', text, count=1)


def _duplicate(text: str) -> str:
    return text + '\n#: extra\nmsgid "Infections"\nmsgstr "Infecciones otra vez"\n'


def _unterminated(text: str) -> str:
    return text.replace('msgid "Infections"', 'msgid "Infections', 1)


def _strip_medical(text: str) -> str:
    return text.replace("#. medical: families see it only after review\n", "")


def _utf16(data: bytes) -> bytes:
    return data.decode("utf-8").encode("utf-16")


@dataclass
class Case:
    name: str
    make: Callable[[str], bytes]
    outcome: str  # "refused", "without", "clean"
    says: str = ""  # what the refusal or the failed check must say
    filename: str = "messages.po"


CASES = [
    Case("script in a translation", with_translation(HEADING, "Infecciones <script>alert(1)</script>"), "without", "raw HTML"),
    Case("img onerror", with_translation(HEADING, 'Infecciones <img src=x onerror="alert(1)">'), "without", "raw HTML"),
    Case("iframe", with_translation(HEADING, "Infecciones <iframe src=//evil.example></iframe>"), "without", "raw HTML"),
    Case("javascript: link", with_translation(LINKED, "Otro nombre del [trasplante](javascript:alert(1))."),
         "without", "links differ"),
    Case("tracking link", with_translation(LINKED, "Otro nombre del [trasplante](https://tracker.example/?id=1)."),
         "without", "links differ"),
    Case("same-origin link", with_translation(LINKED, "Otro nombre del [trasplante](/admin/publish)."),
         "without", "links differ"),
    Case("image", with_translation(HEADING, "Infecciones ![x](https://tracker.example/pixel.png)"), "without", "an image"),
    Case("same-origin image", with_translation(HEADING, "Infecciones ![x](/admin/publish)"), "without", "an image"),
    Case("autolink", with_translation(HEADING, "Infecciones <https://evil.example>"), "without", "autolink"),
    Case("bare web address", with_translation(HEADING, "Infecciones: visite www.evil.example"), "without", "web address"),
    Case("heading", with_translation(HEADING, "# Infecciones"), "without", "a heading"),
    Case("list", with_translation(HEADING, "- Infecciones"), "without", "a list"),
    Case("changed numbers", with_translation(NUMBERED[:30], "Unos 58 de cada 1000 niños."), "without",
         "the English has"),
    Case("bidi override", with_translation(HEADING, "Infecciones \u202eseveuv\u202c"), "without", "U+202E"),
    Case("bidi isolate", with_translation(HEADING, "Infecciones \u2067x\u2069"), "without", "U+2067"),
    Case("zero-width space", with_translation(HEADING, "Infec\u200bciones"), "without", "U+200B"),
    Case("NUL (written as \\000)", with_translation(HEADING, "Infec\x00ciones"), "without", "U+0000"),
    Case("plural placeholder added", with_translation(PLURAL, ["%(num)s parte %(evil)s", "%(num)s partes"]), "without",
         "which the English does not have"),
    Case("duplicate entries", edited(_duplicate), "refused", "duplicate of the one at line"),
    Case("unterminated string", edited(_unterminated), "refused", "not closed with a double quote"),
    Case("unknown escape", edited(lambda t: t.replace("Pruebas si", "Pruebas \\q si")), "refused", "unknown escape"),
    Case("garbage line", edited(lambda t: t.replace('msgid "Infections"', 'hello\nmsgid "Infections"', 1)),
         "refused", "is not part of a message"),
    Case("binary", lambda downloaded: bytes(range(256)) * 40, "refused", "not UTF-8"),
    Case("a compiled .mo under a .po name", lambda downloaded: b"\xde\x12\x04\x95" + bytes(200), "refused", "not UTF-8"),
    Case("Latin-1 bytes", raw(lambda data: data.decode("utf-8").encode("latin-1", "replace")), "refused", "not UTF-8"),
    Case("UTF-16", raw(_utf16), "refused", "not UTF-8"),
    Case("Latin-1 charset header", edited(lambda t: _header(t, "Content-Type", "text/plain; charset=ISO-8859-1")),
         "refused", "charset is ISO-8859-1"),
    Case("UTF-7 charset header", edited(lambda t: _header(t, "Content-Type", "text/plain; charset=UTF-7")),
         "refused", "charset is UTF-7"),
    Case("over 5 MB", edited(lambda t: t + "#" + "x" * (5 * 1024 * 1024) + "\n"), "refused", "the limit is 5 MB"),
    Case("wrong Language", edited(lambda t: _header(t, "Language", "ar")), "refused", "not es"),
    Case("no header", edited(lambda t: t.split("\n\n", 1)[1]), "refused", "no header"),
    Case("wrong Plural-Forms", edited(lambda t: _header(t, "Plural-Forms", "nplurals=1; plural=0;")),
         "refused", "Plural-Forms"),
    Case("plural-expression bomb", edited(lambda t: _header(
        t, "Plural-Forms", "nplurals=2; plural=" + "(" * 20000 + "n != 1" + ")" * 20000 + ";")),
        "refused", "Plural-Forms"),
    Case("not a .po name", edited(lambda t: t), "refused", "is not a .po file", filename="messages.mo"),
    Case("Windows line ends", edited(lambda t: t.replace("\n", "\r\n")), "clean"),
    Case("byte-order mark", raw(lambda data: b"\xef\xbb\xbf" + data), "clean"),
    Case("medical comment stripped", edited(_strip_medical), "clean"),
    Case("obsolete entry with a script", edited(lambda t: t + '\n#~ msgid "Old"\n#~ msgstr "<script>x</script>"\n'),
         "clean"),
    Case("English changed by the translator", edited(lambda t: t.replace('msgid "Infections"', 'msgid "Infectionz"', 1)),
         "clean"),
]


@pytest.fixture
def work(shipped_app):
    from tests.conftest import Workflow

    return Workflow(shipped_app)


@pytest.fixture
def translator(shipped_app, work):
    work.user("ana", "translator", "es")
    work.user("rita", "reviewer", "es")
    client = shipped_app.test_client()
    login(client, "ana")
    return client


def test_the_corpus_has_every_kind_of_file():
    assert len(CASES) >= 25
    assert {case.outcome for case in CASES} == {"refused", "without", "clean"}


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hostile_file(shipped_app, translator, work, case):
    downloaded = translator.get("/translate/es/download").get_data(as_text=True)
    before = snapshot(work)  # the units, the number of saved versions, the locale's revision
    response = upload(translator, case.make(downloaded), case.filename)
    html = response.get_data(as_text=True)
    assert response.status_code != 500
    if case.outcome == "refused":
        assert response.status_code == 400, html[-2000:]
        assert 'role="alert"' in html and case.says.lower() in html.lower(), html[-3000:]
        assert snapshot(work) == before
        assert pending(work) == []
        return
    assert response.status_code == 200, html[-3000:]
    failed = html.split("Not applied: failed checks", 1)[1].split("<h2>", 1)[0]
    if case.outcome == "without":
        assert "failed checks (1)" in html and case.says.lower() in failed.lower(), failed
    else:
        assert "failed checks (0)" in html
    assert apply(translator, html, mode="translations").status_code == 302
    with work.session() as session:
        texts = [form for unit in session.scalars(units.live("es")) for form in unit.forms]
        exported = files.export(session, "es")
    assert not [text for text in texts if UNSAFE.search(text)], "a dangerous text reached a unit"
    assert not UNSAFE.search(exported), "a dangerous text reached the catalog"
    assert work.unit("es", TITLE).forms == [GOOD]  # the rest of the file was applied
    # A reviewer approves every text the file changed (the rest is the project's own drafts, which
    # the file could not touch); no family page may carry unsafe markup.
    texts_before = {(row[0], row[1]) for row in before[0]}  # (message id, its text)
    with work.session() as session:
        changed = [u.msgid for u in session.scalars(units.live("es")) if (u.mid, u.forms_json) not in texts_before]
    assert TITLE in changed
    for msgid in changed:
        result = shipped_app.test_cli_runner().invoke(args=["review", "approve", "es", "--reviewer", "rita",
                                                            "--msgid", msgid])
        assert result.exit_code == 0, result.output
    family = shipped_app.test_client()
    for slug in ("tests", "outlook", "glossary", "no-such-page"):
        page = family.get(f"/es/{slug}")
        assert page.status_code in (200, 404)
        assert not UNSAFE.search(page.get_data(as_text=True)), f"/es/{slug}"
