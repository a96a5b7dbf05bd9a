"""The publish gate (DESIGN invariants 1, 2, 4): what families see of medical strings and site text."""
from __future__ import annotations

import shutil
import subprocess

import polib
import pytest

from portal.review.gate import published_mo
from portal.review.rules import review_kind, reviewed_keys
from portal.translation.catalogs import load_po, po_path, pot_path, save_po
from portal.translation.extract import MEDICAL_COMMENT, SITE_COMMENT, STAFF_COMMENT
from portal.translation.identity import message_key

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


def test_review_classification_comes_from_the_template(app):
    template = load_po(pot_path(app.config["TRANSLATIONS_DIR"]))
    reviewed = reviewed_keys(template)
    assert reviewed[("", MEDICAL, "")] == "medical"
    assert reviewed[("", INTERFACE, "")] == "site"
    content = [e for e in template if any(ref.startswith("content/") for ref, _ in e.occurrences)]
    assert content and all(reviewed[message_key(e)] == "medical" for e in content)
    # Every string a family page can show is reviewed: nothing in the template escapes review.
    assert all(message_key(e) in reviewed for e in template if e.msgid)


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
    template_file = pot_path(app.config["TRANSLATIONS_DIR"])
    template = load_po(template_file)
    template.find(MEDICAL).msgid = "Tests when leukemia returns"
    save_po(template_file, template)
    catalog_file = po_path(app.config["TRANSLATIONS_DIR"], "es")
    catalog = load_po(catalog_file)
    catalog.find(MEDICAL).msgid = "Tests when leukemia returns"
    save_po(catalog_file, catalog)
    people.publish("es")
    served = polib.mofile(str(published_mo(app.config["PUBLISHED_DIR"], "es")))
    assert served.find("Tests when leukemia returns") is None
    assert served.find(MEDICAL) is None


def test_plural_forms_are_part_of_the_fingerprint(people, app):
    """Changing one plural form of an approved message withdraws it from families."""
    template = load_po(pot_path(app.config["TRANSLATIONS_DIR"]))
    plural = next(e for e in template if e.msgid_plural)
    # Interface plural: make it medical in a synthetic template to test the rule on plurals.
    from portal.review.gate import ApprovedText, decide
    from portal.translation.identity import fingerprint

    plural.comment = MEDICAL_COMMENT
    working = polib.POFile()
    entry = polib.POEntry(msgid=plural.msgid, msgid_plural=plural.msgid_plural,
                          msgstr_plural={0: "%(num)s parte", 1: "%(num)s partes"})
    working.append(entry)
    key = message_key(entry)
    approved = ApprovedText(key, ("%(num)s parte", "%(num)s partes"),
                            fingerprint(key, ["%(num)s parte", "%(num)s partes"]))
    served, _ = decide(template, working, [approved], nplurals=2)
    assert served[key] == ["%(num)s parte", "%(num)s partes"]
    entry.msgstr_plural = {0: "%(num)s parte", 1: "%(num)s partes CAMBIADO"}
    served, report = decide(template, working, [approved], nplurals=2)
    assert served[key] == ["%(num)s parte", "%(num)s partes"]  # last approved, not the edit
    assert report.previous == 1


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


def test_a_po_file_cannot_make_a_medical_string_non_medical(people, app, client):
    """Invariant 2: rewriting comments and flags in the working .po changes nothing."""
    catalog_file = po_path(app.config["TRANSLATIONS_DIR"], "es")
    catalog = load_po(catalog_file)
    entry = catalog.find(MEDICAL)
    entry.msgstr = "Pruebas (no revisado)"
    entry.comment = "not medical: interface string"
    entry.occurrences = [("portal/templates/base.html", "1")]
    entry.flags = ["python-format"]
    save_po(catalog_file, catalog)
    people.publish("es")
    assert "no revisado" not in body(client)


def test_messages_not_in_the_template_are_never_served(people, app):
    catalog_file = po_path(app.config["TRANSLATIONS_DIR"], "es")
    catalog = load_po(catalog_file)
    catalog.append(polib.POEntry(msgid="Injected message", msgstr="Mensaje inyectado"))
    save_po(catalog_file, catalog)
    people.publish("es")
    served = polib.mofile(str(published_mo(app.config["PUBLISHED_DIR"], "es")))
    assert served.find("Injected message") is None


