"""Poedit round trips through the browser: download, refusals, preview, apply all or nothing."""
from __future__ import annotations

import io
import re
from pathlib import Path

import polib
import pytest
from sqlalchemy import func, select

from portal.translation import pofile, units
from portal.translation.models import Edit, PendingUpload, Unit
from tests.conftest import csrf_token, login

TITLE = "Tests when leukemia comes back"


@pytest.fixture
def ana(app, work):
    work.user("ana", "translator", "es")
    client = app.test_client()
    login(client, "ana")
    return client


def download(client) -> polib.POFile:
    response = client.get("/translate/es/download")
    assert response.status_code == 200
    assert 'filename="messages-es.po"' in response.headers["Content-Disposition"]
    return polib.pofile(response.get_data(as_text=True))


def upload(client, data: bytes, filename: str = "messages.po"):
    """Post a file as a browser's form would (closing the test request's spooled body afterwards)."""
    from werkzeug.test import EnvironBuilder

    builder = EnvironBuilder(path="/translate/es/upload", method="POST", content_type="multipart/form-data",
                             data={"csrf_token": csrf_token(client, "/translate/es/upload"),
                                   "file": (io.BytesIO(data), filename)})
    request = builder.get_request()  # a large body is spooled to a temporary file: close it after
    try:
        return client.open(request)
    finally:
        request.environ["wsgi.input"].close()
        builder.close()


def apply(client, preview_html: str, **fields):
    token = re.search(r'/translate/es/upload/([0-9a-f]+)"', preview_html).group(1)
    digest = re.search(r'name="digest" value="([0-9a-f]+)"', preview_html).group(1)
    return client.post(f"/translate/es/upload/{token}",
                       data={"csrf_token": csrf_token(client, "/translate/es/upload"), "digest": digest, **fields})


def snapshot(work, code: str = "es"):
    """Everything an upload could change in a locale: each unit's text, mark, comment and revision,
    the number of saved versions, and the locale's revision."""
    with work.session() as session:
        rows = [(u.mid, u.forms_json, u.fuzzy, u.translator_comment, u.revision)
                for u in session.scalars(select(Unit).where(Unit.locale == code).order_by(Unit.id))]
        return rows, session.scalar(select(func.count()).select_from(Edit)), units.current_revision(session, code)


def pending(work) -> list[PendingUpload]:
    """The files waiting between preview and apply (the ``pending_uploads`` table)."""
    with work.session() as session:
        return list(session.scalars(select(PendingUpload)))


def text_of(work, msgid: str, code: str = "es") -> str:
    return work.unit(code, msgid).forms[0]


def test_download_carries_the_revision_signed(app, ana, work):
    from portal.translation.uploads import stamped_revision

    with work.session() as session:
        revision = units.current_revision(session, "es")
    stamp = download(ana).metadata["X-Portal-Revision"]
    assert stamp.startswith(f"es.{revision}.")
    assert stamped_revision(app.secret_key, "es", stamp) == revision
    raised = stamp.replace(f"es.{revision}.", f"es.{revision + 9}.")
    assert stamped_revision(app.secret_key, "es", raised) is None  # raised by hand
    work.translate("es", TITLE, "Pruebas")
    assert stamped_revision(app.secret_key, "es", download(ana).metadata["X-Portal-Revision"]) == revision + 1
    assert stamped_revision(app.secret_key, "vi", stamp) is None  # another language's file
    assert stamped_revision("another installation's secret", "es", stamp) is None


