"""How long one save from the workspace takes on a large catalog, next to polib alone.

Builds a synthetic Spanish catalog of 10,000 messages (sentences, some plural
entries, extracted comments, references, half of them translated) and its
template, where half the messages carry portal.translation.extract.MEDICAL_COMMENT, in a
temporary folder with a temporary SQLite database. Then it measures:

* ``portal.translation.workspace.save`` of ONE message, 20 times (20 different messages):
  the whole save path (lock, parse, conflict check, checks, history row,
  atomic write with fsync, commit). Median, min and max in ms.
* ``polib.pofile(path)`` + ``.save()`` of the same catalog (a copy of it),
  median of 5, run between the saves: the floor any parse-and-rewrite
  design pays (polib does not fsync; the portal's writer does).

Run from the repository root (not collected by pytest; takes well under a minute):

    /tmp/probe/bin/python tests/benchmarks/save_benchmark.py
"""
from __future__ import annotations

import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import polib  # noqa: E402
from babel.messages.plurals import get_plural  # noqa: E402

from portal import create_app, workspace  # noqa: E402
from portal.db import upgrade  # noqa: E402
from portal.people.accounts import create_user  # noqa: E402
from portal.review.rules import message_key  # noqa: E402
from portal.translation.catalogs import catalog_lock, load_po, po_path, pot_path, save_po  # noqa: E402
from portal.translation.checks import Terms  # noqa: E402
from portal.translation.extract import MEDICAL_COMMENT  # noqa: E402
from portal.translation.identity import entry_fingerprint

MESSAGES = 10_000
SAVES = 20
POLIB_RUNS = 5
LOCALE = "es"

WORDS = ("the child blood test doctor nurse visit week day family medicine dose treatment "
         "relapse marrow sample result plan team care fever infection call hospital school "
         "home rest food water sleep pain question answer body cell count plain words about "
         "when after before during every small large first next often always never again "
         "talk ask read share keep watch help check bring wait start stop change learn").split()


def sentence(rng: random.Random, low: int, high: int) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    return " ".join(words).capitalize() + rng.choice(".?!:") if len(words) > 3 else " ".join(words).title()


def build(folder: Path) -> tuple[Path, Path]:
    """The template and the working catalog, written as the portal's tools would write them."""
    rng = random.Random(20260101)
    header = {
        "Project-Id-Version": "relapse-portal 1.0",
        "Report-Msgid-Bugs-To": "translators@relapse-portal.invalid",
        "POT-Creation-Date": "2026-01-01 00:00+0000",
        "PO-Revision-Date": "2026-01-01 00:00+0000",
        "Last-Translator": "Relapse portal translators <translators@relapse-portal.invalid>",
        "Language": LOCALE,
        "Language-Team": "Relapse portal translators <translators@relapse-portal.invalid>",
        "Plural-Forms": str(get_plural(LOCALE)),
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=utf-8",
        "Content-Transfer-Encoding": "8bit",
        "Generated-By": "Babel 2.17.0",
    }
    template, working = polib.POFile(wrapwidth=76), polib.POFile(wrapwidth=76)
    template.metadata = {k: v for k, v in header.items() if k not in ("Language", "Plural-Forms")}
    working.metadata = header
    seen = set()
    while len(seen) < MESSAGES:
        n = len(seen)
        msgid = sentence(rng, 2, 40)
        if msgid in seen:
            continue
        seen.add(msgid)
        medical = n % 2 == 0
        plural = n % 25 == 7
        page = f"content/page-{n // 40:03d}.md" if medical else f"portal/templates/view_{n // 60:03d}.html"
        kwargs = dict(msgid=msgid, occurrences=[(page, str(1 + (n * 7) % 400))],
                      comment="\n".join([MEDICAL_COMMENT, "Paragraph."]) if medical else
                      ("TRANSLATORS: shown on a button." if n % 5 == 1 else ""))
        if plural:
            kwargs.update(msgid="%(num)s " + msgid, msgid_plural="%(num)s " + msgid + " (many)",
                          flags=["python-format"])
        template.append(polib.POEntry(**kwargs, **({"msgstr_plural": {0: "", 1: ""}} if plural else {})))
        translated = n % 2 == 1
        if plural:
            forms = {0: f"%(num)s es {msgid}", 1: f"%(num)s es {msgid} (varios)"} if translated else {0: "", 1: ""}
            working.append(polib.POEntry(**kwargs, msgstr_plural=forms))
        else:
            working.append(polib.POEntry(**kwargs, msgstr=f"ES {msgid}" if translated else ""))
    template_file = pot_path(folder)
    catalog_file = po_path(folder, LOCALE)
    catalog_file.parent.mkdir(parents=True)
    template.save(str(template_file))
    working.save(str(catalog_file))
    # Rewrite once through the portal's writer so the layout is the portal's (76 columns).
    with catalog_lock(catalog_file):
        save_po(catalog_file, load_po(catalog_file))
    return template_file, catalog_file


