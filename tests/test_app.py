"""The app factory's configuration order, and a publish reaching every gunicorn worker through
the database (no folder of served catalogs: docs/design.md, invariant 8)."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from sqlalchemy import select

from portal import create_app
from portal.people.accounts import find_user
from portal.review.models import Approval
from portal.review.operations import revoke_approval
from tests.conftest import ROOT


def test_config_order_defaults_instance_file_environment_test(tmp_path, monkeypatch):
    import flask

    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text("TRANSLATIONS_DIR = 'from-instance'\nDATABASE_URL = 'sqlite:///instance.db'\n"
                                        "SECRET_KEY = 'instance-secret'\n")
    monkeypatch.setenv("FLASK_DATABASE_URL", "sqlite:///from-env.db")
    original = flask.Flask.__init__

    def with_instance(self, *args, **kwargs):
        kwargs["instance_path"] = str(instance)
        original(self, *args, **kwargs)

    monkeypatch.setattr(flask.Flask, "__init__", with_instance)
    app = create_app({"SECRET_KEY": "test-wins"})
    assert app.config["TRANSLATIONS_DIR"] == "from-instance"  # instance/config.py over the default
    assert app.config["DATABASE_URL"] == "sqlite:///from-env.db"  # FLASK_* over instance/config.py
    assert app.config["SECRET_KEY"] == "test-wins"  # test_config over everything
    assert app.config["CONTENT_DIR"] == str(ROOT / "content")  # default kept


def test_default_database_is_sqlite_in_the_instance_folder(monkeypatch):
    monkeypatch.delenv("FLASK_DATABASE_URL", raising=False)
    app = create_app({"SECRET_KEY": "x"})
    assert app.config["DATABASE_URL"] == f"sqlite:///{Path(app.instance_path) / 'portal.sqlite3'}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _fetch(url: str) -> tuple[str, str]:
    request = urllib.request.Request(url, headers={"Connection": "close"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.headers["X-Worker"], response.read().decode()


def _fetch_from_both_workers(url: str) -> list[tuple[str, str]]:
    """Concurrent requests until both workers have answered (at most 400)."""
    from concurrent.futures import ThreadPoolExecutor

    results: list[tuple[str, str]] = []
    with ThreadPoolExecutor(max_workers=8) as pool:
        while len({worker for worker, _ in results}) < 2 and len(results) < 400:
            results += list(pool.map(lambda _: _fetch(url), range(40)))
    return results


def test_publish_reaches_every_gunicorn_worker_without_restart(app, work, tmp_path):
    """Two real worker processes on the test's database; after a publish, every response from
    either serves the new text, and after a revocation (another publish) none does. The workers
    share nothing but the database: they are told of no folder of served catalogs."""
    port = _free_port()
    env = dict(os.environ, FLASK_SECRET_KEY="x", FLASK_DATABASE_URL=app.config["DATABASE_URL"],
               FLASK_TRANSLATIONS_DIR=app.config["TRANSLATIONS_DIR"], PORTAL_WORKER_HEADER="1",
               FLASK_INSTANCE_PATH=str(tmp_path / "instance"))  # its own: nothing in the repository's
    env.pop("FLASK_PUBLISHED_DIR", None)
    work.publish("es")
    # The production configuration (threaded workers), with two workers on a port of our own.
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-w", "2", "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", "tests.worker_app:app"], cwd=ROOT, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/es/tests"
        for _ in range(100):
            try:
                _fetch(url)
                break
            except OSError:
                time.sleep(0.1)
        before = _fetch_from_both_workers(url)
        assert len({worker for worker, _ in before}) == 2, "both workers answered and cached the catalog"
        assert not any("Saltar al contenido principal" in body for _, body in before)
        work.user("tina", "translator", "es")
        work.user("rita", "reviewer", "es")
        work.translate("es", "Skip to main content", "Saltar al contenido principal", author="tina")
        outcome = work.approve("es", "Skip to main content", "rita")  # site text is reviewed; approving publishes
        after = _fetch_from_both_workers(url)
        assert len({worker for worker, _ in after}) == 2
        assert all("Saltar al contenido principal" in body for _, body in after)
        assert outcome.report is not None
        # A publish that takes a text back reaches them as well: English again, on every worker.
        with work.session() as session:
            approval = session.scalars(select(Approval).where(Approval.msgid == "Skip to main content")).one()
            revoke_approval(session, "es", approval.id, find_user(session, "rita"), "Wrong register.")
        revoked = _fetch_from_both_workers(url)
        assert len({worker for worker, _ in revoked}) == 2
        assert not any("Saltar al contenido principal" in body for _, body in revoked)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