@pytest.mark.parametrize("make, filename, message", [
    (lambda po: po.encode(), "messages.mo", "is not a .po file"),
    (lambda po: po.encode() + b"#" * (5 * 1024 * 1024), "messages.po", "the limit is 5 MB"),
    (lambda po: po.replace("Language: es", "Language: ar").encode(), "messages.po", "not es"),
    (lambda po: po.replace("nplurals=2", "nplurals=3").encode(), "messages.po", "Plural-Forms"),
    (lambda po: po.replace('msgid "Infections"', 'msgid "Infections\nbroken').encode(), "messages.po", "line"),
    (lambda po: po.encode("utf-8").replace(b"Spanish", b"Spanish \xff\xfe"), "messages.po", "not UTF-8"),
    (lambda po: b"hello", "messages.po", "no messages"),
])
def test_bad_files_are_refused_clearly_and_change_nothing(app, ana, work, make, filename, message):
    text = download(ana).__unicode__()
    before = snapshot(work)
    response = upload(ana, make(text), filename)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'role="alert"' in html and message in html
    assert snapshot(work) == before
    assert pending(work) == []  # no file kept for a preview that never happened


def test_broken_file_error_names_the_line(app, ana):
    text = download(ana).__unicode__().replace('msgid "Infections"', 'msgid "Infections" garbage')
    html = upload(ana, text.encode()).get_data(as_text=True)
    line = text.splitlines().index('msgid "Infections" garbage') + 1
    assert f"Line {line}" in html


def test_no_file_chosen(ana):
    response = ana.post("/translate/es/upload", data={"csrf_token": csrf_token(ana, "/translate/es/upload")})
    assert response.status_code == 400 and "Choose a .po file" in response.get_data(as_text=True)


def test_preview_sorts_the_file_and_nothing_changes_until_apply(app, ana, work):
    work.translate("es", "Infections", "Infecciones")
    po = download(ana)
    po.find(TITLE).msgstr = "Pruebas cuando vuelve la leucemia"  # new
    po.find("Infections").msgstr = "Las infecciones"  # changed
    bad = next(e for e in po if "100" in e.msgid and not e.msgid_plural)
    bad.msgstr = "sin el número"  # fails a blocking check
    po.append(polib.POEntry(msgid="A sentence the template does not have", msgstr="Una frase"))  # unknown
    before = snapshot(work)
    response = upload(ana, po.__unicode__().encode())
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "New translations (1)" in html and "Changed translations (1)" in html
    assert "Not applied: failed checks (1)" in html and "Ignored: not in the template (1)" in html
    assert "Conflicts (0)" in html
    assert snapshot(work) == before
    assert apply(ana, html, mode="translations").status_code == 302
    assert text_of(work, TITLE) == "Pruebas cuando vuelve la leucemia"
    assert text_of(work, "Infections") == "Las infecciones"
    assert text_of(work, bad.msgid) == ""
    with work.session() as session:
        assert units.find(session, "es", "A sentence the template does not have") == []
        edits = session.scalars(select(Edit).order_by(Edit.id))
        assert [(e.msgid, e.author and e.author.username, e.origin) for e in edits] == \
            [("Infections", None, "import"), (TITLE, "ana", "upload"), ("Infections", "ana", "upload")]
    assert pending(work) == []  # applied: its file is gone


def test_apply_as_needing_edit_marks_fuzzy(app, ana, work):
    po = download(ana)
    po.find(TITLE).msgstr = "Pruebas"
    html = upload(ana, po.__unicode__().encode()).get_data(as_text=True)
    assert apply(ana, html, mode="fuzzy").status_code == 302
    unit = work.unit("es", TITLE)
    assert (unit.forms, unit.fuzzy, unit.state) == (["Pruebas"], True, "fuzzy")


def flashed(client, response) -> str:
    """The note shown on the page a redirect leads to (the flashed message), as plain text."""
    import html as html_

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    found = re.search(r'<div class="flash" role="status">(.*?)</div>', page, re.S)
    return html_.unescape(re.sub(r"<[^>]+>", " ", found.group(1))) if found else ""


def alert(response) -> str:
    """The error summary of a page, as plain text."""
    import html as html_

    found = re.search(r'<div class="error-summary" role="alert">(.*?)</div>', response.get_data(as_text=True), re.S)
    return html_.unescape(re.sub(r"<[^>]+>", " ", found.group(1))) if found else ""


