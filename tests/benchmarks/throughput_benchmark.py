"""Throughput of the families' pages (issue 13): the portal under gunicorn, a Flask hello-world, and
nginx serving the static export.

Starts, each on a free port of 127.0.0.1:

* the portal under gunicorn with gunicorn.conf.py (2 workers), on a fresh SQLite database with the
  shipped drafts and some approvals (those of tests/test_static_export.py);
* a Flask hello-world under the same gunicorn settings: the most any Flask page can do on this machine;
* nginx with deploy/nginx-static.conf serving a fresh `flask export-static` of that database, and, in
  the same nginx, a server with nothing configured serving a tiny static file: the most nginx can do.

Then it drives each in turn with wrk (``wrk -t2 -c16 -d5s`` by default), interleaved for several
rounds so that load from others on the machine falls on all of them alike, and prints requests per
second (the median of the rounds) and ratios. It also times the first GET of a family page right
after a publish (the worker that answers loads the new catalog first), median of several publishes,
next to the same GET with nothing published. Numbers only: no pass or fail.

Needs wrk and nginx (Debian: apt-get install wrk nginx). Not collected by pytest. From the
repository root:

    .venv/bin/python tests/benchmarks/throughput_benchmark.py [--rounds 3] [--duration 5] [--connections 16]
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.servers import free_port, gunicorn, hello_world, nginx, nginx_static_conf, why_no_nginx  # noqa: E402

PAGE = "/es/tests"
TINY = b"Hello, World!\n"


def wrk(url: str, threads: int, connections: int, duration: float) -> tuple[float, str]:
    """Requests per second wrk measured, and a note when some answers were errors."""
    done = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration:g}s", url], capture_output=True,
                          text=True, timeout=duration + 60)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed on {url}: {done.stderr.strip() or done.stdout.strip()}")
    rate = float(re.search(r"Requests/sec:\s*([\d.]+)", done.stdout).group(1))
    notes = [m.group(0) for m in re.finditer(r"(Non-2xx or 3xx responses: \d+|Socket errors: [^\n]+)", done.stdout)]
    return rate, "; ".join(notes)


def get_ms(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=30) as response:
        response.read()
        assert response.status == 200
    return (time.perf_counter() - started) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=5, help="seconds of each wrk run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk's threads")
    parser.add_argument("--publishes", type=int, default=7, help="publishes timed for the first GET after one")
    args = parser.parse_args()
    reason = why_no_nginx() or (None if shutil.which("wrk") else "wrk is not installed (Debian: apt-get install wrk)")
    if reason:
        print(f"cannot run: {reason}")
        return 2
    from portal.families.export import export_static
    from tests.conftest import Workflow, close_app, make_app
    from tests.test_static_export import BASE, approve_some

    folder = Path(tempfile.mkdtemp(prefix="portal-throughput-bench-"))
    os.chmod(folder, 0o755)  # nginx's workers (nobody, when run as root) read the export in it
    app = None
    try:
        app = make_app(folder / "app", ROOT / "translations")
        work = Workflow(app)
        approve_some(work)
        for name in ("site", "tiny"):
            (folder / name).mkdir()
            os.chmod(folder / name, 0o755)
        export = export_static(app, folder / "site" / "export", BASE)
        (folder / "tiny" / "tiny.txt").write_bytes(TINY)
        os.chmod(folder / "tiny" / "tiny.txt", 0o644)
        env = dict(FLASK_SECRET_KEY="bench", FLASK_DATABASE_URL=app.config["DATABASE_URL"],
                   FLASK_TRANSLATIONS_DIR=app.config["TRANSLATIONS_DIR"], FLASK_INSTANCE_PATH=str(folder / "instance"))
        static_port, tiny_port = free_port(), free_port()
        http_conf = (nginx_static_conf(export.target, static_port)
                     + f"\nserver {{\n    listen 127.0.0.1:{tiny_port};\n    root {folder / 'tiny'};\n}}\n")
        with hello_world(folder, folder / "hello.log") as hello, \
                gunicorn(env, folder / "portal.log") as portal, \
                nginx(http_conf, folder / "nginx", static_port) as static:
            tiny = f"http://127.0.0.1:{tiny_port}"
            targets = [("hello-world (Flask, gunicorn)", hello + "/"),
                       (f"family page {PAGE} (portal, gunicorn)", portal + PAGE),
                       (f"family page {PAGE} (nginx, the export)", static + PAGE),
                       ("tiny static file (nginx, nothing else)", tiny + "/tiny.txt")]
            for _, url in targets:  # every worker has its catalog; every answer is 200
                for _ in range(4):
                    with urllib.request.urlopen(url, timeout=30) as response:
                        assert response.status == 200, url
            load_before = os.getloadavg()[0]
            rates: dict[str, list[float]] = {name: [] for name, _ in targets}
            notes: dict[str, set[str]] = {name: set() for name, _ in targets}
            for _ in range(args.rounds):
                for name, url in targets:
                    rate, note = wrk(url, args.threads, args.connections, args.duration)
                    rates[name].append(rate)
                    if note:
                        notes[name].add(note)
            load_after = os.getloadavg()[0]
            # The first GET after a publish, against the same GET with nothing published.
            after_publish, steady = [], []
            for _ in range(args.publishes):
                for _ in range(4):
                    get_ms(portal + PAGE)
                steady.append(get_ms(portal + PAGE))
                work.publish("es")
                after_publish.append(get_ms(portal + PAGE))
        median = {name: statistics.median(values) for name, values in rates.items()}
        names = [name for name, _ in targets]
        print(f"wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s, {args.rounds} rounds interleaved; "
              f"{os.cpu_count()} cores; load average {load_before:.1f} before, {load_after:.1f} after")
        print(f"{'':<44} {'req/s':>10}   rounds")
        for name in names:
            rounds = " ".join(f"{rate:.0f}" for rate in rates[name])
            extra = f"   ({'; '.join(sorted(notes[name]))})" if notes[name] else ""
            print(f"{name:<44} {median[name]:>10.0f}   {rounds}{extra}")
        hello_rate, portal_rate, export_rate, tiny_rate = (median[name] for name in names)
        print(f"family page, portal / hello-world:             {portal_rate / hello_rate:.2f}")
        print(f"family page, nginx export / nginx tiny file:   {export_rate / tiny_rate:.2f}")
        print(f"family page, nginx export / portal:            {export_rate / portal_rate:.1f}x")
        first, usual = statistics.median(after_publish), statistics.median(steady)
        print(f"first GET of {PAGE} after a publish: {first:.1f} ms median of {args.publishes} "
              f"(max {max(after_publish):.1f}); with nothing published: {usual:.1f} ms; ratio {first / usual:.1f}x")
        return 0
    finally:
        if app is not None:
            close_app(app)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
