"""Staff pages, a save and a publish at 1,000, 10,000 and 20,000 messages per locale (issue 11).

For each size it builds a template of that many messages (the real 421, then synthetic
sentences: a tenth of them plural, a twentieth site text), four locales of units (about 85 in
100 translated, some fuzzy, some rejected, half of the translated approved), the edit history
an import leaves, in a temporary database: SQLite, and PostgreSQL too when TEST_DATABASE_URL is
set. Then it prints the median (and the 90th percentile) of REPEAT runs of:

* workspace list, filtered list (awaiting + has warnings), search, one message page, one save;
* review queue (with its filter counts), dashboard (4 locales), trail page, review message page;
* publish of one locale (the gate into the database), and a family page (after a publish);

next to two baselines measured in the same run on the same catalog: GNU ``msgfmt`` of the
Spanish catalog exported as a .po, and one ``polib.pofile`` parse of it. The targets: every staff
page and a save at most 50 ms median at 20,000 messages on an idle 2-core machine, and at most
1.5x their 1,000-message figure; publish at most 2x msgfmt of the same catalog.

Not collected by pytest. Run from the repository root:

    .venv/bin/python tests/benchmarks/scale_benchmark.py [--sizes 1000,10000,20000] [--repeat 9]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import polib  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from portal import create_app  # noqa: E402
from portal.db import upgrade, utcnow  # noqa: E402
from portal.locales import TRANSLATED_LOCALES  # noqa: E402
from portal.people.accounts import create_user  # noqa: E402
from portal.review.models import Approval, Rejection  # noqa: E402
from portal.review.operations import publish_locale  # noqa: E402
from portal.translation import files, template  # noqa: E402
from portal.translation.extract import MEDICAL_COMMENT, SITE_COMMENT  # noqa: E402
from portal.translation.models import Edit, Unit  # noqa: E402
from portal.translation.pofile import dumps  # noqa: E402
from portal.translation.units import review_state, set_text  # noqa: E402

WORDS = ("the child blood test doctor nurse visit week day family medicine dose treatment "
         "relapse marrow sample result plan team care fever infection call hospital school "
         "home rest food water sleep pain question answer body cell count plain words about "
         "when after before during every small large first next often always never again "
         "talk ask read share keep watch help check bring wait start stop change learn").split()
PASSWORD = "correct horse battery"


def sentence(rng: random.Random, low: int, high: int) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    return " ".join(words).capitalize() + "."


def build_template(size: int, folder: Path) -> Path:
    """The real template, then synthetic messages up to ``size``."""
    real = polib.pofile(str(ROOT / "translations" / "messages.pot"))
    rng = random.Random(size)
    for index in range(size - len(real)):
        kind = SITE_COMMENT if index % 20 == 0 else MEDICAL_COMMENT
        if index % 10 == 0:
            entry = polib.POEntry(msgid=f"%(num)s {sentence(rng, 4, 10)} #{index}",
                                  msgid_plural=f"%(num)s {sentence(rng, 4, 10)} #{index}",
                                  msgstr_plural={0: "", 1: ""}, flags=["python-format"])
        else:
            entry = polib.POEntry(msgid=f"{sentence(rng, 8, 40)} (n{index})")
        entry.comment = kind
        entry.occurrences = [(f"content/synthetic-{index // 200}.md", str(index % 200 + 1))]
        real.append(entry)
    path = folder / "translations" / "messages.pot"
    path.parent.mkdir(parents=True)
    path.write_text(dumps(real), encoding="utf-8")
    return path


def spanish_like(text: str) -> str:
    """A translation that passes the checks: same numbers, placeholders and links, other words."""
    return text.replace("the ", "el ").replace("child", "niño").replace("The ", "El ")


def fill(app, session, locale: str, people: dict, rng: random.Random) -> None:
    """Translations, fuzzy marks, approvals, rejections and the import's history, in bulk."""
    terms = app.extensions["terms"]
    now = utcnow()
    edits, approvals, rejections = [], [], []
    for unit in session.scalars(select(Unit).where(Unit.locale == locale)):
        roll = rng.random()
        if roll > 0.85:
            continue  # untranslated
        forms = [spanish_like(unit.msgid)] if not unit.msgid_plural else \
            [spanish_like(unit.msgid), spanish_like(unit.msgid_plural)] + \
            [spanish_like(unit.msgid_plural)] * (len(unit.forms) - 2)
        set_text(unit, forms, locale, terms)
        unit.fuzzy = roll > 0.80
        unit.changed_at = now
        edits.append(dict(locale=locale, mid=unit.mid, fingerprint=unit.fingerprint, msgctxt=unit.msgctxt,
                          msgid=unit.msgid, msgid_plural=unit.msgid_plural, translation_json=unit.forms_json,
                          words=unit.words, author_id=people["tina"], origin="import", revision=1,
                          fuzzy=unit.fuzzy, warnings_json=unit.warnings_json, previous_msgid="", created_at=now))
        if unit.kind and not unit.fuzzy and roll < 0.40:
            approvals.append(dict(locale=locale, mid=unit.mid, fingerprint=unit.fingerprint, msgctxt=unit.msgctxt,
                                  msgid=unit.msgid, msgid_plural=unit.msgid_plural,
                                  translation_json=unit.forms_json, reviewer_id=people["rita"],
                                  author_id=people["tina"], author_known=True, created_at=now, note="",
                                  revoke_reason=""))
        elif unit.kind and not unit.fuzzy and roll < 0.42:
            rejections.append(dict(locale=locale, mid=unit.mid, fingerprint=unit.fingerprint, msgctxt=unit.msgctxt,
                                   msgid=unit.msgid, msgid_plural=unit.msgid_plural,
                                   translation_json=unit.forms_json, reviewer_id=people["rita"],
                                   reason="Más claro, por favor.", created_at=now))
    session.flush()
    for table, rows in ((Edit, edits), (Approval, approvals), (Rejection, rejections)):
        for start in range(0, len(rows), 2000):
            session.execute(insert(table), rows[start:start + 2000])
    session.flush()
    approved = {row["fingerprint"] for row in approvals}
    rejected = {row["fingerprint"] for row in rejections}
    for unit in session.scalars(select(Unit).where(Unit.locale == locale)):
        if not unit.translated:
            continue
        if unit.fuzzy or not unit.kind:
            unit.state = review_state(session, unit)
        else:
            unit.state = "approved" if unit.fingerprint in approved else \
                "rejected" if unit.fingerprint in rejected else "awaiting"
    session.flush()


