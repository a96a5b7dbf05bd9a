"""Issue 12: an approval whose publish failed is kept, says so, and is published on the next attempt.

A decision (approve, approve --all, revoke) is committed before the publish it causes. When the
publish fails, the reviewer is told exactly that, families keep the previous catalog (its text
and its review dates together), the dashboard shows the locale as behind its approvals, and the
next approval, family request or `flask translate publish` publishes it.
"""
from __future__ import annotations

import errno
import json
import re

import pytest
from sqlalchemy import event

from portal.models import Approval, PublishedCatalog
from portal.people.accounts import find_user
from portal.review import gate, operations
from portal.translation import units
from tests.test_review import CHEMO, HOW_WELL, PAGE, approve, html_of, reject, review_url, revoke, rows, served_text

DISK_FULL = "the server could not write the catalog (No space left on device)"


class Failing:
    """Makes the gate's build of the catalog fail (``times`` times, or always): after it decided
    what to serve and when each served text was approved, before anything is stored."""

    def __init__(self, monkeypatch, times: int | None = 1, error: Exception | None = None):
        self.calls = 0
        self.times = times
        self.error = error or OSError(errno.ENOSPC, "No space left on device")
        self._build = gate.build_mo
        monkeypatch.setattr(gate, "build_mo", self)

    def __call__(self, locale, served):
        self.calls += 1
        if self.times is None or self.calls <= self.times:
            raise self.error
        return self._build(locale, served)


