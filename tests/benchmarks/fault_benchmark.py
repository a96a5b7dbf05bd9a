"""Family pages and staff pages while the database is frozen (issue 12).

Starts a PostgreSQL server of its own, the portal under gunicorn with the production settings
(gunicorn.conf.py, 2 workers), and, as the baseline in the same run, a Flask hello-world under the
same gunicorn settings. Then, with READERS threads reading a family page:

1. the database healthy, for SECONDS;
2. the database frozen (SIGSTOP of every process of its server) for FROZEN seconds (30 by
   default), while one signed-in translator opens a staff page again and again;
3. the database thawed.

It prints the median, 99th percentile and maximum latency of each phase, the share of answers
that were 200 with the approved text, and the staff pages' latency (the portal's own 503 page).
Needs root and PostgreSQL (as CI has). Not collected by pytest. From the repository root:

    .venv/bin/python tests/benchmarks/fault_benchmark.py [--frozen 30] [--seconds 10] [--readers 6]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.servers import OwnPostgres, gunicorn, hello_world, why_no_postgres  # noqa: E402
from tests.test_faults import SPANISH, publish_spanish  # noqa: E402
from tests.test_two_hosts import Browser  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def read_for(url: str, path: str, seconds: float, readers: int, expect: str | None) -> list[tuple[bool, float]]:
    stop, results, lock = time.monotonic() + seconds, [], threading.Lock()

    def reader():
        while time.monotonic() < stop:
            started = time.perf_counter()
            status, html, _ = Browser(url).request(path)
            ok = status == 200 and (expect is None or expect in html)
            with lock:
                results.append((ok, time.perf_counter() - started))

    threads = [threading.Thread(target=reader) for _ in range(readers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def line(name: str, results: list[tuple[bool, float]]) -> str:
    took = [t * 1000 for _, t in results]
    ok = sum(1 for good, _ in results if good)
    return (f"{name:<34} {len(results):>6} {ok / len(results) * 100:>6.1f}% {statistics.median(took):>9.1f} "
            f"{percentile(took, 0.99):>9.1f} {max(took):>9.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frozen", type=float, default=30)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--readers", type=int, default=6)
    args = parser.parse_args()
    reason = why_no_postgres()
    if reason:
        print(f"cannot run: {reason}")
        return 2
    from tests.conftest import Workflow, close_app, make_app

    folder = Path(tempfile.mkdtemp(prefix="portal-fault-bench-"))
    postgres = OwnPostgres()
    try:
        empty = folder / "empty"
        empty.mkdir()
        (empty / "messages.pot").write_bytes((ROOT / "translations" / "messages.pot").read_bytes())
        app = make_app(folder / "app", empty, DATABASE_URL=postgres.url)
        publish_spanish(Workflow(app))
        env = dict(FLASK_SECRET_KEY="bench", FLASK_DATABASE_URL=postgres.url,
                   FLASK_TRANSLATIONS_DIR=app.config["TRANSLATIONS_DIR"], FLASK_INSTANCE_PATH=str(folder / "instance"),
                   FLASK_SESSION_COOKIE_SECURE="false", FLASK_REMEMBER_COOKIE_SECURE="false")
        rows = []
        with hello_world(folder, folder / "hello.log") as hello:
            rows.append(line("hello-world (baseline)", read_for(hello, "/", args.seconds, args.readers, None)))
        with gunicorn(env, folder / "portal.log") as url:
            tina = Browser(url)
            tina.log_in("tina")
            read_for(url, "/es/tests", 1, args.readers, SPANISH)  # every worker has the catalog
            healthy = read_for(url, "/es/tests", args.seconds, args.readers, SPANISH)
            rows.append(line("family page, database healthy", healthy))
            staff: list[tuple[bool, float]] = []

            def staff_pages():
                stop = time.monotonic() + args.frozen - 1
                while time.monotonic() < stop:
                    started = time.perf_counter()
                    status, html, _ = tina.request("/translate/es/")
                    staff.append((status == 503 and "The database is not answering" in html,
                                  time.perf_counter() - started))

            postgres.freeze()
            try:
                staffing = threading.Thread(target=staff_pages)
                staffing.start()
                frozen = read_for(url, "/es/tests", args.frozen, args.readers, SPANISH)
                staffing.join()
            finally:
                postgres.thaw()
            rows.append(line(f"family page, database frozen {args.frozen:.0f} s", frozen))
            rows.append(line("staff page, database frozen", staff))
            time.sleep(6)  # the staff side's pause after a failed connection
            rows.append(line("family page, after the thaw", read_for(url, "/es/tests", args.seconds, args.readers,
                                                                     SPANISH)))
        close_app(app)
        load = os.getloadavg()[0]
        print(f"gunicorn.conf.py, 2 workers; {args.readers} readers; load average {load:.1f} on {os.cpu_count()} cores")
        print(f"{'':<34} {'answers':>6} {'ok':>7} {'p50 ms':>9} {'p99 ms':>9} {'max ms':>9}")
        for row in rows:
            print(row)
        hello_p50 = float(rows[0].split()[-3])
        healthy_p50 = statistics.median(t for _, t in healthy) * 1000
        frozen_p50 = statistics.median(t for _, t in frozen) * 1000
        print(f"frozen/healthy family p50: {frozen_p50 / healthy_p50:.2f}x; healthy family p50 / hello-world p50: "
              f"{healthy_p50 / hello_p50:.1f}x")
        return 0
    finally:
        postgres.close()


if __name__ == "__main__":
    sys.exit(main())