def test_apply_takes_what_did_not_change_since_the_preview_and_names_the_rest(app, ana, work):
    """Before: one message saved by someone else after the preview refused the whole file (409,
    "changed since this preview"), the message nobody else touched included."""
    work.user("bob", "translator", "es")
    po = download(ana)
    po.find(TITLE).msgstr = "Pruebas del archivo"
    po.find("Infections").msgstr = "Infecciones del archivo"
    html = upload(ana, po.__unicode__().encode()).get_data(as_text=True)
    assert "New translations (2)" in html
    work.translate("es", "Infections", "Infecciones de Bob", author="bob")
    response = apply(ana, html, mode="translations")
    assert response.status_code == 302
    assert text_of(work, TITLE) == "Pruebas del archivo"
    assert text_of(work, "Infections") == "Infecciones de Bob"  # kept as bob wrote it
    note = flashed(ana, response)
    assert "Applied 1 translation from the file" in note
    assert "1 was not applied because someone changed it after your preview: \u201cInfections\u201d." in note
    assert "Upload the file again to decide it." in note
    assert TITLE not in note
    assert pending(work) == []  # applied: its file is gone


def test_nothing_to_apply_is_said_plainly(app, ana):
    html = upload(ana, download(ana).__unicode__().encode()).get_data(as_text=True)
    response = apply(ana, html, mode="translations")
    assert response.status_code == 409 and "nothing to apply" in response.get_data(as_text=True)


def test_an_empty_form_in_the_file_never_erases_the_server_text(app, ana, work):
    work.translate("es", "Infections", "Infecciones")
    po = download(ana)
    po.find("Infections").msgstr = ""
    html = upload(ana, po.__unicode__().encode()).get_data(as_text=True)
    assert "Changed translations (0)" in html


def test_upload_of_another_locales_workspace_is_forbidden(app, work):
    work.user("ahmed", "translator", "ar")
    client = app.test_client()
    login(client, "ahmed")
    assert client.get("/translate/es/upload").status_code == 403
    assert client.get("/translate/es/download").status_code == 403


def test_pending_uploads_live_in_the_database_and_stale_ones_are_pruned(app, ana, work):
    """The preview on one host can be applied on another: the file waits in ``pending_uploads``,
    and nothing older than a day stays there."""
    import datetime as dt

    from portal.db import utcnow

    ana_id = work.user("ana")
    with work.session() as session:
        session.add(PendingUpload(token="0" * 32, locale="vi", user_id=ana_id, data=b"old preview",
                                  created_at=utcnow() - dt.timedelta(days=2)))
        session.commit()
    po = download(ana)
    po.find(TITLE).msgstr = "Pruebas"
    data = po.__unicode__().encode()
    assert upload(ana, data).status_code == 200
    waiting = pending(work)
    assert [(row.locale, row.user_id, row.data) for row in waiting] == [("es", ana_id, data)]
    assert not (Path(app.config["UPLOAD_DIR"]) / "es").exists()  # nothing on this host's disk


# --- Conflicts judged against what was downloaded ---------------------------------------------------

@pytest.fixture
def bob(app, work):
    work.user("bob", "translator", "es")
    client = app.test_client()
    login(client, "bob")
    return client


def save(client, msgid: str, text: str):
    """A web save from the translator's message page."""
    from portal.translation.identity import message_id

    url = f"/translate/es/m/{message_id(('', msgid, ''))}"
    page = client.get(url).get_data(as_text=True)
    base = re.search(r'name="base" value="(\d+)"', page).group(1)
    response = client.post(url, data={"csrf_token": csrf_token(client, url), "base": base, "form0": text})
    assert response.status_code == 302


def section(html: str, heading: str) -> str:
    return html.split(heading, 1)[1].split("<h2>", 1)[0]


