"""Property: no sequence of edits, imports, approvals, revocations, source changes and publishes
ever puts an unapproved reviewed translation into what families read (invariants 1, 2, 3, 8).

Two portal hosts (two apps, each with its own instance folder and copy of the code's template)
share one database, as several hosts behind a load balancer do. The machine acts through the
domain code (units written as saves or as files edited outside the portal, the template merged
after a deploy, approvals and revocations) and through the real web endpoints of either host
(saves in the translator's workspace; approve, reject and revoke on the review pages), each
person's browser keeping one cookie jar whichever host answers. After every step one of the
hosts publishes, and the gate's catalog (the ``published_catalogs`` row) is checked, and so is
what each host serves from it. Web approvals and revocations publish at once: that is checked,
on both hosts, before the machine's own publish."""
from __future__ import annotations

import functools
import os
import re
import shutil
import tempfile
from pathlib import Path
from unittest import mock

import flask
import jinja2
import polib
from babel.messages.plurals import get_plural
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import func, select

from portal import create_app
from portal.db import Base
from portal.families import content
from portal.models import Approval, Edit, PublishedCatalog, Rejection
from portal.paths import Paths
from portal.people.accounts import create_user
from portal.review import rules
from portal.review.gate import decide, standing_approvals, unit_texts
from portal.review.operations import publish_locale
from portal.translation import files, units
from portal.translation.catalogs import load_po, save_po
from portal.translation.checks import blocking_problems, run_checks
from portal.translation.extract import MEDICAL_COMMENT, STAFF_COMMENT
from portal.translation.identity import fingerprint, forms_of, message_id, message_key, words_fingerprint
from portal.translation.operations import update_locales
from portal.translation.pofile import dumps
from portal.translation.template import review_kind, reviewed_keys
from tests.conftest import close_app, csrf_token, database_url, login

LOCALE = "es"
HOSTS = ("a", "b")
SOURCES = [
    ("Leukemia can come back.", None),
    ("Ask about [relapse](glossary:relapse).", None),
    ("%(num)s child is in remission.", "%(num)s children are in remission."),
    ("Home", None),  # a staff-only string: not reviewed
]
# Per message: translations that pass the checks (so most steps do something), plus one that
# must never be served (markup or a changed link) and an empty one.
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
PASSWORD = "correct horse battery"
# Reviews aim mostly at the medical messages (3 is a staff-only string: not reviewed, 404). A
# fixed distribution, not one drawn from the current state, so failures shrink well.
MEDICAL_MOSTLY = st.sampled_from([0, 1, 2, 0, 1, 2, 3])
SEEN_RE = re.compile(r'name="seen"[^>]*value="([^"]*)"')
BASE_RE = re.compile(r'name="base" value="([^"]*)"')
# Temporary folders in memory when there is one: the database fsyncs every commit, which costs
# far more than the property itself on a disk.
TMP_ROOT = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


def may(person: str, role: str) -> bool:
    return (role, LOCALE) in ROLES[person]


def write_template(path: Path, sources) -> None:
    template = polib.POFile()
    template.metadata = {"Content-Type": "text/plain; charset=UTF-8"}
    for index, (msgid, plural) in enumerate(sources):
        entry = polib.POEntry(msgid=msgid, msgid_plural=plural or "",
                              msgstr_plural={0: "", 1: ""} if plural else {}, msgstr="")
        entry.comment = STAFF_COMMENT if index == 3 else MEDICAL_COMMENT
        template.append(entry)
    save_po(path, template)


class SharedBytecode(jinja2.BytecodeCache):
    """Compiled page templates kept in memory for every app this file makes: two new hosts per
    example would otherwise compile each staff page again (most of an example's time)."""

    def __init__(self):
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket):
        self.compiled[bucket.key] = bucket.bytecode_to_string()


BYTECODE = SharedBytecode()
PAGES = functools.cache(content.load_pages)  # the content is the same for every host: parsed once