def ms(values: list[float]) -> str:
    return (f"median {statistics.median(values) * 1000:8.1f} ms   min {min(values) * 1000:8.1f} ms   "
            f"max {max(values) * 1000:8.1f} ms")


def main() -> None:
    began = time.perf_counter()
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip() if shutil.which("nproc") \
        else str(os.cpu_count())
    print(f"Python {platform.python_version()} ({platform.python_implementation()}), nproc {nproc}, "
          f"polib {polib.__version__}")
    with tempfile.TemporaryDirectory(prefix="save-benchmark-") as tmp:
        tmp = Path(tmp)
        translations = tmp / "translations"
        built = time.perf_counter()
        template_file, catalog_file = build(translations)
        built = time.perf_counter() - built
        app = create_app({
            "TESTING": True,
            "SECRET_KEY": "benchmark",
            "DATABASE_URL": f"sqlite:///{tmp / 'portal.sqlite3'}",
            "TRANSLATIONS_DIR": str(translations),
            "PUBLISHED_DIR": str(tmp / "published"),
        })
        upgrade(app.config["DATABASE_URL"])
        catalog = load_po(catalog_file)
        medical = sum(1 for e in load_po(template_file) if MEDICAL_COMMENT in (e.comment or ""))
        print(f"Catalog: {len(catalog)} messages ({sum(1 for e in catalog if e.msgid_plural)} plural, "
              f"{medical} medical in the template), {catalog_file.stat().st_size / 1024:.0f} KiB, "
              f"built in {built:.1f} s")

        # 20 different singular messages spread over the catalog (start, middle, end).
        singular = [e for e in catalog if not e.msgid_plural]
        chosen = [singular[i * (len(singular) - 1) // (SAVES - 1)] for i in range(SAVES)]
        terms = Terms.load(ROOT / "content")
        copy = tmp / "polib-copy.po"
        save_times, polib_times = [], []

        def polib_round_trip() -> None:
            shutil.copy(catalog_file, copy)  # the catalog as it is now, at the same size
            started = time.perf_counter()
            polib.pofile(str(copy), wrapwidth=76).save()
            polib_times.append(time.perf_counter() - started)

        with app.extensions["db"]() as session:
            author = create_user(session, "bench", "correct horse battery",
                                 roles=[("translator", LOCALE)])
            for number, entry in enumerate(chosen, 1):
                base = entry_fingerprint(entry)  # what the editor page showed
                started = time.perf_counter()
                workspace.save(catalog_file, session, LOCALE, message_key(entry), [f"Guardado: {entry.msgid}"],
                               base, author, terms)
                save_times.append(time.perf_counter() - started)
                # polib runs interleaved with the saves, so a change in machine load hits both alike.
                if number % (SAVES // POLIB_RUNS) == 0:
                    polib_round_trip()
            assert workspace.current_revision(session, LOCALE) == SAVES
        app.extensions["db_engine"].dispose()

    save_median, polib_median = statistics.median(save_times), statistics.median(polib_times)
    print(f"workspace.save, one message (n={SAVES}):      {ms(save_times)}")
    print(f"polib.pofile + .save, whole file (n={POLIB_RUNS}): {ms(polib_times)}")
    print(f"Ratio save / polib (medians): {save_median / polib_median:.2f}")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"Total run time: {time.perf_counter() - began:.1f} s (load average {load})")


if __name__ == "__main__":
    main()