class RefusedWrite:
    """The database refuses the publish's write of the catalog row (as a full disk would make it):
    a real error from the database, in the middle of the publish's transaction."""

    def __init__(self, app):
        self.engine = app.extensions["db_engine"]
        self.refused = 0
        event.listen(self.engine, "before_cursor_execute", self._rewrite, retval=True)

    def _rewrite(self, conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("UPDATE published_catalogs SET") and "mo=" in statement.replace(" ", ""):
            self.refused += 1
            statement = statement.replace("UPDATE published_catalogs", "UPDATE published_catalogs_unwritable", 1)
        return statement, parameters

    def stop(self):
        event.remove(self.engine, "before_cursor_execute", self._rewrite)


def behind(work, code: str = "es") -> bool:
    with work.session() as session:
        return gate.is_behind(session, code)


def published(work, code: str = "es") -> tuple[int, bytes, str]:
    with work.session() as session:
        row = session.get(PublishedCatalog, code)
        return row.version, row.mo, row.reviewed_json


def flashed(client, response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return html_of(client, response.headers["Location"])


@pytest.fixture
def family(app):
    return app.test_client()


# --- The decision stands, and says the publish failed ---------------------------------------------

def test_an_approval_whose_publish_fails_is_kept_and_the_reviewer_is_told(app, people, rita, monkeypatch):
    people.translate("es", HOW_WELL, "Qué tan bien funciona", author="tina")
    people.publish("es")
    before = published(people)
    failing = Failing(monkeypatch)
    html = flashed(rita, approve(rita, HOW_WELL))
    assert failing.calls == 1
    assert (f"Approved. Publishing failed: {DISK_FULL}. Families still see the previous text. "
            "It will publish on the next attempt.") in html
    assert "Approved and published" not in html and "Nothing was recorded" not in html
    [approval] = rows(people, Approval)
    assert approval.revoked_at is None and approval.translation_json == '["Qué tan bien funciona"]'
    assert published(people) == before and served_text(app, HOW_WELL) is None
    assert behind(people)
    # The message left the queue (it is approved), and its page says so.
    assert review_url(HOW_WELL) not in html_of(rita, "/review/es/")


def test_a_revocation_whose_publish_fails_is_kept_and_says_families_may_still_see_the_text(
        app, people, rita, rob, monkeypatch):
    people.translate("es", HOW_WELL, "Qué tan bien funciona", author="tina")
    assert approve(rita, HOW_WELL).status_code == 302
    [approval] = rows(people, Approval)
    Failing(monkeypatch)
    html = flashed(rob, revoke(rob, HOW_WELL, approval.id, "La frase suena rara."))
    assert (f"Revoked. Publishing failed: {DISK_FULL}. Families may still see the revoked text until it "
            "publishes; it will publish on the next attempt.") in html
    [revoked] = rows(people, Approval)
    assert revoked.revoked_at is not None and revoked.revoke_reason == "La frase suena rara."
    assert served_text(app, HOW_WELL) == "Qué tan bien funciona"  # truthfully: still served
    assert behind(people)


def test_the_domain_keeps_approvals_when_the_database_refuses_the_publish(app, people):
    """approve (one, and --all), revoke: each decision is committed before its publish; a database
    error in the publish's write is rolled back and reported, never as "nothing was approved"."""
    people.translate("es", HOW_WELL, "Qué tan bien funciona", author="tina")
    people.translate("es", CHEMO, "Medicamentos que su hijo puede recibir", author="tina")
    refused = RefusedWrite(app)
    try:
        outcome = people.approve("es", HOW_WELL, "rita")
        assert outcome.approved == [HOW_WELL] and outcome.report is None
        assert outcome.publish_error.startswith("the database reported an error (")
        with people.session() as session:
            outcome = operations.approve_messages(session, "es", find_user(session, "rita"), approve_all=True)
        assert CHEMO in outcome.approved and outcome.report is None and outcome.publish_error
        with people.session() as session:
            [how_well] = [a for a in session.query(Approval) if a.msgid == HOW_WELL]
            outcome = operations.revoke_approval(session, "es", how_well.id, find_user(session, "rob"), "Mal.")
        assert outcome.report is None and outcome.publish_error
        assert refused.refused == 3
    finally:
        refused.stop()
    assert {(a.msgid, a.revoked_at is None) for a in rows(people, Approval)} >= {(HOW_WELL, False), (CHEMO, True)}
    assert served_text(app, CHEMO) is None and behind(people)
    # The next approval publishes everything recorded so far.
    people.translate("es", HOW_WELL, "Cómo de bien funciona", author="tina")
    outcome = people.approve("es", HOW_WELL, "rita")
    assert outcome.publish_error is None and outcome.report is not None
    assert served_text(app, CHEMO) == "Medicamentos que su hijo puede recibir"
    assert served_text(app, HOW_WELL) == "Cómo de bien funciona"
    assert not behind(people)


def test_a_rejection_does_not_publish(people, rita, monkeypatch):
    people.translate("es", HOW_WELL, "Qué tan bien funciona", author="tina")
    failing = Failing(monkeypatch, times=None)
    html = flashed(rita, reject(rita, HOW_WELL, "Use 'qué tan bien'."))
    assert "Rejected. The translator sees your reason" in html and failing.calls == 0
    assert not behind(people)


# --- Behind, on the dashboard ---------------------------------------------------------------------

BEHIND = ("Served catalog is behind its approvals:</strong> publishing failed or is pending. "
          "Run <code>flask translate publish</code> or approve again.")


def dashboard_status(client, code: str = "es") -> str:
    html = html_of(client, "/review/")
    row = html.split(f"({code})", 1)[1].split("</tr>", 1)[0]
    return row.rsplit("<td>", 1)[1]


def test_the_dashboard_shows_a_locale_whose_catalog_is_behind(app, people, rita, monkeypatch):
    people.translate("es", HOW_WELL, "Qué tan bien funciona", author="tina")
    people.publish("es")
    assert dashboard_status(rita).startswith("Up to date")
    Failing(monkeypatch)
    approve(rita, HOW_WELL)
    assert BEHIND in dashboard_status(rita)
    assert dashboard_status(rita, "vi").startswith("Up to date")
    people.publish("es")
    assert dashboard_status(rita).startswith("Up to date")


# --- Retried: on the next family request, and by `flask translate publish` ------------------------

def test_the_next_family_request_publishes_a_locale_that_is_behind(app, people, rita, family, monkeypatch):
    people.translate("es", HOW_WELL, "Qué tan bien funciona", author="tina")
    assert "Qué tan bien funciona" not in html_of(family, PAGE)  # published on demand, then cached
    failing = Failing(monkeypatch)
    approve(rita, HOW_WELL)
    assert behind(people) and failing.calls == 1
    assert "Qué tan bien funciona" in html_of(family, PAGE)  # the very next family request
    assert failing.calls == 2 and not behind(people)
    assert served_text(app, HOW_WELL) == "Qué tan bien funciona"
    version = published(people)[0]
    html_of(family, PAGE)
    assert failing.calls == 2 and published(people)[0] == version  # up to date: no more publishing


def test_a_publish_that_keeps_failing_never_breaks_family_pages_nor_runs_on_every_request(
        app, people, rita, family, monkeypatch, caplog):
    people.translate("es", HOW_WELL, "Qué tan bien funciona", author="tina")
    people.translate("es", CHEMO, "Medicamentos que su hijo puede recibir", author="tina")
    assert approve(rita, CHEMO).status_code == 302  # published: families read it
    failing = Failing(monkeypatch, times=None)
    approve(rita, HOW_WELL)
    assert failing.calls == 1 and behind(people)
    for attempt in range(3):
        response = family.get(PAGE)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert "Medicamentos que su hijo puede recibir" in html and "Qué tan bien funciona" not in html
    assert failing.calls == 2  # one try on demand; then none for PUBLISH_RETRY_SECONDS
    assert "could not publish es on demand" in caplog.text
    app.config["PUBLISH_RETRY_SECONDS"] = 0  # as if the time had passed
    assert family.get(PAGE).status_code == 200 and failing.calls == 3
    assert behind(people)


def test_flask_translate_publish_publishes_a_locale_that_is_behind_and_says_so(app, people, rita, monkeypatch):
    people.translate("es", HOW_WELL, "Qué tan bien funciona", author="tina")
    people.publish("es")
    Failing(monkeypatch)
    approve(rita, HOW_WELL)
    assert behind(people)
    result = app.test_cli_runner().invoke(args=["translate", "publish"])
    assert result.exit_code == 0, result.output
    assert "es: was behind its approvals (a publish had failed or not run yet); families now read them." \
        in result.output
    assert "vi: was behind" not in result.output
    assert served_text(app, HOW_WELL) == "Qué tan bien funciona" and not behind(people)
    again = app.test_cli_runner().invoke(args=["translate", "publish", "es"])
    assert again.exit_code == 0 and "was behind" not in again.output


def test_flask_translate_publish_reports_a_failure_and_publishes_the_other_locales(app, people, monkeypatch):
    failing = Failing(monkeypatch)  # the first locale published fails
    result = app.test_cli_runner().invoke(args=["translate", "publish", "es", "vi"])
    assert result.exit_code == 1
    assert f"es: publishing failed: {DISK_FULL}. Families still see the previous catalog." in result.output
    assert "vi: " in result.output and "version 1," in result.output
    assert "Publishing failed for es" in result.output and failing.calls == 2


def test_flask_review_approve_keeps_the_approvals_and_says_the_publish_failed(app, people, monkeypatch):
    people.translate("es", HOW_WELL, "Qué tan bien funciona", author="tina")
    Failing(monkeypatch)
    result = app.test_cli_runner().invoke(args=["review", "approve", "es", "--reviewer", "rita", "--all"])
    assert result.exit_code == 1
    assert "Approved 1 message(s) for es as rita." in result.output
    assert f"Publishing es failed: {DISK_FULL}. The approvals are recorded" in result.output
    assert [a.msgid for a in rows(people, Approval)] == [HOW_WELL] and behind(people)


# --- The served catalog and its review dates: one row, replaced together --------------------------

@pytest.mark.parametrize("failure", ["build", "database"])
def test_a_failed_publish_keeps_the_old_catalog_and_its_dates_and_a_later_one_replaces_both(
        app, people, monkeypatch, failure):
    people.translate("es", HOW_WELL, "Qué tan bien funciona", author="tina")
    people.approve("es", HOW_WELL, "rita")
    old_version, old_mo, old_dates = published(people)
    assert HOW_WELL in json.loads(old_dates)
    people.translate("es", CHEMO, "Medicamentos que su hijo puede recibir", author="tina")
    decided = {}
    real_decide = gate.decide

    def decide(*args, **kwargs):  # the new dates are computed, and then the publish fails
        served, report = real_decide(*args, **kwargs)
        decided.update(report.reviewed)
        return served, report

    monkeypatch.setattr(gate, "decide", decide)
    if failure == "build":
        Failing(monkeypatch)
        outcome = people.approve("es", CHEMO, "rita")
    else:
        refused = RefusedWrite(app)
        try:
            outcome = people.approve("es", CHEMO, "rita")
        finally:
            refused.stop()
    assert outcome.publish_error and CHEMO in decided
    assert published(people) == (old_version, old_mo, old_dates)  # both old: the catalog and its dates

    report = people.publish("es")
    version, mo, dates = published(people)
    assert version == report.version > old_version and mo != old_mo
    assert set(json.loads(dates)) == {HOW_WELL, CHEMO}  # both new, together
    with people.session() as session:
        assert units.find(session, "es", CHEMO)[0].state == "approved"
    assert served_text(app, CHEMO) == "Medicamentos que su hijo puede recibir"


def test_the_admin_publish_page_reports_a_failure_and_publishes_the_other_locales(app, people, monkeypatch):
    """Before: one locale's failure was a 500 and the locales after it were not published."""
    from tests.conftest import csrf_token, signed_in

    Failing(monkeypatch, times=1)
    admin = signed_in(app, "ada")
    response = admin.post("/admin/publish", data={"csrf_token": csrf_token(admin, "/admin/publish")})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Publishing failed for 1 language." in html and DISK_FULL in html
    with app.extensions["db"]() as session:
        published = {row.locale for row in session.query(PublishedCatalog)}
    assert len(published) >= 3  # every locale after the failed one was still published


def test_a_fresh_install_whose_publish_on_demand_fails_serves_english_with_the_notice(app, people, family,
                                                                                    monkeypatch, caplog):
    """Nothing was ever published in Spanish and the publish a family's request starts fails (a full
    disk): the family still reads the page, in English, marked as English, with the notice that
    parts are not yet reviewed in Spanish; never a 500 and never an unreviewed text."""
    people.translate("es", HOW_WELL, "Qué tan bien funciona", author="tina")
    failing = Failing(monkeypatch, times=None)
    with people.session() as session:
        assert session.get(PublishedCatalog, "es") is None
    response = family.get(PAGE)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert failing.calls == 1 and "could not publish es on demand" in caplog.text
    assert "Qué tan bien funciona" not in html
    assert re.search(r'<h3 id="[^"]+" lang="en" dir="ltr">\s*' + re.escape(HOW_WELL), html), "the English block, marked"
    assert re.search(r'<p class="notice" role="note">\s*<span lang="en" dir="ltr">\d+ parts of this page are not yet '
                     r'reviewed', html)