def test_approval_of_another_locale_does_not_count(people, client):
    people.translate("vi", MEDICAL, "Xét nghiệm", author="tina")
    people.translate("es", MEDICAL, "Xét nghiệm", author="tina")
    people.approve("vi", MEDICAL, "vic")
    people.publish("es")
    assert "Xét nghiệm" not in body(client)
    assert "Xét nghiệm" in body(client, "/vi/tests")


def test_hand_compiled_mo_next_to_the_po_is_never_read(people, app, client, tmp_path):
    """Invariant 4: `msgfmt` or `pybabel compile` output beside the .po is ignored."""
    if not shutil.which("msgfmt"):
        pytest.fail("GNU gettext's msgfmt is required for this test")
    catalog_file = po_path(app.config["TRANSLATIONS_DIR"], "es")
    catalog = load_po(catalog_file)
    catalog.find(MEDICAL).msgstr = "COMPILADO A MANO"
    catalog.find(INTERFACE).msgstr = "COMPILADO A MANO 2"
    hand = tmp_path / "hand.po"
    catalog.save(str(hand))
    subprocess.run(["msgfmt", "-o", str(catalog_file.with_suffix(".mo")), str(hand)], check=True)
    people.publish("es")
    assert "COMPILADO A MANO" not in body(client)


def test_served_catalog_lives_in_its_own_folder(people, app):
    people.publish("es")
    mo = published_mo(app.config["PUBLISHED_DIR"], "es")
    assert mo.exists()
    assert mo.resolve().is_relative_to(app.config["PUBLISHED_DIR"])
    assert not str(mo.resolve()).startswith(str(app.config["TRANSLATIONS_DIR"]))


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
    assert not published_mo(app.config["PUBLISHED_DIR"], "es").exists()
    assert "Saltar al contenido principal" in body(client)
    assert published_mo(app.config["PUBLISHED_DIR"], "es").exists()


def test_translation_whose_links_differ_is_never_served_even_if_approved(app):
    """Invariant 6 in the gate: a link target changed after approval cannot reach families."""
    from portal.review.gate import ApprovedText, decide
    from portal.translation.identity import fingerprint

    template = load_po(pot_path(app.config["TRANSLATIONS_DIR"]))
    source = next(e for e in template if "](glossary:" in e.msgid)
    bad = source.msgid.replace("](glossary:", "](https://evil.example/")
    working = polib.POFile()
    working.append(polib.POEntry(msgid=source.msgid, msgstr=bad))
    key = message_key(source)
    served, report = decide(template, working, [ApprovedText(key, (bad,), fingerprint(key, [bad]))], 2)
    assert key not in served
    assert report.blocked == 1


def test_a_slow_publish_never_replaces_a_newer_one(people, app, monkeypatch):
    """Two approvals, each publishing. The first publish reads the approvals and is slow to
    write; the second approval's publish must wait for it and then read both, so the catalog
    left in place serves both texts (approving publishes at once, in every interleaving)."""
    import threading

    from portal.review import operations
    from portal.translation.identity import message_key as key_of

    other = "Chest X-ray"
    template = load_po(pot_path(app.config["TRANSLATIONS_DIR"]))
    assert any(e.msgid == other for e in template), "pick another medical message on the page"
    people.translate("es", MEDICAL, "Pruebas cuando la leucemia vuelve", author="tina")
    people.translate("es", other, "Radiografía de tórax", author="tina")

    real_publish = operations.publish
    first_has_read, let_first_write = threading.Event(), threading.Event()

    def slow_first_publish(*args, **kwargs):
        if threading.current_thread().name == "first":
            first_has_read.set()
            assert let_first_write.wait(10)
        return real_publish(*args, **kwargs)

    monkeypatch.setattr(operations, "publish", slow_first_publish)
    first = threading.Thread(target=people.approve, args=("es", MEDICAL, "rita"), name="first")
    first.start()
    assert first_has_read.wait(10)
    second = threading.Thread(target=people.approve, args=("es", other, "rob"), name="second")
    second.start()
    second.join(0.5)  # it must be waiting for the first publish, not writing over it afterwards
    let_first_write.set()
    first.join(10)
    second.join(10)
    served = {key_of(e)[1]: e.msgstr for e in polib.mofile(str(published_mo(app.config["PUBLISHED_DIR"], "es")))}
    assert served.get(MEDICAL) == "Pruebas cuando la leucemia vuelve"
    assert served.get(other) == "Radiografía de tórax"
