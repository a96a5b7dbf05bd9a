"""The production server configuration (gunicorn.conf.py): real gunicorn processes and slow clients.

A slow client opens a connection, sends the start of a request and then dribbles one header byte
at a time, never finishing. Plain sync workers (`gunicorn -w 2`, the old production command)
are stalled by as many slow clients as there are workers; the configuration must keep answering
everyone else, quickly, as long as it has a thread free.
"""
from __future__ import annotations

import os
import re
import runpy
import signal
import socket
import subprocess
import sys
import threading
import time
import types
import urllib.error
import urllib.request
from contextlib import contextmanager

import gunicorn.config
import pytest

from tests.conftest import ROOT

CONFIG = ROOT / "gunicorn.conf.py"
ANSWER_WITHIN = 2.0  # seconds: a normal request behind slow clients
SETTINGS_ENV = ("PORTAL_BIND", "PORTAL_WORKERS", "PORTAL_THREADS", "PORTAL_LOG_LEVEL")


# --- the configuration file ---------------------------------------------------------------------

def load_config(monkeypatch, **env) -> gunicorn.config.Config:
    """The file's settings as gunicorn applies them (unknown names are ignored there, silently)."""
    for name in SETTINGS_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    values = runpy.run_path(str(CONFIG))
    config = gunicorn.config.Config()
    for name, value in values.items():
        if name in config.settings:
            config.set(name, value)
    return config


def test_every_name_in_the_config_file_is_a_gunicorn_setting(monkeypatch):
    """gunicorn skips a misspelt setting without a word (``keep_alive = 0`` would do nothing)."""
    values = runpy.run_path(str(CONFIG))
    names = {name for name, value in values.items()
             if not name.startswith("__") and not isinstance(value, types.ModuleType) and not callable(value)}
    assert names - set(gunicorn.config.Config().settings) == set()


def test_defaults_threads_on_the_loopback_address(monkeypatch):
    monkeypatch.setenv("PORT", "8080")  # gunicorn alone would then listen on 0.0.0.0:8080
    config = load_config(monkeypatch)
    assert config.bind == ["127.0.0.1:8000"]
    assert config.worker_class_str == "gthread" and config.workers == 2 and config.threads == 8
    assert config.worker_connections == config.threads
    assert config.accesslog == "-" and config.control_socket_disable


def test_environment_overrides(monkeypatch):
    config = load_config(monkeypatch, PORTAL_BIND="127.0.0.1:9001", PORTAL_WORKERS="3", PORTAL_THREADS="4")
    assert config.bind == ["127.0.0.1:9001"]
    assert (config.workers, config.threads, config.worker_connections) == (3, 4, 4)


# --- a real gunicorn and slow clients ---------------------------------------------------------

@contextmanager
def gunicorn_server(app, tmp_path, args: list[str], env: dict[str, str]):
    """gunicorn on an ephemeral port of 127.0.0.1, serving tests.worker_app on this test's database;
    yields its URL. It runs in a folder of its own, so it reads a config file only if ``args``
    names one, and is stopped by its process group's id."""
    environment = dict(os.environ, PYTHONPATH=str(ROOT), FLASK_SECRET_KEY="x",
                       FLASK_DATABASE_URL=app.config["DATABASE_URL"],
                       FLASK_TRANSLATIONS_DIR=app.config["TRANSLATIONS_DIR"],
                       FLASK_PUBLISHED_DIR=app.config["PUBLISHED_DIR"],
                       FLASK_INSTANCE_PATH=str(tmp_path / "instance"), **env)
    for name in SETTINGS_ENV:
        if name not in env:
            environment.pop(name, None)
    log = tmp_path / "gunicorn.log"
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    with open(log, "wb") as output:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", *args, "tests.worker_app:app"],
                                  cwd=run_dir, env=environment, stdout=subprocess.DEVNULL, stderr=output,
                                  start_new_session=True)
    try:
        deadline = time.monotonic() + 20
        while not (found := re.search(rb"Listening at: (http://127\.0\.0\.1:\d+)", log.read_bytes())):
            assert server.poll() is None and time.monotonic() < deadline, \
                f"gunicorn did not start:\n{log.read_text(errors='replace')}"
            time.sleep(0.05)
        url = found.group(1).decode()
        while True:  # until a worker answers (each imports the app first)
            try:
                urllib.request.urlopen(f"{url}/login", timeout=5).close()
                break
            except (urllib.error.URLError, OSError):
                assert server.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")
                time.sleep(0.1)
        yield url
    finally:
        stop(server)


