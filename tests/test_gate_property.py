"""Property: no sequence of edits, approvals, revocations, source changes and publishes ever
puts an unapproved medical translation into a served catalog (invariants 1, 2, 3).

The machine acts through the domain code and through the real web endpoints (saves in the
translator's workspace; approve, reject and revoke on the review pages), all against the same
catalog files and database, and publishes after every step. Web approvals and revocations
publish at once: that is checked before the machine's own publish."""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import polib
from babel.messages.plurals import get_plural
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import (
    create_app,
    models,  # noqa: F401  (tables)
)
from portal.db import Base
from portal.models import Approval, Rejection, utcnow
from portal.people.accounts import create_user
from portal.review.gate import ApprovedText, decide, publish, published_mo
from portal.review.operations import Paths, update_locales
from portal.review.rules import ReviewError, approve, entry_authors, record_edit, reviewed_keys
from portal.translation.catalogs import catalog_lock, init_catalog, load_po, po_path, save_po
from portal.translation.checks import blocking_problems, check_translation
from portal.translation.extract import MEDICAL_COMMENT, STAFF_COMMENT
from portal.translation.identity import (
    entry_fingerprint,
    fingerprint,
    forms_of,
    message_id,
    message_key,
    words_fingerprint,
)
from tests.conftest import PASSWORD, csrf_token, login

