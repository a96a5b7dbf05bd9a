"""Property: no sequence of edits, approvals, revocations, source changes and publishes ever
puts an unapproved medical translation into a served catalog (invariants 1, 2, 3)."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import polib
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from portal import models  # noqa: F401  (tables)
from portal.accounts import create_user
from portal.catalogs import catalog_lock, init_catalog, load_po, po_path, save_po, update_catalog
from portal.db import Base
from portal.extract import MEDICAL_COMMENT
from portal.models import Approval, utcnow
from portal.publish import ApprovedText, publish, published_mo
from portal.review import (ReviewError, approve, authors_of, entry_fingerprint, fingerprint,
                           forms_of, medical_keys, message_key, record_edit)

LOCALE = "es"
SOURCES = [
    ("Leukemia can come back.", None),
    ("Ask about [relapse](glossary:relapse).", None),
    ("%(num)s child is in remission.", "%(num)s children are in remission."),
    ("Home", None),  # interface string: not medical
]
# Per message: translations that pass the checks (so most steps do something), plus one that
# must never be served (a changed link) and an empty one.
VARIANTS = [
    [["La leucemia puede volver."], ["La leucemia puede regresar."], ["<b>Vuelve</b>"], [""]],
    [["Pregunte por la [recaída](glossary:relapse)."], ["Hable de la [recaída](glossary:relapse)."],
     ["Mal [enlace](https://x.org)."], [""]],
    [["%(num)s niño está en remisión.", "%(num)s niños están en remisión."],
     ["%(num)s niño en remisión.", "%(num)s niños en remisión."], ["Uno", "%(num)s otros"], ["", ""]],
    [["Inicio"], ["Portada"], ["Casa"], [""]],
]


def write_template(path: Path, sources) -> None:
    template = polib.POFile()
    template.metadata = {"Content-Type": "text/plain; charset=UTF-8"}
    for index, (msgid, plural) in enumerate(sources):
        entry = polib.POEntry(msgid=msgid, msgid_plural=plural or "",
                              msgstr_plural={0: "", 1: ""} if plural else {}, msgstr="")
        entry.comment = "Interface." if index == 3 else MEDICAL_COMMENT
        template.append(entry)
    save_po(path, template)


class GateMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="gate-"))
        self.translations = self.dir / "translations"
        self.template = self.translations / "messages.pot"
        self.published = self.dir / "published"
        self.translations.mkdir()
        self.sources = list(SOURCES)
        write_template(self.template, self.sources)
        init_catalog(self.template, self.translations, LOCALE)
        engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
        Base.metadata.create_all(engine)
        self.session = Session(engine, expire_on_commit=False)
        self.people = {
            "tina": create_user(self.session, "tina", "long enough password", roles=[("translator", LOCALE)]),
            "rita": create_user(self.session, "rita", "long enough password", roles=[("reviewer", LOCALE)]),
            "rob": create_user(self.session, "rob", "long enough password", roles=[("reviewer", LOCALE)]),
            "vic": create_user(self.session, "vic", "long enough password", roles=[("reviewer", "vi")]),
        }

    def teardown(self):
        self.session.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _entry(self, catalog, index):
        msgid = self.sources[index][0]
        return next(e for e in catalog if e.msgid == msgid and not e.obsolete)

    @rule(data=st.data(), index=st.integers(0, 3), author=st.sampled_from(["tina", "tina", "tina", "rob", None]),
          fuzzy=st.sampled_from([False, False, False, True]), tamper=st.sampled_from([False, False, True]))
    def edit(self, data, index, author, fuzzy, tamper):
        """Save a different translation; sometimes also rewrite the .po comments, as if to make
        the message non-medical (invariant 2)."""
        current = forms_of(self._entry(load_po(po_path(self.translations, LOCALE)), index))
        choices = [v for v in range(4) if VARIANTS[index][v] != current]
        self._edit(index, data.draw(st.sampled_from(choices)), author, fuzzy, tamper)

    def _edit(self, index, variant, author, fuzzy, tamper=False):
        forms = VARIANTS[index][variant]
        path = po_path(self.translations, LOCALE)
        with catalog_lock(path):
            catalog = load_po(path)
            entry = self._entry(catalog, index)
            if entry.msgid_plural:
                entry.msgstr_plural = dict(enumerate(forms))
            else:
                entry.msgstr = forms[0]
            entry.flags = ["fuzzy"] if fuzzy else []
            if tamper:
                entry.comment = "not medical"
                entry.occurrences = [("portal/templates/base.html", "1")]
            save_po(path, catalog)
        if author:
            record_edit(self.session, LOCALE, entry, self.people[author])
            self.session.commit()

    @rule(data=st.data(), reviewer=st.sampled_from(["rita", "rita", "rob", "rob", "vic", "tina"]))
    def approve(self, data, reviewer):
        catalog = load_po(po_path(self.translations, LOCALE))
        # Mostly aim at medical messages that can be approved, so approvals actually happen.
        ready = [i for i in range(3) if all(forms_of(self._entry(catalog, i)))
                 and "fuzzy" not in self._entry(catalog, i).flags]
        index = data.draw(st.sampled_from(ready)) if ready and data.draw(st.integers(0, 4)) else \
            data.draw(st.integers(0, 3))
        entry = self._entry(catalog, index)
        person = self.people[reviewer]
        try:
            approve(self.session, LOCALE, entry, medical_keys(load_po(self.template)), person)
        except ReviewError:
            self.session.rollback()
            return
        self.session.commit()
        # Four eyes and roles held for the approval that went through.
        assert person.has_role("reviewer", LOCALE)
        assert person.id not in authors_of(self.session, LOCALE, entry_fingerprint(entry))

    @rule(data=st.data())
    def revoke(self, data):
        standing = self.session.query(Approval).filter(Approval.revoked_at.is_(None)).all()
        if standing:
            data.draw(st.sampled_from(standing)).revoked_at = utcnow()
            self.session.commit()

    @rule(index=st.integers(0, 3))
    def change_source(self, index):
        msgid, plural = self.sources[index]
        self.sources[index] = (msgid.replace(".", "!") if "." in msgid else msgid + "!",
                               plural.replace(".", "!") if plural else None)
        write_template(self.template, self.sources)
        update_catalog(self.template, self.translations, LOCALE)

    @initialize()
    def translator_fills_the_catalog(self):
        for index in range(4):
            self._edit(index, 0, "tina", False)

    @invariant()
    def publish_and_check(self):
        """Publish after every step, so every reachable state of the data is put through the gate."""
        approvals = [ApprovedText((a.msgctxt, a.msgid, a.msgid_plural), tuple(a.forms), a.fingerprint)
                     for a in self.session.query(Approval).filter(Approval.revoked_at.is_(None))
                     .order_by(Approval.created_at, Approval.id)]
        publish(LOCALE, self.template, po_path(self.translations, LOCALE), self.published, approvals)
        self.check_served_catalog()

    def check_served_catalog(self):
        template = load_po(self.template)
        medical = medical_keys(template)
        served = polib.mofile(str(published_mo(self.published, LOCALE)))
        standing = self.session.query(Approval).filter(Approval.revoked_at.is_(None),
                                                       Approval.locale == LOCALE).all()
        approved_prints = {a.fingerprint for a in standing}
        for entry in served:
            if not entry.msgid:
                continue
            key = message_key(entry)
            forms = forms_of(entry)
            if key in medical:
                assert fingerprint(key, forms) in approved_prints, f"unapproved medical text served: {forms}"
            assert "Mal [enlace]" not in " ".join(forms), "a translation with a changed link was served"
        # And the gate is not simply empty: currently approved, unchanged medical text is served.
        working = load_po(po_path(self.translations, LOCALE))
        served_by_key = {message_key(e): forms_of(e) for e in served if e.msgid}
        for entry in working:
            if entry.obsolete or "fuzzy" in entry.flags or message_key(entry) not in medical:
                continue
            if entry_fingerprint(entry) in approved_prints:
                assert served_by_key.get(message_key(entry)) == forms_of(entry)
        # Classification never came from the .po: every template string marked medical is still medical.
        assert medical == {message_key(e) for e in template if e.comment == MEDICAL_COMMENT}


GateMachine.TestCase.settings = settings(max_examples=100, stateful_step_count=25, deadline=None,
                                         suppress_health_check=[HealthCheck.too_slow])
TestGate = GateMachine.TestCase