def test_a_message_changed_only_on_the_server_is_kept_not_called_a_conflict(app, ana, bob, work):
    """Before: a text that came from the file (no save at the download's revision) changed later on
    the server was offered as a conflict, and "use the version in my file" would undo bob's edit."""
    work.translate("es", TITLE, "Pruebas del archivo")  # in the catalog before anyone saved it here
    po = download(ana)
    save(bob, TITLE, "Pruebas de Bob")  # after ana's download
    po.find("Infections").msgstr = "Infecciones"  # ana's only change
    html = upload(ana, pofile.dumps(po).encode()).get_data(as_text=True)
    assert "Conflicts (0)" in html
    kept = section(html, "Kept: changed only on the server since your download (1)")
    assert "Pruebas de Bob" in kept and "Pruebas del archivo" in kept
    assert apply(ana, html, mode="translations").status_code == 302
    assert text_of(work, TITLE) == "Pruebas de Bob" and text_of(work, "Infections") == "Infecciones"


def test_a_message_changed_in_the_file_and_on_the_server_is_a_conflict(app, ana, bob, work):
    save(bob, TITLE, "Pruebas de Bob")
    po = download(ana)
    save(bob, TITLE, "Pruebas de Bob, corregidas")
    po.find(TITLE).msgstr = "Pruebas de Ana"
    html = upload(ana, pofile.dumps(po).encode()).get_data(as_text=True)
    assert "Conflicts (1)" in html and "Pruebas de Ana" in section(html, "Conflicts (1)")


@pytest.mark.parametrize("forge", [
    lambda stamp: re.sub(r"^es\.\d+\.", "es.700.", stamp),  # the revision raised by hand
    lambda stamp: "7",  # the old, unsigned form
    lambda stamp: "",  # removed
], ids=["raised", "unsigned", "removed"])
def test_a_forged_revision_header_cannot_skip_conflict_detection(app, ana, bob, work, forge):
    """Before: raising X-Portal-Revision in the file made every server change look older than the
    file, and applying it overwrote newer saves without a word."""
    po = download(ana)
    save(bob, TITLE, "Pruebas de Bob")  # after the download
    po.find(TITLE).msgstr = "Pruebas de Ana"
    po.metadata["X-Portal-Revision"] = forge(po.metadata["X-Portal-Revision"])
    if not po.metadata["X-Portal-Revision"]:
        del po.metadata["X-Portal-Revision"]
    html = upload(ana, pofile.dumps(po).encode()).get_data(as_text=True)
    assert "The portal cannot tell when this file was downloaded." in html
    assert "Conflicts (1)" in html
    assert apply(ana, html, mode="translations").status_code in (302, 409)  # the default keeps the server's
    assert text_of(work, TITLE) == "Pruebas de Bob"


def test_confirming_a_fuzzy_text_in_poedit_is_applied(app, ana, work):
    work.translate("es", TITLE, "Pruebas", fuzzy=True)
    po = download(ana)
    po.find(TITLE).flags.remove("fuzzy")  # Poedit: "Needs work" switched off, text unchanged
    html = upload(ana, pofile.dumps(po).encode()).get_data(as_text=True)
    assert "Changed translations (1)" in html
    assert apply(ana, html, mode="translations").status_code == 302
    unit = work.unit("es", TITLE)
    assert (unit.forms, unit.fuzzy, unit.state) == (["Pruebas"], False, "awaiting")


# --- Files refused with a clear message, and pending uploads --------------------------------------

def test_duplicates_and_other_charsets_are_refused_with_the_line(app, ana, work):
    text = pofile.dumps(download(ana))
    lines = text.split("\n")
    first = lines.index('msgid "Infections"') + 1
    duplicated = text + '\nmsgid "Infections"\nmsgstr "Otra vez"\n'
    before = snapshot(work)
    html = upload(ana, duplicated.encode()).get_data(as_text=True)
    assert f"duplicate of the one at line {first}" in html and f"Line {len(lines) + 1}:" in html
    latin = text.replace("charset=utf-8", "charset=ISO-8859-1").replace("charset=UTF-8", "charset=ISO-8859-1")
    assert "charset is ISO-8859-1" in upload(ana, latin.encode()).get_data(as_text=True)
    assert snapshot(work) == before
    assert pending(work) == []


