"""Translation memory at 20,000 messages (issue 15): suggestions for one message in at most 50 ms.

Builds the scale benchmark's template of SIZE messages (the real 421, then synthetic sentences
from a small vocabulary), where one synthetic message in three is rewritten as a near copy of the
one before it (one word changed), so most messages have similar ones; and its Spanish units (about 85 in 100 translated,
half of the translated approved), in a temporary database (SQLite; PostgreSQL too when
TEST_DATABASE_URL is set). Then it prints the median (and 90th percentile) of REPEAT runs of:

* index_build: the locale's index from nothing (a worker's first message page after it starts);
* index_refresh: the index after one save changed the units version (one message re-read);
* suggestions: up to three suggestions for one message with the index built (the units version
  checked, rapidfuzz over the index, the differing words), each run on another message;
* message_page: the translator's whole message page, suggestions included;

next to a baseline measured in the same run: one ``polib.pofile`` parse of the Spanish catalog
exported as a .po. Target: suggestions at most 50 ms median at 20,000 messages.

Not collected by pytest. Run from the repository root:

    .venv/bin/python tests/benchmarks/tm_benchmark.py [--size 20000] [--repeat 15]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import polib  # noqa: E402
from sqlalchemy import select  # noqa: E402

from portal import create_app  # noqa: E402
from portal.db import upgrade  # noqa: E402
from portal.people.accounts import create_user  # noqa: E402
from portal.translation import files, memory, template, units  # noqa: E402
from portal.translation.models import Unit  # noqa: E402
from portal.translation.pofile import dumps  # noqa: E402
from tests.benchmarks.scale_benchmark import (  # noqa: E402
    PASSWORD,
    WORDS,
    build_template,
    database_url,
    fill,
    login,
    ok,
    spanish_like,
    timed,
)


def with_near_copies(template_file: Path) -> None:
    """Every third synthetic message: the one before it with one word changed (its own number kept)."""
    catalog = polib.pofile(str(template_file))
    rng = random.Random(3)
    synthetic = [e for e in catalog if e.msgid.endswith(")") and "(n" in e.msgid and not e.msgid_plural]
    for before, entry in zip(synthetic[::3], synthetic[1::3]):
        words = before.msgid.rsplit(" (n", 1)[0].split()
        words[rng.randrange(len(words))] = rng.choice(WORDS)
        entry.msgid = " ".join(words) + " (n" + entry.msgid.rsplit(" (n", 1)[1]
    template_file.write_text(dumps(catalog), encoding="utf-8")


def index_now(app, kept: memory.TranslationMemory) -> None:
    with app.extensions["db"]() as session:
        kept.index(session, "es")


def measure(size: int, repeat: int, folder: Path) -> dict:
    template_file = build_template(size, folder)
    with_near_copies(template_file)
    url, drop = database_url(folder)
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": url,
                      "TRANSLATIONS_DIR": str(template_file.parent), "PUBLISHED_DIR": str(folder / "published")})
    try:
        upgrade(url)
        with app.extensions["db"]() as session:
            people = {name: create_user(session, name, PASSWORD, roles=[(role, "es")]).id
                      for name, role in (("tina", "translator"), ("rita", "reviewer"))}
            template.sync(session, template.load(template_file), "es", app.extensions["terms"])
            fill(app, session, "es", people, random.Random(size))
            session.commit()
        results = {}
        with app.extensions["db"]() as session:
            po_file = folder / "es.po"
            po_file.write_text(files.export(session, "es"), encoding="utf-8")
            rng = random.Random(1)
            singular = session.scalars(select(Unit.mid).where(Unit.locale == "es", Unit.msgid_plural == "",
                                                              Unit.position > 421)).all()
            targets = rng.sample(singular, repeat * 2 + 2)
        results["polib_parse"] = timed(lambda: polib.pofile(str(po_file)), max(3, repeat // 3))

        def build():
            with app.extensions["db"]() as session:
                memory.TranslationMemory().index(session, "es")
        results["index_build"] = timed(build, max(3, repeat // 3))

        kept = memory.TranslationMemory()
        with app.extensions["db"]() as session:
            index = kept.index(session, "es")
            results["indexed_texts"] = len(index.entries)
        changes = iter(targets)

        def refresh():
            with app.extensions["db"]() as session:  # a save (not timed), then the next page's index
                unit = units.get(session, "es", next(changes))
                units.apply_changes(session, "es", [units.Change(unit.mid, [spanish_like(unit.msgid) + " Ya."], None)],
                                    None, app.extensions["terms"], check=False)
                session.commit()
            return lambda: index_now(app, kept)
        samples = []
        for _ in range(repeat):
            run = refresh()
            samples.append(timed(run, 1)[0])
        samples.sort()
        results["index_refresh"] = (samples[len(samples) // 2], samples[min(len(samples) - 1, int(len(samples) * 0.9))])

        found_counts = []
        asked = iter(targets[repeat:])

        def suggest():
            with app.extensions["db"]() as session:
                unit = units.get(session, "es", next(asked))
                found_counts.append(len(kept.suggestions(session, unit)))
        index_now(app, kept)  # built, as on a worker that has shown a page
        results["suggestions"] = timed(suggest, repeat)
        results["suggestions_found_avg"] = round(sum(found_counts) / len(found_counts), 1)

        translator = app.test_client()
        login(translator, "tina")
        translator.get(f"/translate/es/m/{targets[-1]}")  # this app's memory built
        results["message_page"] = timed(ok(translator, f"/translate/es/m/{targets[-1]}"), repeat)
        return results
    finally:
        app.extensions["db_engine"].dispose()
        drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    backend = "PostgreSQL" if os.environ.get("TEST_DATABASE_URL") else "SQLite"
    print(f"backend: {backend}; {args.size:,} messages; repeat {args.repeat}; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    folder = Path(tempfile.mkdtemp(prefix="tm-"))
    try:
        results = measure(args.size, args.repeat, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    base = results["polib_parse"][0]
    print(f"indexed texts: {results['indexed_texts']:,}; suggestions found per message: "
          f"{results['suggestions_found_avg']} on average\n")
    print(f"{'median ms (p90)':18}{'':>16}{'x polib parse':>15}")
    for name in ("polib_parse", "index_build", "index_refresh", "suggestions", "message_page"):
        median, p90 = results[name]
        print(f"{name:18}{median:>9.1f} ({p90:>4.0f}){median / base:>14.2f}x")
    verdict = "meets" if results["suggestions"][0] <= 50 else "MISSES"
    print(f"\nsuggestions median {results['suggestions'][0]:.1f} ms: {verdict} the 50 ms target")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
