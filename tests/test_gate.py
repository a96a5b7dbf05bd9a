"""The publish gate (docs/design.md, invariants 1, 2 and 4): what families see of medical strings and site text."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import polib
import pytest

from portal.paths import Paths
from portal.review.gate import UnitText
from portal.review.models import PublishedCatalog
from portal.translation.catalogs import load_po
from portal.translation.extract import MEDICAL_COMMENT, SITE_COMMENT, STAFF_COMMENT
from portal.translation.files import catalog as units_catalog
from portal.translation.identity import message_key
from portal.translation.pofile import dumps
from portal.translation.template import review_kind, reviewed_keys

# A medical content message (from content/tests.md) and site text (from base.html).
MEDICAL = "Tests when leukemia comes back"
INTERFACE = "Skip to main content"
DISCLAIMER = "This guide explains. It does not replace your child's care team. Ask them about your child's own care."
PAGE = "/es/tests"


@pytest.fixture
def people(work):
    work.user("tina", "translator", "es")
    work.user("rita", "reviewer", "es")
    work.user("rob", "reviewer", "es")
    work.user("vic", "reviewer", "vi")
    return work


def body(client, url=PAGE):
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def write_repository_po(work, locale: str, change) -> None:
    """Write the repository's .po of ``locale`` as `flask translate export` would, then edit it
    by hand (``change(catalog)``), as someone working outside the portal does."""
    with work.session() as session:
        catalog = units_catalog(session, locale)
    change(catalog)
    path = work.paths.po(locale)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps(catalog), encoding="utf-8")


def unit_text(key, forms, kind="medical", fuzzy=False, blocked=False) -> UnitText:
    return UnitText(key, kind, tuple(forms), fuzzy, blocked)


def test_review_classification_comes_from_the_template(work):
    template = load_po(work.paths.template)
    reviewed = reviewed_keys(template)
    assert reviewed[("", MEDICAL, "")] == "medical"
    assert reviewed[("", INTERFACE, "")] == "site"
    content = [e for e in template if any(ref.startswith("content/") for ref, _ in e.occurrences)]
    assert content and all(reviewed[message_key(e)] == "medical" for e in content)
    # Every string a family page can show is reviewed: nothing in the template escapes review.
    assert all(message_key(e) in reviewed for e in template if e.msgid)
    # The units carry the template's verdict, in every locale.
    for locale in ("es", "ar"):
        assert work.unit(locale, MEDICAL).kind == "medical"
        assert work.unit(locale, INTERFACE).kind == "site"


@pytest.mark.parametrize("comment, kind", [(MEDICAL_COMMENT, "medical"), (SITE_COMMENT, "site"),
                                           (STAFF_COMMENT, None), ("", "site"), ("TRANSLATORS: hi", "site")])
def test_only_a_staff_template_marker_exempts_a_string_from_review(comment, kind):
    """Default deny: a string with no marker (say, one marked in Python code) is reviewed."""
    assert review_kind(polib.POEntry(msgid="x", comment=comment)) == kind


def test_staff_templates_are_extracted_as_staff_only_and_family_templates_as_site_text(tmp_path):
    from portal.translation.catalogs import build_template
    from tests.conftest import ROOT

    (tmp_path / "portal" / "templates" / "staff").mkdir(parents=True)
    (tmp_path / "portal" / "templates" / "page.html").write_text("<p>{{ _('For families') }}</p>")
    (tmp_path / "portal" / "templates" / "staff" / "home.html").write_text("<p>{{ _('For staff') }}</p>")
    catalog = build_template(tmp_path, ROOT / "babel.cfg")
    assert SITE_COMMENT in catalog.get("For families").auto_comments
    assert STAFF_COMMENT in catalog.get("For staff").auto_comments


def test_unapproved_medical_translation_is_not_served(people, client):
    people.translate("es", MEDICAL, "Pruebas cuando la leucemia vuelve", author="tina")
    people.publish("es")
    html = body(client)
    assert "Pruebas cuando la leucemia vuelve" not in html
    assert f'<h1 lang="en" dir="ltr">{MEDICAL}</h1>' in html


def test_approved_medical_translation_is_served(people, client):
    people.translate("es", MEDICAL, "Pruebas cuando la leucemia vuelve", author="tina")
    outcome = people.approve("es", MEDICAL, "rita")
    assert outcome.approved == [MEDICAL]
    html = body(client)
    assert "<h1>Pruebas cuando la leucemia vuelve</h1>" in html


@pytest.mark.parametrize("msgid, text", [(INTERFACE, "Saltar al contenido principal"),
                                         (DISCLAIMER, "Esta guía explica. No reemplaza al equipo de su hijo. "
                                                      "Pregúnteles sobre el cuidado de su hijo.")])
def test_site_text_is_served_only_after_review(people, client, msgid, text):
    """The disclaimer, the notices and every other string on a family page go through review."""
    people.translate("es", msgid, text, author="tina")
    people.publish("es")
    assert text not in body(client)
    outcome = people.approve("es", msgid, "rita")
    assert outcome.approved == [msgid]
    assert text in body(client)


def test_fuzzy_interface_string_is_not_served(people, client):
    people.translate("es", INTERFACE, "Saltar al contenido principal", author="tina", fuzzy=True)
    people.publish("es")
    assert "Saltar al contenido principal" not in body(client)


def test_a_later_edit_does_not_inherit_the_approval(people, client):
    people.translate("es", MEDICAL, "Pruebas cuando la leucemia vuelve", author="tina")
    people.approve("es", MEDICAL, "rita")
    people.translate("es", MEDICAL, "Pruebas si la leucemia regresa (sin revisar)", author="tina")
    people.publish("es")
    html = body(client)
    assert "sin revisar" not in html
    # The last approved translation of the same source is shown meanwhile.
    assert "<h1>Pruebas cuando la leucemia vuelve</h1>" in html


def test_changed_source_falls_back_to_english_not_the_old_approval(people, app, client):
    """An approval is for one source; when the English changes, families get the new English."""
    people.translate("es", MEDICAL, "Pruebas cuando la leucemia vuelve", author="tina")
    people.approve("es", MEDICAL, "rita")
    assert people.served("es").find(MEDICAL).msgstr == "Pruebas cuando la leucemia vuelve"

    def reword(template):
        template.find(MEDICAL).msgid = "Tests when leukemia returns"

    people.change_template(reword)
    # The translation is carried over (fuzzy), and confirmed by its translator: still not approved.
    assert people.entry("es", "Tests when leukemia returns").msgstr == "Pruebas cuando la leucemia vuelve"
    people.translate("es", "Tests when leukemia returns", "Pruebas cuando la leucemia vuelve", author="tina")
    people.publish("es")
    served = people.served("es")
    assert served.find("Tests when leukemia returns") is None
    assert served.find(MEDICAL) is None


def test_plural_forms_are_part_of_the_fingerprint(people, app):
    """Changing one plural form of an approved message withdraws it from families."""
    template = load_po(people.paths.template)
    plural = next(e for e in template if e.msgid_plural)
    # The interface plural, treated as medical to test the rule on plurals.
    from portal.review.gate import ApprovedText, decide
    from portal.translation.identity import fingerprint

    key = message_key(plural)
    approved = ApprovedText(key, ("%(num)s parte", "%(num)s partes"),
                            fingerprint(key, ["%(num)s parte", "%(num)s partes"]))
    served, _ = decide([unit_text(key, ["%(num)s parte", "%(num)s partes"])], [approved], nplurals=2)
    assert served[key] == ["%(num)s parte", "%(num)s partes"]
    edited = unit_text(key, ["%(num)s parte", "%(num)s partes CAMBIADO"])
    served, report = decide([edited], [approved], nplurals=2)
    assert served[key] == ["%(num)s parte", "%(num)s partes"]  # last approved, not the edit
    assert report.previous == 1 and report.approved == 0


def test_revoked_approval_is_not_served(people, app, client):
    import datetime as dt

    from portal.models import Approval

    people.translate("es", MEDICAL, "Pruebas cuando la leucemia vuelve", author="tina")
    people.approve("es", MEDICAL, "rita")
    with people.session() as session:
        for approval in session.query(Approval).all():
            approval.revoked_at = dt.datetime(2026, 1, 1)
        session.commit()
    people.publish("es")
    assert "Pruebas cuando la leucemia vuelve" not in body(client)


@pytest.mark.parametrize("comment", ["not medical: interface string", STAFF_COMMENT])
def test_a_po_file_cannot_make_a_medical_string_non_medical(people, app, client, comment):
    """Invariant 2: rewriting comments and flags in the repository's .po, then importing it,
    changes nothing of what the message is: even a staff-only marker in the file."""
    def rewrite(catalog):
        entry = catalog.find(MEDICAL)
        entry.msgstr = "Pruebas (no revisado)"
        entry.comment = comment
        entry.occurrences = [("portal/templates/staff/home.html", "1")]
        entry.flags = ["python-format"]

    extracted = people.unit("es", MEDICAL).extracted
    assert MEDICAL_COMMENT in extracted.splitlines()
    write_repository_po(people, "es", rewrite)
    result = app.test_cli_runner().invoke(args=["translate", "import", "es"])
    assert result.exit_code == 0 and "es: 1 imported" in result.output, result.output
    unit = people.unit("es", MEDICAL)
    assert unit.forms == ["Pruebas (no revisado)"]  # imported ...
    assert (unit.kind, unit.state, unit.extracted) == ("medical", "awaiting", extracted)  # ... as medical
    people.publish("es")
    assert "no revisado" not in body(client)
    assert people.served("es").find(MEDICAL) is None


def test_messages_not_in_the_template_are_never_served(people, app):
    from sqlalchemy import func, select

    from portal.translation.models import Unit

    write_repository_po(people, "es", lambda catalog: catalog.append(
        polib.POEntry(msgid="Injected message", msgstr="Mensaje inyectado")))
    result = app.test_cli_runner().invoke(args=["translate", "import", "es", "--replace"])
    assert result.exit_code == 0 and "1 not in the template" in result.output, result.output
    with people.session() as session:
        assert not session.scalar(select(func.count()).select_from(Unit).where(Unit.msgid == "Injected message"))
    people.publish("es")
    assert people.served("es").find("Injected message") is None


def test_approval_of_another_locale_does_not_count(people, client):
    people.translate("vi", MEDICAL, "Xét nghiệm", author="tina")
    people.translate("es", MEDICAL, "Xét nghiệm", author="tina")
    people.approve("vi", MEDICAL, "vic")
    people.publish("es")
    assert "Xét nghiệm" not in body(client)
    assert "Xét nghiệm" in body(client, "/vi/tests")


def test_hand_compiled_mo_and_an_edited_po_change_nothing_until_imported_and_approved(people, app, client):
    """Invariants 1 and 4: a `.mo` compiled with GNU msgfmt from the repository's .po, into the
    app's translations folder, is never read (not after a publish, not by a new worker); the
    .po edited in the repository changes nothing either; its text reaches families only once
    imported and approved by a reviewer."""
    from portal import create_app

    if not shutil.which("msgfmt"):
        pytest.fail("GNU gettext's msgfmt is required for this test")
    people.translate("es", MEDICAL, "Pruebas cuando la leucemia vuelve", author="tina")
    people.approve("es", MEDICAL, "rita")
    assert app.test_cli_runner().invoke(args=["translate", "export", "es"]).exit_code == 0
    po_file = people.paths.po("es")
    catalog = load_po(po_file)
    assert catalog.find(MEDICAL).msgstr == "Pruebas cuando la leucemia vuelve"  # the export, as in git
    catalog.find(MEDICAL).msgstr = "COMPILADO A MANO"
    catalog.find(INTERFACE).msgstr = "COMPILADO A MANO 2"
    po_file.write_text(dumps(catalog), encoding="utf-8")
    subprocess.run(["msgfmt", "-o", str(po_file.with_suffix(".mo")), str(po_file)], check=True)
    assert polib.mofile(str(po_file.with_suffix(".mo"))).find(MEDICAL).msgstr == "COMPILADO A MANO"
    people.publish("es")
    other = create_app(dict(app.config))  # a worker started after the .mo was made
    try:
        for html in (body(client), body(other.test_client())):
            assert "COMPILADO A MANO" not in html
            assert "<h1>Pruebas cuando la leucemia vuelve</h1>" in html
    finally:
        other.extensions["db_engine"].dispose()
    # Imported (the file's text replaces the portal's): in the units, still not served.
    result = app.test_cli_runner().invoke(args=["translate", "import", "es", "--replace"])
    assert result.exit_code == 0, result.output
    assert people.unit("es", MEDICAL).forms == ["COMPILADO A MANO"]
    people.publish("es")
    html = body(client)
    assert "COMPILADO A MANO" not in html and "<h1>Pruebas cuando la leucemia vuelve</h1>" in html
    # Approved by a reviewer: now families read it.
    people.approve("es", MEDICAL, "rob")
    assert "<h1>COMPILADO A MANO</h1>" in body(client)
    # The .po edited again after the import (and compiled again): nothing changes until imported.
    catalog.find(MEDICAL).msgstr = "EDITADO DESPUÉS"
    po_file.write_text(dumps(catalog), encoding="utf-8")
    subprocess.run(["msgfmt", "-o", str(po_file.with_suffix(".mo")), str(po_file)], check=True)
    people.publish("es")
    html = body(client)
    assert "EDITADO" not in html and "<h1>COMPILADO A MANO</h1>" in html
    assert people.unit("es", MEDICAL).forms == ["COMPILADO A MANO"]


def test_served_catalog_lives_in_its_database_row_with_a_version_that_rises(people, app):
    """Invariant 4: the gate's catalog is the locale's `published_catalogs` row, nowhere on disk;
    each publish stores a new version (what every worker compares)."""
    people.translate("es", INTERFACE, "Saltar al contenido principal", author="tina")
    people.approve("es", INTERFACE, "rita")  # approving publishes: version 1
    with people.session() as session:
        row = session.get(PublishedCatalog, "es")
        assert row.version == 1 and row.mo
        assert polib.mofile(row.mo).find(INTERFACE).msgstr == "Saltar al contenido principal"
        assert row.report["version"] == 1 and row.report["approved"] == 1
        assert INTERFACE in row.reviewed
        assert session.get(PublishedCatalog, "vi") is None
    assert people.publish("es").version == 2
    assert people.publish("es").version == 3
    with people.session() as session:
        assert session.get(PublishedCatalog, "es").version == 3
    written = [p for folder in (app.config["TRANSLATIONS_DIR"], app.config["PUBLISHED_DIR"], app.instance_path)
               for p in Path(folder).rglob("*.mo")]
    assert written == []


def test_new_publish_is_served_by_every_worker_without_restart(people, app, tmp_path):
    """Two app objects stand in for two gunicorn workers sharing the instance folder."""
    from portal import create_app

    other = create_app(dict(app.config))
    first, second = app.test_client(), other.test_client()
    people.publish("es")
    assert "Saltar al contenido principal" not in body(first)
    assert "Saltar al contenido principal" not in body(second)  # both have now cached the catalog
    people.translate("es", INTERFACE, "Saltar al contenido principal", author="tina")
    people.approve("es", INTERFACE, "rita")  # approving publishes
    assert "Saltar al contenido principal" in body(first)
    assert "Saltar al contenido principal" in body(second)
    other.extensions["db_engine"].dispose()


def test_first_visit_publishes_on_demand(work, app, client):
    """A fresh install serves pages before anyone ran `flask translate publish`."""
    from portal.models import Approval
    from portal.translation.identity import fingerprint

    work.user("tina", "translator", "es")
    rita = work.user("rita", "reviewer", "es")
    work.translate("es", INTERFACE, "Saltar al contenido principal", author="tina")
    key = ("", INTERFACE, "")
    with work.session() as session:  # an approval recorded without its publish (a restored database)
        session.add(Approval(locale="es", fingerprint=fingerprint(key, ["Saltar al contenido principal"]),
                             msgctxt="", msgid=INTERFACE, msgid_plural="",
                             translation_json='["Saltar al contenido principal"]', reviewer_id=rita))
        session.commit()
    with work.session() as session:
        assert session.get(PublishedCatalog, "es") is None
    assert "Saltar al contenido principal" in body(client)
    with work.session() as session:
        assert session.get(PublishedCatalog, "es").version == 1


def test_translation_whose_links_differ_is_never_served_even_if_approved(app):
    """Invariant 6 in the gate: a link target changed after approval cannot reach families."""
    from portal.review.gate import ApprovedText, decide
    from portal.translation.checks import blocking_problems
    from portal.translation.identity import fingerprint

    template = load_po(Paths.from_config(app.config).template)
    source = next(e for e in template if "](glossary:" in e.msgid)
    bad = source.msgid.replace("](glossary:", "](https://evil.example/")
    assert blocking_problems(source.msgid, "", [bad], "es")
    key = message_key(source)
    approval = ApprovedText(key, (bad,), fingerprint(key, [bad]))
    served, report = decide([unit_text(key, [bad], blocked=True)], [approval], 2, "es")
    assert key not in served
    assert report.blocked == 1
    # Nor as the "last approved text" once the unit holds something else awaiting review.
    served, report = decide([unit_text(key, ["Otra cosa"])], [approval], 2, "es")
    assert key not in served and report.english == 1


def test_a_slow_publish_never_replaces_a_newer_one(people, app, monkeypatch):
    """Two approvals, each publishing. The first publish takes the locale's row, reads the units
    and approvals, and is slow to write; the second approval's publish must wait for it and then
    read both, so the catalog left in place serves both texts (approving publishes at once, in
    every interleaving)."""
    import threading

    from portal.review import gate

    other = "Chest X-ray"
    template = load_po(people.paths.template)
    assert any(e.msgid == other for e in template), "pick another medical message on the page"
    people.translate("es", MEDICAL, "Pruebas cuando la leucemia vuelve", author="tina")
    people.translate("es", other, "Radiografía de tórax", author="tina")

    real_decide = gate.decide
    first_has_read, let_first_write = threading.Event(), threading.Event()
    decided: dict[str, list[str]] = {}

    def slow_first_decide(units, approvals, *args, **kwargs):
        """Called by gate.stage_publish after it took the row and read units and approvals."""
        name = threading.current_thread().name
        decided[name] = sorted(a.key[1] for a in approvals)
        if name == "first":
            first_has_read.set()
            assert let_first_write.wait(10)
        return real_decide(units, approvals, *args, **kwargs)

    errors = []

    def approve(msgid, reviewer):
        try:
            people.approve("es", msgid, reviewer)
        except Exception as error:  # reported below: a thread's exception would otherwise be lost
            errors.append(error)

    monkeypatch.setattr(gate, "decide", slow_first_decide)
    first = threading.Thread(target=approve, args=(MEDICAL, "rita"), name="first")
    first.start()
    assert first_has_read.wait(10)
    second = threading.Thread(target=approve, args=(other, "rob"), name="second")
    second.start()
    second.join(0.5)
    assert second.is_alive()  # waiting for the first publish, not writing over it afterwards
    let_first_write.set()
    first.join(10)
    second.join(10)
    assert not first.is_alive() and not second.is_alive()
    assert errors == []
    assert decided == {"first": [MEDICAL], "second": sorted([MEDICAL, other])}
    served = {message_key(e)[1]: e.msgstr for e in people.served("es")}
    assert served.get(MEDICAL) == "Pruebas cuando la leucemia vuelve"
    assert served.get(other) == "Radiografía de tórax"
    with people.session() as session:
        assert session.get(PublishedCatalog, "es").version == 2


def test_a_decision_recorded_after_the_catalog_was_built_leaves_the_locale_behind(people):
    """Behind: an approval or a revocation committed after the served catalog was built (its
    publish failed or has not run), and only until a publish reads it."""
    from portal.people.accounts import find_user
    from portal.review import gate, rules
    from portal.translation import units

    people.translate("es", MEDICAL, "Pruebas cuando la leucemia vuelve", author="tina")
    with people.session() as session:
        assert not gate.is_behind(session, "es") and gate.behind_locales(session) == set()
        approval = rules.approve(session, units.find(session, "es", MEDICAL)[0], find_user(session, "rita"))
        session.commit()
        assert gate.is_behind(session, "es")  # never published, with an approval
        assert gate.behind_locales(session) == {"es"}
    people.publish("es")
    with people.session() as session:
        assert not gate.is_behind(session, "es") and gate.behind_locales(session) == set()
        # Approving the same text again records nothing: nothing to publish.
        rules.approve(session, units.find(session, "es", MEDICAL)[0], find_user(session, "rob"))
        session.commit()
        assert not gate.is_behind(session, "es")
        rules.revoke(session, "es", approval.id, find_user(session, "rob"), "Families found it confusing.")
        session.commit()
        assert gate.is_behind(session, "es") and not gate.is_behind(session, "vi")
    people.publish("es")
    with people.session() as session:
        assert not gate.is_behind(session, "es")


def test_the_served_catalog_chooses_plural_forms_by_the_locales_rule(work):
    """Arabic has six plural forms (CLDR's rule as Babel writes it: 0, 1, 2, 3-10, then 100-102
    and 11-99): the published catalog must carry Arabic's rule, or a family reading "3 parts"
    gets the form for "many"."""
    import gettext
    import io

    from portal.review.models import PublishedCatalog

    work.user("tariq", "translator", "ar")
    work.user("rana", "reviewer", "ar")
    entry = next(e for e in load_po(work.paths.template) if e.msgid_plural)
    plural = entry.msgid
    forms = [f"%(num)s صيغة {word}" for word in ("صفر", "واحد", "اثنان", "قليل", "كثير", "أخرى")]
    work.translate("ar", plural, forms, author="tariq")
    work.approve("ar", plural, "rana")
    with work.session() as session:
        mo = session.get(PublishedCatalog, "ar").mo
    served = gettext.GNUTranslations(io.BytesIO(mo))
    examples = (0, 1, 2, 3, 100, 11)  # one number for each of the six forms, in the forms' order
    chosen = {n: served.ngettext(entry.msgid, entry.msgid_plural, n) for n in examples}
    assert chosen == dict(zip(examples, forms))
    assert "nplurals=6" in served.info()["plural-forms"].replace(" ", "")


# --- Found by the mutation round: the gate's choices, one at a time, on its pure function ---------

def test_a_staff_only_string_marked_needs_edit_is_not_served():
    """Staff-only text is served once translated, but not while a translator marks it fuzzy."""
    from portal.review.gate import decide

    key = ("", "Save", "")
    served, report = decide([unit_text(key, ["Guardar"], kind=None, fuzzy=True)], [], 2, "es")
    assert key not in served and report.untranslated == 1 and report.unreviewed == 0
    served, report = decide([unit_text(key, ["Guardar"], kind=None)], [], 2, "es")
    assert served[key] == ["Guardar"] and report.unreviewed == 1


def test_while_an_edit_waits_the_newest_approved_text_is_served_not_an_older_one():
    """Approvals come oldest first: the last approved text of a message is the newest one."""
    from portal.review.gate import ApprovedText, decide
    from portal.translation.identity import fingerprint

    key = ("", MEDICAL, "")
    older, newer = "Pruebas cuando la leucemia vuelve", "Pruebas cuando la leucemia regresa"
    approvals = [ApprovedText(key, (older,), fingerprint(key, [older]), "2024-01-01T00:00:00"),
                 ApprovedText(key, (newer,), fingerprint(key, [newer]), "2024-02-01T00:00:00")]
    served, report = decide([unit_text(key, ["Pruebas (sin revisar)"])], approvals, 2, "es")
    assert served[key] == [newer] and report.previous == 1
    assert report.reviewed[MEDICAL] == "2024-02-01T00:00:00"


def test_an_earlier_approved_text_is_served_only_if_it_is_intact():
    """The last approved text stands in for an edit waiting for review only if its stored forms are
    the ones its fingerprint pins, and every form has text."""
    from portal.review.gate import ApprovedText, decide
    from portal.translation.identity import fingerprint

    key = ("", MEDICAL, "")
    waiting = [unit_text(key, ["Pruebas (sin revisar)"])]
    approved = "Pruebas cuando la leucemia vuelve"
    altered = ApprovedText(key, ("Pruebas cambiadas en la base de datos",), fingerprint(key, [approved]))
    served, report = decide(waiting, [altered], 2, "es")
    assert key not in served and report.english == 1

    plural = ("", "%(num)s test", "%(num)s tests")
    empty_form = ["%(num)s prueba", ""]
    approval = ApprovedText(plural, tuple(empty_form), fingerprint(plural, empty_form))
    served, report = decide([unit_text(plural, ["%(num)s prueba", "%(num)s pruebas (sin revisar)"])],
                            [approval], 2, "es")
    assert plural not in served and report.english == 1


def test_the_served_mo_lists_its_originals_sorted_as_gnu_gettext_requires():
    """GNU libintl finds a message by binary search over the originals when there is no hash table:
    an unsorted table would make other readers of the file miss messages Python's gettext finds."""
    import struct

    from portal.review.gate import build_mo

    served = {("", "b", ""): ["B"], ("", "a", ""): ["A"], ("ctx", "c", ""): ["C"], ("", "Z", "Zs"): ["Z1", "Z2"]}
    mo = build_mo("es", served)
    magic, _, count, originals_at = struct.unpack("<4I", mo[:16])
    assert magic == 0x950412DE and count == len(served) + 1  # and the header
    originals = []
    for i in range(count):
        length, at = struct.unpack("<2I", mo[originals_at + 8 * i:originals_at + 8 * i + 8])
        originals.append(mo[at:at + length])
    assert originals == sorted(originals)