def test_a_file_over_the_request_limit_gets_the_staff_pages_message(app, ana):
    """Before: the request limit's 413 showed the families' "try again in a few minutes" page."""
    response = upload(ana, b"#" * (app.config["MAX_CONTENT_LENGTH"] + 1024))
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "larger than the limit of 5 MB" in html and "Nothing was saved" in html
    assert "try again in a few minutes" not in html and 'role="alert"' in html


def test_pending_uploads_are_capped_per_person_and_only_their_owner_applies_them(app, ana, bob, work):
    from portal.translation.uploads import PendingUploads

    previews = []
    for number in range(PendingUploads.PER_PERSON + 2):
        po = download(ana)
        po.find(TITLE).msgstr = f"Pruebas {'abcdefgh'[number]}"
        previews.append(upload(ana, pofile.dumps(po).encode()).get_data(as_text=True))
    assert len(pending(work)) == PendingUploads.PER_PERSON
    oldest = apply(ana, previews[0], mode="translations")  # dropped: says so, applies nothing
    assert oldest.status_code == 302 and oldest.headers["Location"].endswith("/translate/es/upload")
    assert text_of(work, TITLE) == ""
    stolen = apply(bob, previews[-1], mode="translations")  # another translator, the newest token
    assert stolen.status_code == 302 and stolen.headers["Location"].endswith("/translate/es/upload")
    assert text_of(work, TITLE) == ""
    assert len(pending(work)) == PendingUploads.PER_PERSON  # bob's attempt took nothing away
    assert apply(ana, previews[-1], mode="translations").status_code == 302
    assert text_of(work, TITLE) == f"Pruebas {'abcdefgh'[PendingUploads.PER_PERSON + 1]}"
    assert len(pending(work)) == PendingUploads.PER_PERSON - 1


# --- Applying while others keep saving --------------------------------------------------------------

def conflict_choice(msgid: str, choice: str = "mine") -> dict:
    from portal.translation.identity import message_id

    return {f"conflict-{message_id(('', msgid, ''))}": choice}


def test_a_conflict_taken_as_mine_that_changed_again_after_the_preview_is_not_applied(app, ana, bob, work):
    """ana chose her file's version over the bob's text the preview showed; bob changed it again
    before she applied: his newer text was never shown to her, so it stays, and she is told."""
    po = download(ana)
    save(bob, TITLE, "Pruebas de Bob")
    po.find(TITLE).msgstr = "Pruebas de Ana"
    po.find("Infections").msgstr = "Infecciones de Ana"
    html = upload(ana, pofile.dumps(po).encode()).get_data(as_text=True)
    assert "Conflicts (1)" in html and "New translations (1)" in html
    save(bob, TITLE, "Pruebas de Bob, corregidas")
    response = apply(ana, html, mode="translations", **conflict_choice(TITLE))
    assert response.status_code == 302
    assert text_of(work, TITLE) == "Pruebas de Bob, corregidas"
    assert text_of(work, "Infections") == "Infecciones de Ana"
    note = flashed(ana, response)
    assert "Applied 1 translation" in note
    assert f"1 was not applied because someone changed it after your preview: \u201c{TITLE}\u201d." in note


def test_a_conflict_taken_as_mine_that_did_not_change_again_is_applied(app, ana, bob, work):
    po = download(ana)
    save(bob, TITLE, "Pruebas de Bob")
    po.find(TITLE).msgstr = "Pruebas de Ana"
    html = upload(ana, pofile.dumps(po).encode()).get_data(as_text=True)
    save(bob, "Infections", "Infecciones de Bob")  # another message: ana's file has it as downloaded
    response = apply(ana, html, mode="translations", **conflict_choice(TITLE))
    assert response.status_code == 302
    assert text_of(work, TITLE) == "Pruebas de Ana" and text_of(work, "Infections") == "Infecciones de Bob"
    note = flashed(ana, response)
    assert "Applied 1 translation from the file" in note and "not applied" not in note