def stop(server: subprocess.Popen) -> None:
    """SIGTERM to gunicorn's process group (the master and its workers); SIGKILL if it lingers."""
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    except ProcessLookupError:  # it had already exited
        server.wait()
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def warm_up(url: str) -> None:
    """Render the pages once in every worker (the first render of each is slower)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda path: timed_get(url + path, 10), ["/login", "/es/"] * 8))


@contextmanager
def slow_clients(url: str, count: int):
    """``count`` connections that send a request line and then a header byte every 0.1 s."""
    host, port = url.removeprefix("http://").split(":")
    stop = threading.Event()
    sockets = [socket.create_connection((host, int(port))) for _ in range(count)]

    def dribble(sock: socket.socket) -> None:
        sock.sendall(b"GET /es/ HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        header = b"X-Slow: a\r\n"
        sent = 0
        while not stop.wait(0.1):
            try:
                sock.sendall(header[sent % len(header):][:1])
            except OSError:
                return  # the server hung up (a sync worker killed by its timeout)
            sent += 1

    threads = [threading.Thread(target=dribble, args=(sock,), daemon=True) for sock in sockets]
    for thread in threads:
        thread.start()
    time.sleep(0.5)  # every slow client has started its request
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=2)
        for sock in sockets:
            sock.close()


def timed_get(url: str, timeout: float) -> float | None:
    """Seconds until the whole answer came, or None if it did not within ``timeout``."""
    start = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            response.read()
            assert response.status == 200
    except (TimeoutError, socket.timeout):
        return None
    except urllib.error.URLError as error:
        if isinstance(error.reason, (TimeoutError, socket.timeout)):
            return None
        raise
    return time.monotonic() - start


def normal_requests(url: str, count: int) -> list[float | None]:
    return [timed_get(url + path, ANSWER_WITHIN) for path in ["/es/", "/login"] * (count // 2)]


PRODUCTION = ["-c", str(CONFIG)]
PLAIN_SYNC = ["-w", "2", "-b", "127.0.0.1:0",  # the README's production command before gunicorn.conf.py
              "--no-control-socket"]  # (and no socket in $HOME: not about requests)


@pytest.mark.parametrize("workers, threads, slow", [("2", "8", 4), ("2", "2", 3)],
                         ids=["defaults-4-slow", "2x2-threads-3-slow"])
def test_slow_clients_do_not_hold_up_other_requests(app, work, tmp_path, workers, threads, slow):
    """With the production configuration, normal requests are answered within ANSWER_WITHIN
    seconds while slow clients hold some of the threads: at the defaults (16 threads) with 4
    slow clients, and at 2 x 2 threads with 3. There one worker has both threads held, and must
    not accept connections it has no thread for (worker_connections = threads); without that
    setting, 4 or 5 of the 6 requests went unanswered in 2 runs of 3."""
    env = {"PORTAL_BIND": "127.0.0.1:0", "PORTAL_WORKERS": workers, "PORTAL_THREADS": threads,
           "PORTAL_LOG_LEVEL": "info"}
    work.publish("es")
    with gunicorn_server(app, tmp_path, PRODUCTION, env) as url:
        warm_up(url)
        with slow_clients(url, slow):
            times = normal_requests(url, 6)
    assert all(t is not None for t in times), \
        f"requests not answered within {ANSWER_WITHIN} s behind {slow} slow clients: {times}"


def test_slow_clients_stall_plain_sync_workers(app, work, tmp_path):
    """The control: the same slow clients against `gunicorn -w 2` (sync workers, no config file)
    leave a normal request unanswered, so the test above measures something real."""
    work.publish("es")
    with gunicorn_server(app, tmp_path, PLAIN_SYNC, {}) as url:
        warm_up(url)
        with slow_clients(url, 4):
            waited = timed_get(url + "/es/", ANSWER_WITHIN)
    assert waited is None, f"a normal request was answered in {waited:.2f} s behind 4 slow clients"