LOCALE = "es"
SOURCES = [
    ("Leukemia can come back.", None),
    ("Ask about [relapse](glossary:relapse).", None),
    ("%(num)s child is in remission.", "%(num)s children are in remission."),
    ("Home", None),  # a staff-only string: not reviewed
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
CHANGED_LINK = (1, 2)  # VARIANTS[1][2]: refused by the checks, on save and at the gate

ROLES = {
    "tina": [("translator", LOCALE)],
    "tess": [("translator", LOCALE), ("reviewer", LOCALE)],  # translates and reviews: four eyes matters
    "rita": [("reviewer", LOCALE)],
    "rob": [("reviewer", LOCALE)],
    "vic": [("reviewer", "vi")],
}
# Reviews aim mostly at the medical messages (3 is a staff-only string: not reviewed, 404). A
# fixed distribution, not one drawn from the current state, so failures shrink well.
MEDICAL_MOSTLY = st.sampled_from([0, 1, 2, 0, 1, 2, 3])
SEEN_RE = re.compile(r'name="seen"[^>]*value="([^"]*)"')
BASE_RE = re.compile(r'name="base" value="([^"]*)"')
# Temporary folders in memory when there is one: the portal fsyncs every catalog and database
# write, which costs far more than the property itself on a disk.
TMP_ROOT = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


def write_template(path: Path, sources) -> None:
    template = polib.POFile()
    template.metadata = {"Content-Type": "text/plain; charset=UTF-8"}
    for index, (msgid, plural) in enumerate(sources):
        entry = polib.POEntry(msgid=msgid, msgid_plural=plural or "",
                              msgstr_plural={0: "", 1: ""} if plural else {}, msgstr="")
        entry.comment = STAFF_COMMENT if index == 3 else MEDICAL_COMMENT
        template.append(entry)
    save_po(path, template)


def served_by_key(mo_file: Path) -> dict:
    return {message_key(e): forms_of(e) for e in polib.mofile(str(mo_file)) if e.msgid}


class GateMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="gate-", dir=TMP_ROOT))
        try:
            self._set_up()
        except BaseException:  # no teardown follows a failed constructor
            if getattr(self, "engine", None) is not None:
                self.engine.dispose()
            shutil.rmtree(self.dir, ignore_errors=True)
            raise

    def _set_up(self):
        self.translations = self.dir / "translations"
        self.template = self.translations / "messages.pot"
        self.published = self.dir / "published"
        self.translations.mkdir()
        self.sources = list(SOURCES)
        write_template(self.template, self.sources)
        init_catalog(self.template, self.translations, LOCALE)
        self.app = create_app({
            "TESTING": True, "SECRET_KEY": "x",
            "DATABASE_URL": f"sqlite:///{self.dir / 'portal.sqlite3'}",
            "TRANSLATIONS_DIR": str(self.translations), "PUBLISHED_DIR": str(self.published),
            "UPLOAD_DIR": str(self.dir / "uploads"),
        })
        self.engine = self.app.extensions["db_engine"]
        Base.metadata.create_all(self.engine)
        self.terms = self.app.extensions["terms"]
        self.nplurals = get_plural(LOCALE).num_plurals
        # Domain steps and web requests share this database.
        self.session = Session(self.engine, expire_on_commit=False)
        self.people = {name: create_user(self.session, name, PASSWORD, roles=roles)
                       for name, roles in ROLES.items()}
        # The model's own record of who wrote which words for each message ((index, words) -> user
        # ids; a message keeps its index across changes of its English), kept apart from the
        # portal's history so four eyes is checked against something independent.
        self.written_by: dict[tuple[int, str], set[int]] = {}
        # Every fingerprint each message has had (to post stale ones) and its earlier ids.
        self.prints: dict[int, list[str]] = {index: [] for index in range(4)}
        self.old_mids: dict[int, list[str]] = {index: [] for index in range(4)}
        self.clients = {}  # name -> (logged-in test client, its CSRF token); each logs in once

    def teardown(self):
        try:
            self.session.close()
            self.engine.dispose()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    # -- helpers ------------------------------------------------------------------------------

    def _entry(self, catalog, index):
        msgid = self.sources[index][0]
        return next(e for e in catalog if e.msgid == msgid and not e.obsolete)

    def _current(self, index):
        return self._entry(load_po(po_path(self.translations, LOCALE)), index)

    def _wrote(self, index, forms, person):
        self.written_by.setdefault((index, words_fingerprint(forms)), set()).add(self.people[person].id)

    def _authors(self, index, forms) -> set[int]:
        """Who the model says wrote these words for this message (under any of its English)."""
        return self.written_by.get((index, words_fingerprint(forms)), set())

    def _note_print(self, index, print_):
        if print_ not in self.prints[index]:
            self.prints[index].append(print_)

    def _mid(self, data, index) -> tuple[str, bool]:
        """The message's id in a URL; now and then one from before its English changed (gone)."""
        if self.old_mids[index] and data.draw(st.integers(0, 9), label="stale mid?") == 0:
            return data.draw(st.sampled_from(self.old_mids[index]), label="stale mid"), False
        return self._mid_now(index), True

    def _mid_now(self, index) -> str:
        msgid, plural = self.sources[index]
        return message_id(("", msgid, plural or ""))

    def _standing(self):
        self.session.expire_all()  # the web requests changed rows behind this session's back
        return list(self.session.scalars(
            select(Approval).where(Approval.locale == LOCALE, Approval.revoked_at.is_(None))
            .order_by(Approval.created_at, Approval.id)))

    def _blocked(self, entry) -> bool:
        """Not approvable whoever asks: untranslated, fuzzy, or failing a blocking check."""
        forms = forms_of(entry)
        return (not all(forms) or "fuzzy" in entry.flags
                or bool(blocking_problems(entry.msgid, entry.msgid_plural, forms, LOCALE)))

    def _client(self, name):
        """The person's browser: logged in at first use, then kept for the rest of the example."""
        if name not in self.clients:
            client = self.app.test_client()
            response = login(client, name)
            assert response.status_code == 302, f"{name} could not log in"
            response.close()
            self.clients[name] = (client, csrf_token(client, "/account"))
        return self.clients[name]

    def _post(self, name, url, fields):
        client, token = self._client(name)
        response = client.post(url, data={"csrf_token": token, **fields})
        status, body = response.status_code, response.get_data(as_text=True)
        response.close()
        self.session.expire_all()
        assert status < 500, body[:2000]
        return status

    def _get(self, name, url):
        response = self._client(name)[0].get(url)
        status, body = response.status_code, response.get_data(as_text=True)
        response.close()
        assert status < 500, body[:2000]
        return status, body

    def check_published_now(self):
        """The served catalog on disk already is what the gate decides for the current data:
        the web action published at once (nothing else has published since it)."""
        approvals = [ApprovedText((a.msgctxt, a.msgid, a.msgid_plural), tuple(a.forms), a.fingerprint)
                     for a in self._standing()]
        expected, _ = decide(load_po(self.template), load_po(po_path(self.translations, LOCALE)), approvals,
                             self.nplurals, LOCALE)
        served = served_by_key(published_mo(self.published, LOCALE))
        assert served == expected, "the web action did not publish at once"
        return served

    # -- domain steps -------------------------------------------------------------------------

    @rule(data=st.data(), index=st.integers(0, 3),
          author=st.sampled_from(["tina", "tina", "tina", "rob", "tess", None]),
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
            self._wrote(index, forms_of(entry), author)

    @rule(data=st.data(), reviewer=st.sampled_from(["rita", "rita", "rob", "rob", "tess", "vic", "tina"]))
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
            approve(self.session, LOCALE, entry, reviewed_keys(load_po(self.template)), person)
        except ReviewError:
            self.session.rollback()
            return
        self.session.commit()
        # Four eyes and roles held for the approval that went through.
        assert person.has_role("reviewer", LOCALE)
        assert person.id not in entry_authors(self.session, LOCALE, entry)
        assert person.id not in self._authors(index, forms_of(entry))

    @rule(data=st.data())
    def revoke(self, data):
        standing = self._standing()
        if standing:
            data.draw(st.sampled_from(standing)).revoked_at = utcnow()
            self.session.commit()

    @rule(index=st.integers(0, 3))
    def change_source(self, index):
        self.old_mids[index].append(self._mid_now(index))
        msgid, plural = self.sources[index]
        self.sources[index] = (msgid.replace(".", "!") if "." in msgid else msgid + "!",
                               plural.replace(".", "!") if plural else None)
        write_template(self.template, self.sources)
        update_locales(Paths.from_config(self.app.config), self.session, [LOCALE])

    # -- web steps ----------------------------------------------------------------------------

    @rule(data=st.data(), index=st.integers(0, 3),
          person=st.sampled_from(["tina", "tina", "tess", "tess", "tess", "rita"]),
          variant=st.integers(0, 4), fuzzy=st.sampled_from([False, False, False, True]),
          base_kind=st.sampled_from(["page", "page", "page", "stale"]),
          then_review=st.booleans())
    def web_save(self, data, index, person, variant, fuzzy, base_kind, then_review):
        """A translator saves a text in the workspace (variant 4: the current text again, which
        confirms a fuzzy one); with the fingerprint the page gave, or a stale one. Sometimes the
        text is reviewed at once: by its author when they review too (four eyes must refuse)."""
        mid, live = self._mid(data, index)
        entry = self._current(index)
        before, before_print = forms_of(entry), entry_fingerprint(entry)
        self._note_print(index, before_print)
        mine = list(before) if variant == 4 else list(VARIANTS[index][variant])
        url = f"/translate/{LOCALE}/m/{mid}"
        may = self.people[person].has_role("translator", LOCALE)
        base = before_print
        if may and live and base_kind == "page":
            status, page = self._get(person, url)
            assert status == 200
            found = BASE_RE.search(page)
            assert found and found.group(1) == before_print, "the editor offered another text's fingerprint"
            base = found.group(1)
        elif base_kind == "stale":
            base = data.draw(st.sampled_from(self.prints[index] + ["0" * 64]), label="stale base")
        fields = {"base": base, **{f"form{i}": text for i, text in enumerate(mine)}}
        if fuzzy:
            fields["fuzzy"] = "1"
        status = self._post(person, url, fields)
        after = self._current(index)
        if not may:
            expected = 403
        elif not live:
            expected = 404
        elif base != before_print and mine != before:
            expected = 409
        elif check_translation(entry.msgid, entry.msgid_plural, mine, LOCALE, self.terms).blocking:
            expected = 400
        else:
            expected = 302
        event(f"web_save {status}")
        assert status == expected, f"save by {person} answered {status}, expected {expected}"
        if (index, variant) == CHANGED_LINK:
            assert status != 302, "a translation with a changed link was saved"
        if status != 302:
            assert forms_of(after) == before and entry_fingerprint(after) == before_print, "a refused save wrote"
            return
        print_ = entry_fingerprint(after)
        assert forms_of(after) == mine and ("fuzzy" in after.flags) == fuzzy
        assert self.people[person].id in entry_authors(self.session, LOCALE, after)
        self._wrote(index, mine, person)
        self._note_print(index, print_)
        if then_review and index < 3:
            reviewer = person if self.people[person].has_role("reviewer", LOCALE) else \
                data.draw(st.sampled_from(["rita", "rob", "tess"]), label="reviewer")
            self._approve_via_web(data, index, reviewer, fresh=True)

    def _review_target(self, data, reviewer, index, fresh=False):
        """Open the message as the reviewer would and pick the fingerprint to post: the one the
        page shows (always, when ``fresh``); or one from earlier; or the page's, after a
        translator saved meanwhile. Returns (mid, live, seen)."""
        mid, live = self._mid(data, index) if not fresh else (self._mid_now(index), True)
        person = self.people[reviewer]
        entry = self._current(index)
        current = entry_fingerprint(entry)
        self._note_print(index, current)
        page = ""
        if live:
            status, page = self._get(reviewer, f"/review/{LOCALE}/m/{mid}")
            if not person.has_role("reviewer", LOCALE):
                assert status == 403
            elif index == 3:
                assert status == 404  # staff-only strings are not reviewed
            else:
                assert status == 200
                assert set(SEEN_RE.findall(page)) <= {current}, "the review page offered another text"
                already = any(a.fingerprint == current for a in self._standing())
                own = person.id in self._authors(index, forms_of(entry))
                offered = f'action="/review/{LOCALE}/m/{mid}/approve"' in page
                assert offered == (not already and not self._blocked(entry) and not own), \
                    "the page offers approval where the rules refuse it, or hides it where they allow it"
        found = SEEN_RE.search(page)
        kind = "page" if fresh else data.draw(st.sampled_from(["page", "page", "page", "stale", "raced"]),
                                              label="seen")
        seen = found.group(1) if found else current  # no form offered: a request made by hand
        if kind == "stale":
            earlier = [p for p in self.prints[index] if p != current]
            seen = data.draw(st.sampled_from(earlier or [current]), label="stale seen")
        elif kind == "raced":  # a translator saves another text between reading and deciding
            others = [v for v in range(4) if VARIANTS[index][v] != forms_of(entry)]
            self._edit(index, data.draw(st.sampled_from(others), label="raced variant"), "tina", False)
            self._note_print(index, entry_fingerprint(self._current(index)))
        return mid, live, seen

    @rule(data=st.data(), index=MEDICAL_MOSTLY,
          reviewer=st.sampled_from(["rita", "rita", "rob", "rob", "tess", "tess", "vic", "tina"]),
          note=st.sampled_from(["", "Checked against the glossary."]))
    def web_approve(self, data, index, reviewer, note):
        self._approve_via_web(data, index, reviewer, note)

    def _approve_via_web(self, data, index, reviewer, note="", fresh=False):
        mid, live, seen = self._review_target(data, reviewer, index, fresh)
        person = self.people[reviewer]
        entry = self._current(index)
        current = entry_fingerprint(entry)
        standing_before = {a.id for a in self._standing()}
        already = any(a.fingerprint == current for a in self._standing())
        own = person.id in self._authors(index, forms_of(entry))
        status = self._post(reviewer, f"/review/{LOCALE}/m/{mid}/approve", {"seen": seen, "note": note})
        if not person.has_role("reviewer", LOCALE):
            expected = 403
        elif not live or index == 3:
            expected = 404
        elif seen != current:
            expected = 409  # the text changed after the reviewer read it: nothing recorded
        elif self._blocked(entry):
            expected = 400
        elif own:
            expected = 403  # four eyes
        else:
            expected = 302
        event(f"web_approve {status}")
        assert status == expected, f"approval by {reviewer} answered {status}, expected {expected}"
        standing = self._standing()
        new = [a for a in standing if a.id not in standing_before]
        if status != 302:
            assert not new, "a refused approval was recorded"
            return
        assert person.has_role("reviewer", LOCALE)
        approved_entry = self._current(index)
        assert person.id not in entry_authors(self.session, LOCALE, approved_entry), "an author approved their own text"
        assert person.id not in self._authors(index, forms_of(approved_entry)), "an author approved their own text"
        assert [a.fingerprint for a in standing if a.fingerprint == seen], "approved, but no approval stands"
        assert len(new) == (0 if already else 1)
        for approval in new:
            assert approval.fingerprint == seen == current, "the approval pins a text the reviewer did not see"
            assert approval.reviewer_id == person.id
        # Published at once: the approved text is what families read now.
        served = self.check_published_now()
        assert served.get(message_key(entry)) == forms_of(entry), "the approved text is not served"
        self.check_served_catalog()

    @rule(data=st.data(), index=MEDICAL_MOSTLY, reviewer=st.sampled_from(["rita", "rob", "tess", "tess", "vic"]),
          reason=st.sampled_from(["Wrong term for relapse."] * 3 + ["", "   "]))
    def web_reject(self, data, index, reviewer, reason):
        mid, live, seen = self._review_target(data, reviewer, index)
        person = self.people[reviewer]
        entry = self._current(index)
        current = entry_fingerprint(entry)
        rejections = len(self.session.scalars(select(Rejection.id)).all())
        status = self._post(reviewer, f"/review/{LOCALE}/m/{mid}/reject", {"seen": seen, "reason": reason})
        if not person.has_role("reviewer", LOCALE):
            expected = 403
        elif not live or index == 3:
            expected = 404
        elif not reason.strip():
            expected = 400
        elif seen != current:
            expected = 409
        elif not all(forms_of(entry)) or any(a.fingerprint == current for a in self._standing()):
            expected = 400  # nothing to reject, or approved (revoke instead)
        else:
            expected = 302
        event(f"web_reject {status}")
        assert status == expected, f"rejection by {reviewer} answered {status}, expected {expected}"
        rows = list(self.session.scalars(select(Rejection).order_by(Rejection.id)))
        assert len(rows) == rejections + (status == 302)
        if status == 302:
            assert rows[-1].fingerprint == seen and rows[-1].reviewer_id == person.id
            assert rows[-1].reason == reason.strip()

    @rule(data=st.data(), reviewer=st.sampled_from(["rita", "rob", "tess", "rita", "rob", "tess", "vic", "tina"]),
          reason=st.sampled_from(["Families found it confusing."] * 3 + ["", " "]),
          elsewhere=st.sampled_from([False, False, False, False, True]))
    @precondition(lambda self: self.session.scalars(select(Approval.id).limit(1)).first() is not None)
    def web_revoke(self, data, reviewer, reason, elsewhere):
        self.session.expire_all()
        every = list(self.session.scalars(select(Approval).order_by(Approval.id)))
        live_keys = {("", msgid, plural or ""): i for i, (msgid, plural) in enumerate(self.sources)}
        # Mostly a standing approval of a message still in the catalog; sometimes a revoked one,
        # or one whose English has changed since.
        standing = [a for a in every if a.revoked_at is None
                    and (a.msgctxt, a.msgid, a.msgid_plural) in live_keys]
        pool = standing if standing and data.draw(st.integers(0, 5), label="any approval?") else every
        approval = data.draw(st.sampled_from(pool), label="approval")
        key = (approval.msgctxt, approval.msgid, approval.msgid_plural)
        mid = message_id(key)
        mismatched = False
        if elsewhere:  # an approval id under another message's URL
            others = [i for k, i in live_keys.items() if k != key and i < 3]
            index = data.draw(st.sampled_from(others), label="other message")
            mid, mismatched = self._mid_now(index), True
        person = self.people[reviewer]
        was_revoked = approval.revoked_at is not None
        status = self._post(reviewer, f"/review/{LOCALE}/m/{mid}/revoke/{approval.id}", {"reason": reason})
        if not person.has_role("reviewer", LOCALE):
            expected = 403
        elif not mismatched and key not in live_keys:
            expected = 404  # its English changed: the message it belonged to is gone
        elif not reason.strip() or mismatched or was_revoked:
            expected = 400
        else:
            expected = 302
        event(f"web_revoke {status}")
        assert status == expected, f"revocation by {reviewer} answered {status}, expected {expected}"
        self.session.refresh(approval)
        if status != 302:
            assert (approval.revoked_at is not None) == was_revoked, "a refused revocation changed the approval"
            return
        assert approval.revoked_at is not None and approval.revoked_by_id == person.id
        assert approval.revoke_reason == reason.strip()
        # Published at once: the revoked text is no longer served.
        served = self.check_published_now()
        if key in served:
            assert fingerprint(key, served[key]) != approval.fingerprint, "a revoked text is still served"
        self.check_served_catalog()

    # -- the gate -----------------------------------------------------------------------------

    @initialize()
    def translator_fills_the_catalog(self):
        for index in range(4):
            self._edit(index, 0, "tina", False)

    @invariant()
    def publish_and_check(self):
        """Publish after every step, so every reachable state of the data is put through the gate."""
        self.session.expire_all()
        approvals = [ApprovedText((a.msgctxt, a.msgid, a.msgid_plural), tuple(a.forms), a.fingerprint)
                     for a in self.session.query(Approval).filter(Approval.revoked_at.is_(None))
                     .order_by(Approval.created_at, Approval.id)]
        publish(LOCALE, self.template, po_path(self.translations, LOCALE), self.published, approvals)
        self.check_served_catalog()

    def check_served_catalog(self):
        template = load_po(self.template)
        medical = reviewed_keys(template)
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
        # Classification never came from the .po: every template string not marked staff-only is reviewed.
        assert set(medical) == {message_key(e) for e in template if e.comment != STAFF_COMMENT}


GateMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=25, deadline=None,
                                         suppress_health_check=[HealthCheck.too_slow])
TestGate = GateMachine.TestCase
