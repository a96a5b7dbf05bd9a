"""Real servers for fault tests and benchmarks: a PostgreSQL server of the test's own (to stop and
freeze without disturbing anyone else's), the portal under gunicorn, and a full disk.

Everything listens on 127.0.0.1 and is stopped by the PID (or process group) it was started with.
"""
from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda p: p.parent.parent.name)
    return found[-1].parent if found else None


def why_no_postgres() -> str | None:
    """None when this process can run a PostgreSQL server of its own; else the reason."""
    if postgres_bin() is None:
        return "PostgreSQL is not installed (Debian: apt-get install postgresql; `make test` does it as root)"
    if os.geteuid() != 0:
        return "starting a PostgreSQL server of the test's own needs root (to run it as the postgres user)"
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return "there is no postgres user"
    return None


class OwnPostgres:
    """A throwaway PostgreSQL server on a free port of 127.0.0.1, in a folder of its own."""

    def __init__(self):
        self.bin = postgres_bin()
        self.folder = Path(tempfile.mkdtemp(prefix="portal-faults-pg-"))
        self.port = free_port()
        shutil.chown(self.folder, "postgres", "postgres")
        self._as_postgres([str(self.bin / "initdb"), "-D", str(self.folder / "db"), "-A", "trust", "-U", "postgres",
                           "-E", "UTF8"])
        self.start()
        subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-qc",
                        "CREATE DATABASE portal"], check=True, capture_output=True)
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/portal"

    def _as_postgres(self, args: list[str]) -> None:
        subprocess.run(["su", "postgres", "-s", "/bin/sh", "-c", " ".join(f"'{a}'" for a in args)], check=True,
                       capture_output=True)

    def start(self) -> None:
        self._as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.folder / "db"), "-l",
                           str(self.folder / "server.log"), "-w", "-o",
                           f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off", "start"])

    def stop(self) -> None:
        """Stopped at once, as a crash or a power cut would (connections are cut)."""
        self.thaw()
        self._as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.folder / "db"), "-m", "immediate", "-w", "stop"])

    def pids(self) -> list[int]:
        main = int((self.folder / "db" / "postmaster.pid").read_text().split()[0])
        children = subprocess.run(["pgrep", "-P", str(main)], capture_output=True, text=True).stdout.split()
        return [main, *map(int, children)]

    def freeze(self) -> list[int]:
        """Every process of the server stopped (SIGSTOP): connections stay open, nothing answers."""
        self._frozen = self.pids()
        for pid in self._frozen:
            os.kill(pid, signal.SIGSTOP)
        return self._frozen

    def thaw(self) -> None:
        for pid in getattr(self, "_frozen", []):
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
        self._frozen = []

    def close(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.folder, ignore_errors=True)


def stop_group(server: subprocess.Popen) -> None:
    """Stop a server started with start_new_session=True, by its process group: SIGTERM, then
    SIGKILL if it has not gone within 20 s."""
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


HELLO = """
from flask import Flask
app = Flask(__name__)

@app.route("/")
def hello():
    return "Hello, World!"
"""


@contextmanager
def hello_world(folder: Path, log: Path, workers: int = 2):
    """The benchmarks' baseline: a Flask hello-world under the portal's gunicorn settings; yields
    its URL (answering on /)."""
    (folder / "hello").mkdir(parents=True, exist_ok=True)
    (folder / "hello" / "hello_app.py").write_text(HELLO)
    with gunicorn(dict(PYTHONPATH=str(folder / "hello")), log, workers=workers, app_module="hello_app:app") as url:
        yield url


@contextmanager
def gunicorn(env: dict[str, str], log: Path, workers: int = 2, app_module: str = "app:app"):
    """The portal (or ``app_module``) as production runs it (gunicorn.conf.py) on a free port;
    yields its URL."""
    port = free_port()
    environment = dict(os.environ, PORTAL_BIND=f"127.0.0.1:{port}", PORTAL_WORKERS=str(workers), **env)
    with open(log, "wb") as output:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--no-control-socket",
                                   app_module], cwd=ROOT, env=environment, start_new_session=True, stdout=output,
                                  stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    urllib.request.urlopen(url + ("/static/portal.css" if app_module == "app:app" else "/"),
                                           timeout=2).read()
                    break
                except OSError:
                    time.sleep(0.1)
            else:
                raise AssertionError(f"gunicorn did not start: {log.read_text()[-2000:]}")
            yield url
        finally:
            stop_group(server)


