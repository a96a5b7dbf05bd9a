"""Poedit round trips through the browser: download, refusals, preview, apply all or nothing."""
from __future__ import annotations

import io
import re

import polib
import pytest

from portal.catalogs import load_po, po_path
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


def catalog_bytes(app) -> bytes:
    return po_path(app.config["TRANSLATIONS_DIR"], "es").read_bytes()


def test_download_carries_the_revision_signed(app, ana):
    from portal.uploads import stamped_revision

    stamp = download(ana).metadata["X-Portal-Revision"]
    assert stamp.startswith("es.0.")
    assert stamped_revision(app.secret_key, "es", stamp) == 0
    assert stamped_revision(app.secret_key, "es", stamp.replace("es.0.", "es.9.")) is None  # raised by hand
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
def test_bad_files_are_refused_clearly_and_change_nothing(app, ana, make, filename, message):
    text = download(ana).__unicode__()
    before = catalog_bytes(app)
    response = upload(ana, make(text), filename)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'role="alert"' in html and message in html
    assert catalog_bytes(app) == before


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
    before = catalog_bytes(app)
    response = upload(ana, po.__unicode__().encode())
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "New translations (1)" in html and "Changed translations (1)" in html
    assert "Not applied: failed checks (1)" in html and "Ignored: not in the template (1)" in html
    assert "Conflicts (0)" in html
    assert catalog_bytes(app) == before
    assert apply(ana, html, mode="translations").status_code == 302
    after = load_po(po_path(app.config["TRANSLATIONS_DIR"], "es"))
    assert after.find(TITLE).msgstr == "Pruebas cuando vuelve la leucemia"
    assert after.find("Infections").msgstr == "Las infecciones"
    assert after.find(bad.msgid).msgstr == ""
    assert after.find("A sentence the template does not have") is None


def test_apply_as_needing_edit_marks_fuzzy(app, ana):
    po = download(ana)
    po.find(TITLE).msgstr = "Pruebas"
    html = upload(ana, po.__unicode__().encode()).get_data(as_text=True)
    assert apply(ana, html, mode="fuzzy").status_code == 302
    assert "fuzzy" in load_po(po_path(app.config["TRANSLATIONS_DIR"], "es")).find(TITLE).flags


def test_apply_is_refused_whole_if_the_catalog_changed_after_the_preview(app, ana, work):
    po = download(ana)
    po.find(TITLE).msgstr = "Pruebas del archivo"
    po.find("Infections").msgstr = "Infecciones del archivo"
    html = upload(ana, po.__unicode__().encode()).get_data(as_text=True)
    work.translate("es", "Infections", "Infecciones del servidor", author="ana")
    before = catalog_bytes(app)
    response = apply(ana, html, mode="translations")
    assert response.status_code == 409
    assert "changed since this preview" in response.get_data(as_text=True)
    assert catalog_bytes(app) == before


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


def test_pending_uploads_live_in_the_configured_folder_and_stale_ones_are_pruned(app, ana):
    import os
    import time
    from pathlib import Path

    folder = Path(app.config["UPLOAD_DIR"]) / "es"
    folder.mkdir(parents=True)
    stale = folder / ("0" * 32 + ".po")
    stale.write_text("old preview")
    os.utime(stale, (time.time() - 2 * 86400, time.time() - 2 * 86400))
    po = download(ana)
    po.find(TITLE).msgstr = "Pruebas"
    assert upload(ana, po.__unicode__().encode()).status_code == 200
    assert not stale.exists()
    assert len(list(folder.glob("*.po"))) == 1