def database_url(folder: Path) -> tuple[str, callable]:
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        return f"sqlite:///{folder / 'bench.sqlite3'}", lambda: None
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    schema = "bench_" + uuid.uuid4().hex[:12]
    engine = create_engine(base)
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop():
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()

    return make_url(base).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False), drop


def timed(function, repeat: int) -> tuple[float, float]:
    """Median and 90th percentile, in milliseconds."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.9))]


def login(client, username: str) -> None:
    import re

    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post("/login", data={"csrf_token": token, "username": username, "password": PASSWORD})
    assert response.status_code == 302, response.status_code


def ok(client, url: str, status: int = 200):
    def run():
        response = client.get(url)
        assert response.status_code == status, (url, response.status_code)
        response.get_data()
    return run


def measure(size: int, repeat: int, folder: Path) -> dict:
    template_file = build_template(size, folder)
    url, drop = database_url(folder)
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": url,
                      "TRANSLATIONS_DIR": str(template_file.parent), "PUBLISHED_DIR": str(folder / "published")})
    try:
        upgrade(url)
        started = time.perf_counter()
        with app.extensions["db"]() as session:
            people = {}
            for name, roles in (("tina", [("translator", loc.code) for loc in TRANSLATED_LOCALES]),
                                ("rita", [("reviewer", loc.code) for loc in TRANSLATED_LOCALES])):
                people[name] = create_user(session, name, PASSWORD, roles=roles).id
            catalog = template.load(template_file)
            rng = random.Random(size)
            for loc in TRANSLATED_LOCALES:
                template.sync(session, catalog, loc.code, app.extensions["terms"])
                fill(app, session, loc.code, people, rng)
            session.commit()
        build_seconds = time.perf_counter() - started
        results = {"build_s": round(build_seconds, 1)}
        with app.extensions["db"]() as session:
            po_file = folder / "es.po"
            po_file.write_text(files.export(session, "es"), encoding="utf-8")
            some = session.scalars(select(Unit).where(Unit.locale == "es", Unit.kind.is_not(None),
                                                     Unit.state == "awaiting").limit(repeat + 2)).all()
            targets = [(u.mid, u.msgid) for u in some]
        mo_out = folder / "es.mo"
        results["msgfmt"] = timed(lambda: subprocess.run(["msgfmt", "-o", str(mo_out), str(po_file)], check=True),
                                  repeat)
        results["polib_parse"] = timed(lambda: polib.pofile(str(po_file)), max(3, repeat // 3))
        translator, reviewer, family = app.test_client(), app.test_client(), app.test_client()
        login(translator, "tina")
        login(reviewer, "rita")
        mid = targets[0][0]
        results["workspace_list"] = timed(ok(translator, "/translate/es/"), repeat)
        results["filtered_list"] = timed(ok(translator, "/translate/es/?state=awaiting&warnings=1&page=2"), repeat)
        results["search"] = timed(ok(translator, "/translate/es/?q=marrow+sample"), repeat)
        results["message_page"] = timed(ok(translator, f"/translate/es/m/{mid}"), repeat)
        saves = iter(targets)

        def save():
            import re
            save_mid, msgid = next(saves)
            page = translator.get(f"/translate/es/m/{save_mid}").get_data(as_text=True)
            base = re.search(r'name="base" value="(\d+)"', page).group(1)
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
            forms = {"form0": spanish_like(msgid) + " Ya."} if "%(num)s" not in msgid else \
                {"form0": spanish_like(msgid), "form1": spanish_like(msgid)}
            response = translator.post(f"/translate/es/m/{save_mid}", data={"csrf_token": token, "base": base, **forms})
            assert response.status_code in (302, 400), response.status_code
        results["save_with_its_page"] = timed(save, repeat)
        results["review_queue"] = timed(ok(reviewer, "/review/es/?show=new"), repeat)
        results["dashboard"] = timed(ok(reviewer, "/review/"), repeat)
        results["trail_page"] = timed(ok(reviewer, "/review/es/trail?page=2"), repeat)
        results["review_message"] = timed(ok(reviewer, f"/review/es/m/{targets[-1][0]}"), repeat)

        def do_publish():
            with app.extensions["db"]() as session:
                publish_locale(session, "es")
        results["publish_es"] = timed(do_publish, repeat)
        family.get("/es/treatment")
        results["family_page"] = timed(ok(family, "/es/treatment"), repeat)
        return results
    finally:
        app.extensions["db_engine"].dispose()
        drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,20000")
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    backend = "PostgreSQL" if os.environ.get("TEST_DATABASE_URL") else "SQLite"
    print(f"backend: {backend}; repeat {args.repeat}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    table = {}
    for size in sizes:
        folder = Path(tempfile.mkdtemp(prefix=f"scale-{size}-"))
        try:
            table[size] = measure(size, args.repeat, folder)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        print(f"built {size} messages x 4 locales in {table[size]['build_s']} s", flush=True)
    names = [k for k in table[sizes[0]] if k != "build_s"]
    print(f"\n{'median ms (p90)':22}" + "".join(f"{size:>18,}" for size in sizes)
          + (f"{'x of smallest':>15}" if len(sizes) > 1 else ""))
    for name in names:
        cells = "".join(f"{table[s][name][0]:>11.1f} ({table[s][name][1]:>4.0f})" for s in sizes)
        ratio = table[sizes[-1]][name][0] / table[sizes[0]][name][0] if table[sizes[0]][name][0] else 0
        print(f"{name:22}{cells}" + (f"{ratio:>14.2f}x" if len(sizes) > 1 else ""))
    largest = table[sizes[-1]]
    print(f"\npublish / msgfmt at {sizes[-1]:,}: {largest['publish_es'][0] / largest['msgfmt'][0]:.2f}x; "
          f"save / polib parse: {largest['save_with_its_page'][0] / largest['polib_parse'][0]:.2f}x")
    print(json.dumps({str(k): v for k, v in table.items()}))


if __name__ == "__main__":
    main()