def test_when_nothing_could_be_applied_the_new_preview_is_shown_to_decide_again(app, ana, bob, work):
    po = download(ana)
    po.find(TITLE).msgstr = "Pruebas de Ana"
    first = upload(ana, pofile.dumps(po).encode()).get_data(as_text=True)
    save(bob, TITLE, "Pruebas de Bob")
    before = snapshot(work)
    response = apply(ana, first, mode="translations")
    assert response.status_code == 409
    assert snapshot(work) == before
    message = alert(response)
    assert f"Nothing was applied: someone changed \u201c{TITLE}\u201d after your preview." in message
    assert "Check the new preview below, then apply again." in message
    second = response.get_data(as_text=True)
    assert "Conflicts (1)" in second and "Pruebas de Bob" in section(second, "Conflicts (1)")
    # The first page's choices were made against what it showed: it cannot be applied any more.
    stale = apply(ana, first, mode="translations", **conflict_choice(TITLE))
    assert stale.status_code == 409 and "This preview is out of date" in alert(stale)
    assert snapshot(work) == before
    again = apply(ana, second, mode="translations", **conflict_choice(TITLE))
    assert again.status_code == 302
    assert text_of(work, TITLE) == "Pruebas de Ana"
    assert pending(work) == []


def test_a_preview_made_before_the_upgrade_is_shown_again_to_apply(app, ana, work):
    """A file waiting from before the portal remembered what its preview showed (no seen_json)."""
    po = download(ana)
    po.find(TITLE).msgstr = "Pruebas de Ana"
    first = upload(ana, pofile.dumps(po).encode()).get_data(as_text=True)
    with work.session() as session:
        for row in session.scalars(select(PendingUpload)):
            row.seen_json = None
        session.commit()
    response = apply(ana, first, mode="translations")
    assert response.status_code == 409 and "This preview is out of date" in alert(response)
    assert text_of(work, TITLE) == ""
    assert apply(ana, response.get_data(as_text=True), mode="translations").status_code == 302
    assert text_of(work, TITLE) == "Pruebas de Ana"