def why_no_small_disk() -> str | None:
    if os.geteuid() != 0:
        return "mounting a small tmpfs needs root"
    if shutil.which("mount") is None:
        return "there is no mount command"
    return None


@contextmanager
def small_disk(size_kb: int = 256):
    """A folder on a tmpfs of ``size_kb`` KiB, mounted for the test and unmounted after."""
    folder = Path(tempfile.mkdtemp(prefix="portal-faults-disk-"))
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(folder)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        folder.rmdir()
        raise RuntimeError(f"could not mount a tmpfs: {done.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def fill(folder: Path) -> None:
    """Fill the disk under ``folder`` to the last byte."""
    for name, chunk in (("filler", 65536), ("filler-tail", 1)):
        try:
            with open(folder / name, "wb") as handle:
                while True:
                    handle.write(b"\0" * chunk)
                    handle.flush()
        except OSError:
            pass


NGINX = Path("/usr/sbin/nginx")
NGINX_STATIC_CONF = ROOT / "deploy" / "nginx-static.conf"


def why_no_nginx() -> str | None:
    """None when Debian's nginx is installed; else what to do (`make test` installs it as root)."""
    if not NGINX.exists():
        return "Debian's nginx is not installed (apt-get install nginx; `make system-test-deps` does it as root)"
    return None


def nginx_static_conf(export: Path, port: int, conf: Path = NGINX_STATIC_CONF) -> str:
    """deploy/nginx-static.conf serving ``export`` on 127.0.0.1:``port``: its `root` line and its
    `listen` lines rewritten, as README says to."""
    import re

    text = conf.read_text()
    text, roots = re.subn(r"(?m)^(\s*)root\s+[^;]+;", lambda m: f"{m.group(1)}root {export};", text)
    assert roots == 1, f"{conf} should have exactly one root line"
    text, listens = re.subn(r"(?m)^(\s*)listen\s+[^;]+;", lambda m: f"{m.group(1)}listen 127.0.0.1:{port};", text)
    assert listens == 1, f"{conf} should have exactly one listen line"
    return text


@contextmanager
def nginx(http_conf: str, folder: Path, port: int):
    """Debian's nginx with ``http_conf`` (maps and server blocks, listening on 127.0.0.1:``port``)
    inside an http block of its own; every file it writes (logs, pid, temporary files) in ``folder``.
    Yields its URL; stopped by the PID it was started with."""
    folder.mkdir(parents=True, exist_ok=True)
    mime = Path("/etc/nginx/mime.types")
    types = f"include {mime};" if mime.exists() else \
        "types { text/html html; text/css css; text/xml xml; text/plain txt; }"
    temp = "\n".join(f"    {kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi",
                                                                            "scgi"))
    conf = folder / "nginx.conf"
    conf.write_text(f"""worker_processes 1;
error_log {folder / 'error.log'} warn;
events {{ worker_connections 512; }}
http {{
    {types}
    default_type application/octet-stream;
    access_log {folder / 'access.log'};
{temp}
{http_conf}
}}
""")
    with open(folder / "nginx.out", "wb") as output:
        server = subprocess.Popen([str(NGINX), "-p", str(folder), "-e", str(folder / "error.log"), "-c", str(conf),
                                   "-g", f"daemon off; pid {folder / 'nginx.pid'};"], cwd=folder,
                                  start_new_session=True, stdout=output, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                if server.poll() is not None:
                    raise AssertionError(f"nginx did not start: {(folder / 'nginx.out').read_text()[-2000:]} "
                                         f"{(folder / 'error.log').read_text()[-2000:]}")
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1):
                        break
                except OSError:
                    time.sleep(0.05)
            else:
                raise AssertionError(f"nginx did not listen on {port}: {(folder / 'error.log').read_text()[-2000:]}")
            yield url
        finally:
            stop_group(server)