def make_host(folder: Path, url: str, sources) -> flask.Flask:
    """One portal host: its own instance folder and copy of the code (the template), the shared
    database at ``url``, the installation's one secret (a session cookie works on every host)."""
    translations = folder / "translations"
    translations.mkdir(parents=True)
    write_template(translations / "messages.pot", sources)
    instance = folder / "instance"

    def flask_in_its_instance_folder(*args, **kwargs):
        return flask.Flask(*args, **{**kwargs, "instance_path": str(instance)})

    with mock.patch("portal.Flask", flask_in_its_instance_folder), mock.patch.object(content, "load_pages", PAGES):
        app = create_app({
            "TESTING": True, "SECRET_KEY": "one secret for every host", "DATABASE_URL": url,
            "TRANSLATIONS_DIR": str(translations), "PUBLISHED_DIR": str(instance / "published"),
            "UPLOAD_DIR": str(instance / "uploads"),
        })
    assert app.instance_path == str(instance)
    app.jinja_env.bytecode_cache = BYTECODE
    return app


@functools.cache
def blocked_text(msgid: str, msgid_plural: str, forms: tuple[str, ...]) -> bool:
    """A translated text that fails a blocking check (the checks are pure: asked once per text)."""
    return all(forms) and bool(blocking_problems(msgid, msgid_plural, list(forms), LOCALE))


class Browser:
    """One person's browser behind a load balancer: one cookie jar, each request answered by
    whichever host the machine picks."""

    def __init__(self, apps: dict):
        self.clients = {host: app.test_client() for host, app in apps.items()}
        jar = self.clients[HOSTS[0]]._cookies  # Werkzeug's cookie jar, shared: one browser
        for client in self.clients.values():
            client._cookies = jar
        self.token = ""


class GateMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="gate-", dir=TMP_ROOT))
        self.apps: dict[str, flask.Flask] = {}
        self.session = None
        try:
            self._set_up()
        except BaseException:  # no teardown follows a failed constructor
            self._close()
            raise

    def _set_up(self):
        self.sources = list(SOURCES)
        url = database_url(self.dir)
        for host in HOSTS:
            self.apps[host] = make_host(self.dir / f"host-{host}", url, self.sources)
        Base.metadata.create_all(self.apps["a"].extensions["db_engine"])
        self.template = load_po(self.paths("a").template)
        self.terms = self.apps["a"].extensions["terms"]
        self.nplurals = get_plural(LOCALE).num_plurals
        self.publishes = 0
        # Domain steps and web requests share this database.
        self.session = self.apps["a"].extensions["db"]()
        update_locales(self.paths("a"), self.session, [LOCALE], self.terms)
        self.people = {name: create_user(self.session, name, PASSWORD, roles=roles) for name, roles in ROLES.items()}
        self.session.commit()  # the model's own unit of work: domain code only flushes
        self.ids = {name: person.id for name, person in self.people.items()}
        # The model's own record of who wrote which words for each message ((index, words) -> user
        # ids; a message keeps its index across changes of its English), kept apart from the
        # portal's history so four eyes is checked against something independent.
        self.written_by: dict[tuple[int, str], set[int]] = {}
        # Every fingerprint and unit revision each message has had (to post stale ones), and its earlier ids.
        self.prints: dict[int, list[str]] = {index: [] for index in range(4)}
        self.revisions: dict[int, list[int]] = {index: [] for index in range(4)}
        self.old_mids: dict[int, list[str]] = {index: [] for index in range(4)}
        self.browsers: dict[str, Browser] = {}  # each logs in once, then keeps its cookies

    def teardown(self):
        self._close()

    def _close(self):
        try:
            if self.session is not None:
                self.session.close()
            for app in self.apps.values():
                app.extensions["db_engine"].dispose()
            if self.apps:
                close_app(next(iter(self.apps.values())))  # and the PostgreSQL schema, if there is one
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    # -- helpers ------------------------------------------------------------------------------

    def paths(self, host: str) -> Paths:
        return Paths.from_config(self.apps[host].config)

    def _fresh(self):
        """Forget what this session read: web requests and other sessions changed rows since."""
        self.session.rollback()

    def _mid_now(self, index) -> str:
        msgid, plural = self.sources[index]
        return message_id(("", msgid, plural or ""))

    def _unit(self, index):
        """The message's live unit, as the database has it now."""
        self._fresh()
        unit = units.get(self.session, LOCALE, self._mid_now(index))
        assert unit is not None, f"message {index} has no live unit"
        return unit

    def _wrote(self, index, forms, person):
        self.written_by.setdefault((index, words_fingerprint(forms)), set()).add(self.ids[person])

    def _authors(self, index, forms) -> set[int]:
        """Who the model says wrote these words for this message (under any of its English)."""
        return self.written_by.get((index, words_fingerprint(forms)), set())

    def _note(self, index, unit):
        if unit.fingerprint not in self.prints[index]:
            self.prints[index].append(unit.fingerprint)
        if unit.revision not in self.revisions[index]:
            self.revisions[index].append(unit.revision)

    def _mid(self, data, index) -> tuple[str, bool]:
        """The message's id in a URL; now and then one from before its English changed (gone)."""
        if self.old_mids[index] and data.draw(st.integers(0, 9), label="stale mid?") == 0:
            return data.draw(st.sampled_from(self.old_mids[index]), label="stale mid"), False
        return self._mid_now(index), True

    def _standing(self):
        self._fresh()
        return list(self.session.scalars(
            select(Approval).where(Approval.locale == LOCALE, Approval.revoked_at.is_(None))
            .order_by(Approval.created_at, Approval.id)))

    def _edits(self) -> int:
        self._fresh()
        return self.session.scalar(select(func.count()).select_from(Edit))

    @staticmethod
    def _blocked(unit) -> bool:
        """Not approvable whoever asks: untranslated, fuzzy, or failing a blocking check."""
        return not unit.translated or unit.fuzzy or blocked_text(unit.msgid, unit.msgid_plural, tuple(unit.forms))

    def _browser(self, name, host):
        """The person's browser: logged in at first use (on whichever host), then kept."""
        if name not in self.browsers:
            browser = Browser(self.apps)
            response = login(browser.clients[host], name)
            assert response.status_code == 302, f"{name} could not log in"
            response.close()
            browser.token = csrf_token(browser.clients[host], "/account")
            self.browsers[name] = browser
        return self.browsers[name]

    def _post(self, name, host, url, fields):
        browser = self._browser(name, host)
        response = browser.clients[host].post(url, data={"csrf_token": browser.token, **fields})
        status, body = response.status_code, response.get_data(as_text=True)
        response.close()
        assert status < 500, body[:2000]
        return status

    def _get(self, name, host, url):
        response = self._browser(name, host).clients[host].get(url)
        status, body = response.status_code, response.get_data(as_text=True)
        response.close()
        assert status < 500, body[:2000]
        return status, body

    def _row_served(self) -> dict:
        """What the gate published: the locale's ``published_catalogs`` row, by message."""
        self._fresh()
        row = self.session.get(PublishedCatalog, LOCALE)
        if row is None or not row.mo:
            return {}
        return {message_key(e): forms_of(e) for e in polib.mofile(row.mo) if e.msgid}

    def _served_by(self, host) -> dict:
        """What a family reading es on this host gets for each message of the template, through the
        host's own ServedCatalogs (its cache, its version check): messages left in English omitted."""
        catalog = self.apps[host].extensions["served"].get(LOCALE)
        found = {}
        for msgid, plural in self.sources:
            if plural:
                forms = [catalog.ngettext(msgid, plural, n) for n in (1, 2)]  # es: n == 1, and the rest
                if forms != [msgid, plural]:
                    found[("", msgid, plural)] = forms
            elif catalog.lookup(msgid) is not None:
                found[("", msgid, "")] = [catalog.lookup(msgid)]
        return found

    def check_published_now(self):
        """The gate's catalog already is what it decides for the current data, and both hosts serve
        it: the web action published at once (nothing else has published since it)."""
        self._fresh()
        expected, _ = decide(unit_texts(self.session, LOCALE), standing_approvals(self.session, LOCALE),
                             self.nplurals, LOCALE)
        served = self._row_served()
        assert served == expected, "the web action did not publish at once"
        for host in HOSTS:
            assert self._served_by(host) == served, f"host {host} does not serve the new publish"
        return served

    # -- domain steps -------------------------------------------------------------------------

    @rule(data=st.data(), index=st.integers(0, 3),
          author=st.sampled_from(["tina", "tina", "tina", "rob", "tess", None]),
          fuzzy=st.sampled_from([False, False, False, True]), tamper=st.sampled_from([False, False, True]))
    def edit(self, data, index, author, fuzzy, tamper):
        """Save a different translation; sometimes through the repository's .po instead, edited
        outside the portal with comments that try to make the message staff-only (invariant 2),
        then `flask translate import --replace` on one of the hosts."""
        current = self._unit(index).forms
        variant = data.draw(st.sampled_from([v for v in range(4) if VARIANTS[index][v] != current]))
        if tamper:
            self._import_tampered(index, variant, fuzzy, data.draw(st.sampled_from(HOSTS), label="host"))
        else:
            self._edit(index, variant, author, fuzzy)

    def _edit(self, index, variant, author, fuzzy):
        """Put a text into the unit as it is, checks or not (author None: edited outside the portal)."""
        forms = list(VARIANTS[index][variant])
        unit = self._unit(index)
        before = (unit.forms, unit.fuzzy)
        person = self.people[author] if author else None
        units.apply_changes(self.session, LOCALE, [units.Change(unit.mid, forms, None, fuzzy)], person, self.terms,
                            origin="web" if person else "import", check=False)
        self.session.commit()
        if author and (forms, fuzzy) != before:
            self._wrote(index, forms, author)

    def _import_tampered(self, index, variant, fuzzy, host):
        forms = list(VARIANTS[index][variant])
        unit = self._unit(index)
        before = (unit.forms, unit.fuzzy, unit.kind)
        catalog = files.catalog(self.session, LOCALE)
        entry = next(e for e in catalog if message_key(e) == unit.key)
        if entry.msgid_plural:
            entry.msgstr_plural = dict(enumerate(forms))
        else:
            entry.msgstr = forms[0]
        entry.flags = ["fuzzy"] if fuzzy else []
        entry.comment = f"{STAFF_COMMENT}\nnot medical"
        entry.occurrences = [("portal/templates/base.html", "1")]
        path = self.paths(host).po(LOCALE)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dumps(catalog), encoding="utf-8")
        self._fresh()
        result = self.apps[host].test_cli_runner().invoke(args=["translate", "import", "--replace", LOCALE])
        assert result.exit_code == 0, result.output
        after = self._unit(index)
        # Applied unless empty (a file never erases) or refused by a blocking check.
        applied = any(forms) and (forms, fuzzy) != before[:2] and \
            not run_checks(unit.msgid, unit.msgid_plural, forms, LOCALE, self.terms).blocking
        assert (after.forms, after.fuzzy) == ((forms, fuzzy) if applied else before[:2]), result.output
        kind = "medical" if index < 3 else None  # as the template says
        assert after.kind == before[2] == kind, "an imported .po changed what the message is"
        event(f"import {'applied' if applied else 'refused or nothing'}")

    @rule(data=st.data(), reviewer=st.sampled_from(["rita", "rita", "rob", "rob", "tess", "vic", "tina"]))
    def approve(self, data, reviewer):
        # Mostly aim at medical messages that can be approved, so approvals actually happen.
        ready = [i for i in range(3) if self._unit(i).translated and not self._unit(i).fuzzy]
        index = data.draw(st.sampled_from(ready)) if ready and data.draw(st.integers(0, 4)) else \
            data.draw(st.integers(0, 3))
        unit = self._unit(index)
        person = self.people[reviewer]
        try:
            rules.approve(self.session, unit, person)
        except rules.ReviewError:
            self.session.rollback()
            return
        self.session.commit()
        # Four eyes and roles held for the approval that went through.
        unit = self._unit(index)
        assert may(reviewer, "reviewer")
        assert self.ids[reviewer] not in rules.unit_authors(self.session, unit)
        assert self.ids[reviewer] not in self._authors(index, unit.forms)

    @rule(data=st.data(), reviewer=st.sampled_from(["rita", "rob", "tess"]))
    def revoke(self, data, reviewer):
        standing = self._standing()
        if standing:
            approval = data.draw(st.sampled_from(standing))
            rules.revoke(self.session, LOCALE, approval.id, self.people[reviewer], "Families found it confusing.")
            self.session.commit()

    @rule(data=st.data(), index=st.integers(0, 3))
    def change_source(self, data, index):
        """A deploy changes one English text: every host gets the new template, and one of them
        runs `flask translate update`."""
        self.old_mids[index].append(self._mid_now(index))
        msgid, plural = self.sources[index]
        self.sources[index] = (msgid.replace(".", "!") if "." in msgid else msgid + "!",
                               plural.replace(".", "!") if plural else None)
        for host in HOSTS:
            write_template(self.paths(host).template, self.sources)
        self.template = load_po(self.paths("a").template)
        host = data.draw(st.sampled_from(HOSTS), label="host")
        with self.apps[host].extensions["db"]() as session:
            update_locales(self.paths(host), session, [LOCALE], self.terms)
            session.commit()  # as `flask translate update`'s unit of work does

    # -- web steps ----------------------------------------------------------------------------

    @rule(data=st.data(), index=st.integers(0, 3), host=st.sampled_from(HOSTS),
          person=st.sampled_from(["tina", "tina", "tess", "tess", "tess", "rita"]),
          variant=st.integers(0, 4), fuzzy=st.sampled_from([False, False, False, True]),
          base_kind=st.sampled_from(["page", "page", "page", "stale"]),
          then_review=st.booleans())
    def web_save(self, data, index, host, person, variant, fuzzy, base_kind, then_review):
        """A translator saves a text in the workspace (variant 4: the current text again, which
        confirms a fuzzy one); with the unit revision the page gave (read on either host), or a
        stale one. Sometimes the text is reviewed at once: by its author when they review too
        (four eyes must refuse)."""
        mid, live = self._mid(data, index)
        unit = self._unit(index)
        before = (unit.forms, unit.fuzzy, unit.revision, unit.fingerprint)
        self._note(index, unit)
        mine = list(unit.forms) if variant == 4 else list(VARIANTS[index][variant])
        url = f"/translate/{LOCALE}/m/{mid}"
        base = str(unit.revision)
        if may(person, "translator") and live and base_kind == "page":
            status, page = self._get(person, data.draw(st.sampled_from(HOSTS), label="page host"), url)
            assert status == 200
            found = BASE_RE.search(page)
            assert found and found.group(1) == str(unit.revision), "the editor offered another base"
            base = found.group(1)
        elif base_kind == "stale":
            base = str(data.draw(st.sampled_from(self.revisions[index] + [0]), label="stale base"))
        fields = {"base": base, **{f"form{i}": text for i, text in enumerate(mine)}}
        if fuzzy:
            fields["fuzzy"] = "1"
        edits = self._edits()
        status = self._post(person, host, url, fields)
        after = self._unit(index)
        same = (mine, fuzzy) == (before[0], before[1])
        if not may(person, "translator"):
            expected = 403
        elif not live:
            expected = 404
        elif base != str(before[2]) and not same:
            expected = 409  # changed since the page was read, and to something else
        elif run_checks(unit.msgid, unit.msgid_plural, mine, LOCALE, self.terms).blocking:
            expected = 400  # sending back a blocked text (kept from an import) unchanged is refused too
        else:
            expected = 302
        event(f"web_save {status}{' (nothing to change)' if same and status == 302 else ''}")
        assert status == expected, f"save by {person} on {host} answered {status}, expected {expected}"
        if (index, variant) == CHANGED_LINK and not same:  # (it may stand already: imported, or a raced edit)
            assert status != 302, "a translation with a changed link was saved"
        if status != 302 or same:
            assert (after.forms, after.fuzzy, after.revision, after.fingerprint) == before, "a refused save wrote"
            assert self._edits() == edits, "a refused or empty save left a history row"
            return
        assert (after.forms, after.fuzzy) == (mine, fuzzy)
        assert after.revision == before[2] + 1, "one save, one unit revision"
        assert self._edits() == edits + 1
        assert self.ids[person] in rules.unit_authors(self.session, after)
        self._wrote(index, mine, person)
        self._note(index, after)
        if then_review and index < 3:
            reviewer = person if may(person, "reviewer") else \
                data.draw(st.sampled_from(["rita", "rob", "tess"]), label="reviewer")
            self._approve_via_web(data, index, reviewer, data.draw(st.sampled_from(HOSTS), label="host"),
                                  fresh=True)

    def _review_target(self, data, reviewer, index, fresh=False):
        """Open the message as the reviewer would (on either host) and pick the fingerprint to
        post: the one the page shows (always, when ``fresh``); or one from earlier; or the
        page's, after a translator saved meanwhile. Returns (mid, live, seen)."""
        mid, live = self._mid(data, index) if not fresh else (self._mid_now(index), True)
        unit = self._unit(index)
        current = unit.fingerprint
        self._note(index, unit)
        page = ""
        if live:
            status, page = self._get(reviewer, data.draw(st.sampled_from(HOSTS), label="page host"),
                                     f"/review/{LOCALE}/m/{mid}")
            if not may(reviewer, "reviewer"):
                assert status == 403
            elif index == 3:
                assert status == 404  # staff-only strings are not reviewed
            else:
                assert status == 200
                assert set(SEEN_RE.findall(page)) <= {current}, "the review page offered another text"
                already = any(a.fingerprint == current for a in self._standing())
                own = self.ids[reviewer] in self._authors(index, unit.forms)
                offered = f'action="/review/{LOCALE}/m/{mid}/approve"' in page
                assert offered == (not already and not self._blocked(unit) and not own), \
                    "the page offers approval where the rules refuse it, or hides it where they allow it"
        found = SEEN_RE.search(page)
        kind = "page" if fresh else data.draw(st.sampled_from(["page", "page", "page", "stale", "raced"]),
                                              label="seen")
        seen = found.group(1) if found else current  # no form offered: a request made by hand
        if kind == "stale":
            earlier = [p for p in self.prints[index] if p != current]
            seen = data.draw(st.sampled_from(earlier or [current]), label="stale seen")
        elif kind == "raced":  # a translator saves another text between reading and deciding
            others = [v for v in range(4) if VARIANTS[index][v] != unit.forms]
            self._edit(index, data.draw(st.sampled_from(others), label="raced variant"), "tina", False)
            self._note(index, self._unit(index))
        return mid, live, seen

    @rule(data=st.data(), index=MEDICAL_MOSTLY, host=st.sampled_from(HOSTS),
          reviewer=st.sampled_from(["rita", "rita", "rob", "rob", "tess", "tess", "vic", "tina"]),
          note=st.sampled_from(["", "Checked against the glossary."]))
    def web_approve(self, data, index, host, reviewer, note):
        self._approve_via_web(data, index, reviewer, host, note)

    def _approve_via_web(self, data, index, reviewer, host, note="", fresh=False):
        mid, live, seen = self._review_target(data, reviewer, index, fresh)
        unit = self._unit(index)
        current = unit.fingerprint
        standing_before = {a.id for a in self._standing()}
        already = any(a.fingerprint == current for a in self._standing())
        own = self.ids[reviewer] in self._authors(index, unit.forms)
        status = self._post(reviewer, host, f"/review/{LOCALE}/m/{mid}/approve", {"seen": seen, "note": note})
        if not may(reviewer, "reviewer"):
            expected = 403
        elif not live or index == 3:
            expected = 404
        elif seen != current:
            expected = 409  # the text changed after the reviewer read it: nothing recorded
        elif self._blocked(unit):
            expected = 400
        elif own:
            expected = 403  # four eyes
        else:
            expected = 302
        event(f"web_approve {status}")
        assert status == expected, f"approval by {reviewer} on {host} answered {status}, expected {expected}"
        standing = self._standing()
        new = [a for a in standing if a.id not in standing_before]
        if status != 302:
            assert not new, "a refused approval was recorded"
            return
        approved = self._unit(index)
        assert self.ids[reviewer] not in rules.unit_authors(self.session, approved), "an author approved their text"
        assert self.ids[reviewer] not in self._authors(index, approved.forms), "an author approved their own text"
        assert [a.fingerprint for a in standing if a.fingerprint == seen], "approved, but no approval stands"
        assert len(new) == (0 if already else 1)
        for approval in new:
            assert approval.fingerprint == seen == current, "the approval pins a text the reviewer did not see"
            assert approval.reviewer_id == self.ids[reviewer]
        assert approved.state == "approved"
        # Published at once: the approved text is what families read now, on every host.
        served = self.check_published_now()
        assert served.get(unit.key) == unit.forms, "the approved text is not served"
        self.check_served_catalog()

    @rule(data=st.data(), index=MEDICAL_MOSTLY, host=st.sampled_from(HOSTS),
          reviewer=st.sampled_from(["rita", "rob", "tess", "tess", "vic"]),
          reason=st.sampled_from(["Wrong term for relapse."] * 3 + ["", "   "]))
    def web_reject(self, data, index, host, reviewer, reason):
        mid, live, seen = self._review_target(data, reviewer, index)
        unit = self._unit(index)
        current = unit.fingerprint
        rejections = len(self.session.scalars(select(Rejection.id)).all())
        status = self._post(reviewer, host, f"/review/{LOCALE}/m/{mid}/reject", {"seen": seen, "reason": reason})
        if not may(reviewer, "reviewer"):
            expected = 403
        elif not live or index == 3:
            expected = 404
        elif not reason.strip():
            expected = 400
        elif seen != current:
            expected = 409
        elif not unit.translated or any(a.fingerprint == current for a in self._standing()):
            expected = 400  # nothing to reject, or approved (revoke instead)
        else:
            expected = 302
        event(f"web_reject {status}")
        assert status == expected, f"rejection by {reviewer} on {host} answered {status}, expected {expected}"
        self._fresh()
        rows = list(self.session.scalars(select(Rejection).order_by(Rejection.id)))
        assert len(rows) == rejections + (status == 302)
        if status == 302:
            assert rows[-1].fingerprint == seen and rows[-1].reviewer_id == self.ids[reviewer]
            assert rows[-1].reason == reason.strip()
            rejected = self._unit(index)
            assert rejected.state == ("fuzzy" if rejected.fuzzy else "rejected")

    @rule(data=st.data(), host=st.sampled_from(HOSTS),
          reviewer=st.sampled_from(["rita", "rob", "tess", "rita", "rob", "tess", "vic", "tina"]),
          reason=st.sampled_from(["Families found it confusing."] * 3 + ["", " "]),
          elsewhere=st.sampled_from([False, False, False, False, True]))
    @precondition(lambda self: self.session.scalars(select(Approval.id).limit(1)).first() is not None)
    def web_revoke(self, data, host, reviewer, reason, elsewhere):
        self._fresh()
        every = list(self.session.scalars(select(Approval).order_by(Approval.id)))
        live_keys = {("", msgid, plural or ""): i for i, (msgid, plural) in enumerate(self.sources)}
        # Mostly a standing approval of a message still in the catalog; sometimes a revoked one,
        # or one whose English has changed since.
        standing = [a for a in every if a.revoked_at is None and a.key in live_keys]
        pool = standing if standing and data.draw(st.integers(0, 5), label="any approval?") else every
        approval = data.draw(st.sampled_from(pool), label="approval")
        key, approval_id = approval.key, approval.id
        mid = approval.mid
        assert mid == message_id(key)
        mismatched = False
        if elsewhere:  # an approval id under another message's URL
            others = [i for k, i in live_keys.items() if k != key and i < 3]
            index = data.draw(st.sampled_from(others), label="other message")
            mid, mismatched = self._mid_now(index), True
        was_revoked = approval.revoked_at is not None
        status = self._post(reviewer, host, f"/review/{LOCALE}/m/{mid}/revoke/{approval_id}", {"reason": reason})
        if not may(reviewer, "reviewer"):
            expected = 403
        elif not mismatched and key not in live_keys:
            expected = 404  # its English changed: the message it belonged to is gone
        elif not reason.strip() or mismatched or was_revoked:
            expected = 400
        else:
            expected = 302
        event(f"web_revoke {status}")
        assert status == expected, f"revocation by {reviewer} on {host} answered {status}, expected {expected}"
        self._fresh()
        approval = self.session.get(Approval, approval_id)
        if status != 302:
            assert (approval.revoked_at is not None) == was_revoked, "a refused revocation changed the approval"
            return
        assert approval.revoked_at is not None and approval.revoked_by_id == self.ids[reviewer]
        assert approval.revoke_reason == reason.strip()
        # Published at once, on every host: the revoked text is no longer served.
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
        """Publish after every step (each host in turn), so every reachable state of the data is
        put through the gate; then check what it published and what each host serves."""
        self.publishes += 1
        with self.apps[HOSTS[self.publishes % len(HOSTS)]].extensions["db"]() as session:
            publish_locale(session, LOCALE)
        self.check_served_catalog()

    def check_served_catalog(self):
        template = self.template  # the code's template (every host has the same), read when it changed
        reviewed = reviewed_keys(template)
        served = self._row_served()
        approved_prints = {a.fingerprint for a in self._standing()}
        for key, forms in served.items():
            if key in reviewed:
                assert fingerprint(key, forms) in approved_prints, f"unapproved reviewed text served: {forms}"
            assert "Mal [enlace]" not in " ".join(forms), "a translation with a changed link was served"
            assert "<b>" not in " ".join(forms), "a translation with markup the English lacks was served"
        # And the gate is not simply empty: currently approved, unchanged reviewed text is served;
        # a staff-only string is served as soon as it is translated (and passes the checks).
        kinds = {message_key(e): review_kind(e) for e in template if e.msgid}
        self._fresh()
        for unit in self.session.scalars(units.live(LOCALE)):
            # Classification never came from a .po: every unit is what the template says it is.
            assert unit.kind == kinds[unit.key], f"{unit.msgid!r} is {unit.kind}, the template says {kinds[unit.key]}"
            if unit.fuzzy or blocked_text(unit.msgid, unit.msgid_plural, tuple(unit.forms)):
                continue
            if unit.kind is not None and unit.fingerprint in approved_prints:
                assert served.get(unit.key) == unit.forms
            if unit.kind is None:
                assert served.get(unit.key) == (unit.forms if unit.translated else None)
        assert set(reviewed) == {message_key(e) for e in template if e.comment != STAFF_COMMENT}
        # Every host serves exactly what the gate published, on its next request (invariant 8).
        for host in HOSTS:
            assert self._served_by(host) == served, f"host {host} serves something else than the gate published"


GateMachine.TestCase.settings = settings()  # the profile's (tests/conftest.py: "ci" by default, "dev" quick)
TestGate = GateMachine.TestCase