def test_an_upload_is_applied_while_others_keep_saving(app, ana, bob, work):
    """The issue: with translators saving continuously, no upload could ever be applied. Here two
    translators keep saving while ana applies: the two conflicts she chose to leave as they are on
    the server, and messages her file does not change. Her apply takes all of her own changes, and
    every save they made is kept."""
    import threading
    import time

    from portal.people.accounts import find_user

    po = download(ana)
    save(bob, "Anxiety", "Ansiedad")  # after ana's download: conflicts, which she leaves to the server
    save(bob, "Depression", "Depresión")
    po.find("Anxiety").msgstr = "La ansiedad"
    po.find("Depression").msgstr = "La depresión"
    po.find(TITLE).msgstr = "Pruebas del archivo"  # her own changes
    po.find("Infections").msgstr = "Infecciones del archivo"
    html = upload(ana, pofile.dumps(po).encode()).get_data(as_text=True)
    assert "Conflicts (2)" in html and "New translations (2)" in html
    work.user("cora", "translator", "es")
    terms = app.extensions["terms"]
    stop = threading.Event()
    saved: dict[str, list[str]] = {}  # msgid: every text a saver committed, in order
    errors: list[BaseException] = []

    def keep_saving(name: str, msgids: list[str]):
        number = 0
        try:
            while not stop.is_set():
                number += 1
                for msgid in msgids:
                    forms = [f"{msgid} {name} " + "".join("abcdefghij"[int(d)] for d in str(number))]
                    with work.session() as session:
                        unit = units.find(session, "es", msgid)[0]
                        units.save(session, "es", unit.mid, forms, unit.revision, find_user(session, name), terms)
                        session.commit()
                    saved.setdefault(msgid, []).append(forms[0])
                time.sleep(0.002)
        except BaseException as error:  # reported by the test, not lost in the thread
            errors.append(error)

    savers = [threading.Thread(target=keep_saving, args=("bob", ["Anxiety", "Depression"])),
              threading.Thread(target=keep_saving, args=("cora", ["Constipation", "Donor"]))]
    for thread in savers:
        thread.start()

    def saves() -> int:
        return sum(len(texts) for texts in saved.values())

    try:
        deadline = time.monotonic() + 60
        while saves() < 8 and time.monotonic() < deadline and not errors:
            time.sleep(0.01)
        assert saves() >= 8, "the savers did not get going"
        response = apply(ana, html, mode="translations")
        during = saves()
        while saves() < during + 8 and time.monotonic() < deadline and not errors:
            time.sleep(0.01)  # and they go on saving after it
    finally:
        stop.set()
        for thread in savers:
            thread.join(timeout=60)
    assert not errors, errors
    assert not any(thread.is_alive() for thread in savers)
    assert response.status_code == 302, alert(response)
    assert text_of(work, TITLE) == "Pruebas del archivo"
    assert text_of(work, "Infections") == "Infecciones del archivo"
    note = flashed(ana, response)
    assert "Applied 2 translations from the file" in note and "not applied" not in note
    # No save was lost: each message holds its saver's last text, and the history has every save.
    with work.session() as session:
        for msgid, texts in saved.items():
            assert text_of(work, msgid) == texts[-1]
            history = [edit.forms[0] for edit in reversed(units.history(session, "es", ("", msgid, "")))]
            assert history[-len(texts):] == texts, msgid
        uploaded = session.scalars(select(Edit.msgid).where(Edit.origin == "upload")).all()
    assert sorted(uploaded) == sorted([TITLE, "Infections"])


def test_a_save_that_comes_while_the_apply_compares_waits_for_it(app, ana, bob, work, monkeypatch):
    """The apply compares the server with its preview, then writes. A save of one of its messages in
    between would have made the write refuse the whole file (the batch's Conflict). The apply takes the
    locale's lock before it compares: bob's save waits, and is then refused as any save from a page
    older than the text is; ana's apply is whole, and nothing bob saved was overwritten unseen."""
    import threading

    from portal.people.accounts import find_user
    from portal.translation import uploads

    po = download(ana)
    po.find(TITLE).msgstr = "Pruebas de Ana"
    po.find("Infections").msgstr = "Infecciones de Ana"
    html = upload(ana, pofile.dumps(po).encode()).get_data(as_text=True)
    real_preview, outcome = uploads.preview, {}

    def bob_saves():
        with work.session() as other:
            unit = units.find(other, "es", "Infections")[0]
            try:
                units.save(other, "es", unit.mid, ["Infecciones de Bob"], unit.revision, find_user(other, "bob"),
                           app.extensions["terms"])
                other.commit()
                outcome["bob"] = "saved"
            except units.Conflict:
                outcome["bob"] = "refused: his page is older than the text"

    def preview_then_a_save(*args, **kwargs):
        monkeypatch.setattr(uploads, "preview", real_preview)
        compared = real_preview(*args, **kwargs)
        outcome["thread"] = threading.Thread(target=bob_saves)
        outcome["thread"].start()
        outcome["thread"].join(timeout=2.0)  # saved by now, unless the apply holds a lock it waits for
        return compared

    monkeypatch.setattr(uploads, "preview", preview_then_a_save)
    response = apply(ana, html, mode="translations")
    outcome["thread"].join(timeout=60)
    assert not outcome["thread"].is_alive()
    assert response.status_code == 302, alert(response)
    assert text_of(work, TITLE) == "Pruebas de Ana" and text_of(work, "Infections") == "Infecciones de Ana"
    assert outcome["bob"] == "refused: his page is older than the text"
    assert "Applied 2 translations from the file" in flashed(ana, response)
