"""Two hosts, one database (docs/design.md, invariant 8): two portal processes under gunicorn, each with an
instance folder of its own, sharing one database (PostgreSQL in CI's second pass, the SQLite file
otherwise), driven over HTTP as a load balancer would send people to either.

* a save on A is in B's editor, search and download;
* a save on B based on the text before A's save is a conflict, not an overwrite;
* an approval on B is served by A's next family request;
* an upload previewed on A is applied on B;
* both hosts serve the same pages.
"""
from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import polib
import pytest

from portal.translation.identity import message_id
from portal.translation.pofile import dumps
from tests.conftest import ROOT, close_app, make_app

MESSAGE = "Tests when leukemia comes back"
MID = message_id(("", MESSAGE, ""))
PAGE = "/es/tests"
UPLOADED = "Infections"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Browser:
    """One person's browser: cookies, and forms posted with the page's CSRF token."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def at(self, base: str) -> "Browser":
        """The same person (same cookies) sent to another host by the load balancer."""
        other = Browser(base)
        other.jar, other.opener = self.jar, urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar),
                                                                         NoRedirect)
        return other

    def request(self, path: str, data: dict | None = None, files: dict | None = None) -> tuple[int, str, dict]:
        body, headers = None, {}
        if files:
            boundary = uuid.uuid4().hex
            parts = []
            for name, value in (data or {}).items():
                parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
            for name, (filename, content) in files.items():
                parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                             f'Content-Type: text/x-gettext-translation\r\n\r\n'.encode() + content + b"\r\n")
            body = b"".join(parts) + f"--{boundary}--\r\n".encode()
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        elif data is not None:
            body = urllib.parse.urlencode(data).encode()
        try:
            with self.opener.open(urllib.request.Request(self.base + path, data=body, headers=headers), timeout=20) as r:
                return r.status, r.read().decode("utf-8"), dict(r.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace"), dict(error.headers)

    def token(self, path: str) -> str:
        status, html, _ = self.request(path)
        assert status == 200, (path, status)
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)

    def log_in(self, username: str) -> None:
        status, _, headers = self.request("/login", {"csrf_token": self.token("/login"), "username": username,
                                                     "password": "correct horse battery"})
        assert status == 302, f"{username} could not log in on {self.base}"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture
def hosts(tmp_path):
    """Two gunicorn processes (2 workers each) on one database; stopped by their process group."""
    app = make_app(tmp_path, ROOT / "translations")
    from tests.conftest import Workflow

    work = Workflow(app)
    work.user("tina", "translator", "es")
    work.user("tom", "translator", "es")
    work.user("rita", "reviewer", "es")
    env_common = dict(os.environ, FLASK_SECRET_KEY="one key for every host", FLASK_DATABASE_URL=app.config["DATABASE_URL"],
                      FLASK_TRANSLATIONS_DIR=app.config["TRANSLATIONS_DIR"], FLASK_SESSION_COOKIE_SECURE="false",
                      FLASK_REMEMBER_COOKIE_SECURE="false", PORTAL_WORKERS="2", PORTAL_THREADS="4")
    servers, urls, logs = [], [], []
    try:
        for name in ("a", "b"):
            port = free_port()
            instance = tmp_path / f"instance-{name}"
            instance.mkdir()
            env = dict(env_common, FLASK_INSTANCE_PATH=str(instance), PORTAL_BIND=f"127.0.0.1:{port}")
            logs.append(open(tmp_path / f"host-{name}.log", "wb"))  # the server's output, kept for a failure
            servers.append(subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
                                             "--no-control-socket", "app:app"], cwd=ROOT, env=env,
                                            start_new_session=True, stdout=logs[-1], stderr=subprocess.STDOUT))
            urls.append(f"http://127.0.0.1:{port}")
        for url in urls:
            for _ in range(150):
                try:
                    urllib.request.urlopen(url + "/login", timeout=2).read()
                    break
                except OSError:
                    time.sleep(0.1)
            else:
                raise AssertionError(f"{url} did not start")
        yield urls[0], urls[1], work
    finally:
        for server in servers:
            os.killpg(server.pid, signal.SIGTERM)
        for server in servers:
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        for log in logs:
            log.close()
        close_app(app)


def editor_base(browser: Browser) -> str:
    _, html, _ = browser.request(f"/translate/es/m/{MID}")
    return re.search(r'name="base" value="(\d+)"', html).group(1)


def test_two_hosts_on_one_database_agree(hosts):
    a_url, b_url, work = hosts
    tina, tom, rita = Browser(a_url), Browser(b_url), Browser(b_url)
    tina.log_in("tina")
    tom.log_in("tom")
    rita.log_in("rita")

    # Tom opens the editor on B before Tina saves on A.
    stale_base = editor_base(tom)
    page = f"/translate/es/m/{MID}"
    status, _, _ = tina.request(page, {"csrf_token": tina.token(page), "base": editor_base(tina),
                                       "form0": "Pruebas cuando la leucemia regresa (de A)"})
    assert status == 302

    # B's editor, search and download have A's save.
    assert "Pruebas cuando la leucemia regresa (de A)" in tom.request(page)[1]
    assert "Pruebas cuando la leucemia regresa (de A)" in tom.request("/translate/es/?q=regresa+(de+a)")[1]
    status, download, _ = tom.request("/translate/es/download")
    assert status == 200 and polib.pofile(download).find(MESSAGE).msgstr == "Pruebas cuando la leucemia regresa (de A)"

    # A save on B from the page opened before A's save is a conflict, and overwrites nothing.
    status, html, _ = tom.request(page, {"csrf_token": tom.token(page), "base": stale_base,
                                         "form0": "Pruebas (de B, sin ver lo de A)"})
    assert status == 409 and "Someone else changed this message" in html
    assert work.unit("es", MESSAGE).forms == ["Pruebas cuando la leucemia regresa (de A)"]

    # An approval on B is served by A's next family request.
    family_a = Browser(a_url)
    assert "Pruebas cuando la leucemia regresa (de A)" not in family_a.request(PAGE)[1]
    review = f"/review/es/m/{MID}"
    _, html, _ = rita.request(review)
    seen = re.search(r'name="seen" type="hidden" value="([0-9a-f]{64})"', html).group(1)
    status, _, _ = rita.request(f"{review}/approve", {"csrf_token": rita.token(review), "seen": seen, "note": ""})
    assert status == 302
    assert "Pruebas cuando la leucemia regresa (de A)" in family_a.request(PAGE)[1]

    # An upload previewed on A is applied on B (the person's session is good on both hosts).
    status, download, _ = tina.request("/translate/es/download")
    catalog = polib.pofile(download)
    catalog.find(UPLOADED).msgstr = "Las infecciones (subido en A)"
    status, preview, _ = tina.request("/translate/es/upload", {"csrf_token": tina.token("/translate/es/upload")},
                                      files={"file": ("messages.po", dumps(catalog).encode("utf-8"))})
    assert status == 200 and "Changed translations (1)" in preview
    token = re.search(r'/translate/es/upload/([0-9a-f]+)"', preview).group(1)
    digest = re.search(r'name="digest" value="([0-9a-f]+)"', preview).group(1)
    tina_on_b = tina.at(b_url)
    status, _, headers = tina_on_b.request(f"/translate/es/upload/{token}", {
        "csrf_token": tina_on_b.token("/translate/es/upload"), "digest": digest, "mode": "translations"})
    assert status == 302 and headers["Location"].endswith("/translate/es/"), (status, headers)
    assert work.unit("es", UPLOADED).forms == ["Las infecciones (subido en A)"]

    # Both hosts serve the same pages, in every language.
    for path in ("/es/tests", "/es/infections", "/ar/glossary", "/vi/", "/zh-Hans/outlook", "/en/treatment"):
        assert Browser(a_url).request(path)[1] == Browser(b_url).request(path)[1], path


def test_without_a_shared_secret_key_a_multi_host_database_refuses_to_start(tmp_path, monkeypatch):
    """A key each host made for itself would log people out whenever the load balancer sent them
    to another host: with a database other than the embedded SQLite, the portal will not start
    without one, and says how to set it."""
    from portal import ConfigurationError, create_app

    monkeypatch.delenv("FLASK_SECRET_KEY", raising=False)
    monkeypatch.setenv("FLASK_INSTANCE_PATH", str(tmp_path / "instance"))
    with pytest.raises(ConfigurationError, match="FLASK_SECRET_KEY is not set.*every host"):
        create_app({"DATABASE_URL": "postgresql+psycopg://portal@db.example.invalid/portal"})
    assert not (tmp_path / "instance" / "secret_key").exists()
    app = create_app({"DATABASE_URL": "postgresql+psycopg://portal@db.example.invalid/portal",
                      "SECRET_KEY": "shared"})  # no connection is made at start
    assert app.secret_key == "shared"
    app.extensions["db_engine"].dispose()
    embedded = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'one.sqlite3'}"})
    assert embedded.secret_key == (tmp_path / "instance" / "secret_key").read_text().strip()  # one host: made for it
    embedded.extensions["db_engine"].dispose()
