"""The medical review queue (issue 6), through the browser as reviewers, translators and families use it.

What waits for review and in which order; what a reviewer sees of one message; approving exactly
the text read (and publishing it at once); rejecting and revoking with a reason; four eyes; who
may do what in which language; the dashboard; and the date families read under a page.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import re
from types import SimpleNamespace

import polib
import pytest
from babel.dates import format_date
from sqlalchemy import select, update

from portal import create_app
from portal.models import Approval, Edit, Rejection, Unit, utcnow
from portal.paths import Paths
from portal.people.accounts import find_user
from portal.translation import units
from portal.translation.catalogs import load_po
from portal.translation.identity import entry_fingerprint, fingerprint, message_id
from portal.translation.template import reviewed_keys
from tests.conftest import Workflow, add_role, csrf_token, person, served_mo, signed_in

# Medical messages that appear on one page only (content/treatment.md), and are plain text:
# no links, numbers or kept terms, so a natural translation raises no check warning.
HOW_WELL = "How well it works"
CHEMO = "Chemotherapy and other medicines your child may get"
NEWER = "Newer kinds of treatment"
RISKS = "Risks of strong treatment"
NOT_WORKING = "If treatment is not working"
REMISSION = "Step 1: Getting back into remission"  # mentions the glossary term "Remission"
TITLE = "Treatment for relapsed ALL"  # "ALL" must stay as written (content/terms.yml)
INTERFACE = "Skip to main content"  # site text (from base.html): reviewed like content
PAGE = "/es/treatment"
OTHER_PAGE = "/es/tests"
OUTSIDE = "unknown (edited outside the portal)"


# --- People and clients: `people`, `rita`, `rob`, `tina` (tests/conftest.py) -------------------

# --- Messages, pages and forms --------------------------------------------------------------------

def mid_of(msgid: str, msgctxt: str = "", msgid_plural: str = "") -> str:
    return message_id((msgctxt, msgid, msgid_plural))


def review_url(msgid: str, code: str = "es") -> str:
    return f"/review/{code}/m/{mid_of(msgid)}"


def page_seen(client, url: str) -> str:
    """The fingerprint of the text the review page shows (its forms' hidden "seen" field)."""
    html = client.get(url).get_data(as_text=True)
    match = re.search(r'name="seen" type="hidden" value="([0-9a-f]{64})"', html)
    assert match, f"no approve or reject form on {url}"
    return match.group(1)


def approve(client, msgid: str, seen: str | None = None, note: str = "", code: str = "es"):
    url = review_url(msgid, code)
    seen = seen or page_seen(client, url)
    return client.post(f"{url}/approve", data={"csrf_token": csrf_token(client, url), "seen": seen, "note": note})


def reject(client, msgid: str, reason: str, seen: str | None = None, code: str = "es"):
    url = review_url(msgid, code)
    seen = seen or page_seen(client, url)
    return client.post(f"{url}/reject", data={"csrf_token": csrf_token(client, url), "seen": seen,
                                             "reason": reason})


def revoke(client, msgid: str, approval_id: int, reason: str, code: str = "es"):
    url = review_url(msgid, code)
    return client.post(f"{url}/revoke/{approval_id}", data={"csrf_token": csrf_token(client, url),
                                                           "reason": reason})


def save_text(client, msgid: str, text: str, code: str = "es"):
    """Save a translation from the translator's message page, as the browser does."""
    url = f"/translate/{code}/m/{mid_of(msgid)}"
    page = client.get(url).get_data(as_text=True)
    base = re.search(r'name="base" value="([0-9a-f]+)"', page).group(1)
    response = client.post(url, data={"csrf_token": csrf_token(client, url), "base": base, "form0": text})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def upload_po(client, data: bytes):
    """Upload a .po and apply its preview, as the translator's browser does."""
    url = "/translate/es/upload"
    response = client.post(url, data={"csrf_token": csrf_token(client, url),
                                      "file": (io.BytesIO(data), "messages.po")},
                           content_type="multipart/form-data")
    assert response.status_code == 200, response.get_data(as_text=True)
    html = response.get_data(as_text=True)
    token = re.search(r'/translate/es/upload/([0-9a-f]+)"', html).group(1)
    digest = re.search(r'name="digest" value="([0-9a-f]+)"', html).group(1)
    applied = client.post(f"{url}/{token}", data={"csrf_token": csrf_token(client, url), "digest": digest,
                                                   "mode": "translations"})
    assert applied.status_code == 302


def html_of(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status
    return response.get_data(as_text=True)


def queue_ids(client, show: str | None = None, code: str = "es", page: int | None = None) -> list[str]:
    """The message ids the queue lists, in the order shown."""
    query = "&".join(f"{k}={v}" for k, v in (("show", show), ("page", page)) if v)
    html = html_of(client, f"/review/{code}/" + (f"?{query}" if query else ""))
    return re.findall(rf'<a href="/review/{code}/m/([0-9a-f]{{16}})[?"]', html)  # links keep the filter and page


def queue_counts(client, code: str = "es") -> dict[str, int]:
    """The counts the queue's filter links show: "all" and one per filter."""
    html = html_of(client, f"/review/{code}/")
    counts = {"all": int(re.search(r"All waiting \((\d+)\)", html).group(1))}
    counts.update({name: int(n) for name, n in re.findall(r'\?show=(\w+)"[^>]*>[^<]*\((\d+)\)</a>', html)})
    return counts


def section(html: str, start: str, end: str) -> str:
    """The part of a page between two headings."""
    return html.split(start, 1)[1].split(end, 1)[0]


# --- The database -----------------------------------------------------------------------------------

def rows(work, model, **where) -> list[SimpleNamespace]:
    """Every row of a table (filtered by column values), as plain objects."""
    with work.session() as session:
        query = select(model).where(*(getattr(model, k) == v for k, v in where.items())).order_by(model.id)
        return [SimpleNamespace(**{c.name: getattr(r, c.name) for c in model.__table__.columns})
                for r in session.scalars(query)]


def standing_of(work, msgid: str, code: str = "es") -> list[SimpleNamespace]:
    """The approvals of a message that still stand."""
    return [a for a in rows(work, Approval, msgid=msgid, locale=code) if a.revoked_at is None]


def user_id(work, username: str) -> int:
    with work.session() as session:
        return find_user(session, username).id


def set_edit_time(work, msgid: str, *whens: dt.datetime, code: str = "es") -> None:
    """Pretend a message's saved versions were saved at ``whens`` (in the order they were saved;
    one time: every version); and its unit's text last changed when the newest version that
    changed it was saved (``Unit.changed_at``, what the queue waits from), as a save sets it."""
    with work.session() as session:
        edits = list(session.scalars(select(Edit).where(Edit.locale == code, Edit.msgid == msgid)
                                     .order_by(Edit.id)))
        assert len(whens) in (1, len(edits)), f"{len(edits)} saved versions of {msgid!r}"
        for edit, when in zip(edits, whens * len(edits) if len(whens) == 1 else whens):
            edit.created_at = when
        changed = [e for e in edits if e.replaced_json is None or json.loads(e.replaced_json) != e.forms]
        # A plain UPDATE: the unit's revision (what an open editor holds) stays as it is.
        session.execute(update(Unit).where(Unit.locale == code, Unit.msgid == msgid, Unit.obsolete.is_(False))
                        .values(changed_at=(changed or edits)[-1].created_at))
        session.commit()


def days_ago(days: float) -> dt.datetime:
    return utcnow() - dt.timedelta(days=days)


def served_text(app, msgid: str, code: str = "es") -> str | None:
    """What the published catalog serves for a message (None: English)."""
    found = served_mo(app, code).find(msgid)
    return found.msgstr if found else None


# === 1. The queue ===================================================================================

def test_queue_lists_exactly_the_reviewed_texts_without_an_approval(app, people, rita):
    people.translate("es", HOW_WELL, "Qué tan bien funciona", author="tina")  # waiting
    people.translate("es", CHEMO, "Medicamentos que su hijo puede recibir", author="tina", fuzzy=True)
    people.translate("es", RISKS, "Riesgos del tratamiento fuerte", author="tina")
    people.approve("es", RISKS, "rob")  # approved: not waiting
    people.translate("es", NOT_WORKING, "Si el tratamiento no funciona", author="tom")
    with people.session() as session:  # rejected: still waiting (for a new text)
        entry = people.entry("es", NOT_WORKING)
        session.add(Rejection(locale="es", mid=mid_of(NOT_WORKING), fingerprint=entry_fingerprint(entry),
                              msgctxt="", msgid=NOT_WORKING, msgid_plural="",
                              translation_json='["Si el tratamiento no funciona"]',
                              reviewer_id=user_id(people, "rob"), reason="Más claro, por favor."))
        session.flush()
        units.refresh_states(session, "es")  # as rules.reject does
        session.commit()
    assert people.unit("es", NOT_WORKING).state == "rejected"
    people.translate("es", INTERFACE, "Saltar al contenido principal", author="tina")  # site text: waiting
    # NEWER stays untranslated.
    listed = queue_ids(rita)
    assert sorted(listed) == sorted([mid_of(HOW_WELL), mid_of(NOT_WORKING), mid_of(INTERFACE)])
    assert queue_counts(rita)["all"] == 3
    html = html_of(rita, "/review/es/")
    assert html.count(">Site text</span>") == 1 and html.count(">Medical</span>") == 2


def test_queue_includes_text_edited_outside_the_portal(people, rita):
    people.translate("es", HOW_WELL, "Qué tan bien funciona")  # straight into the file, no author
    assert queue_ids(rita) == [mid_of(HOW_WELL)]
    html = html_of(rita, "/review/es/")
    assert f"written by {OUTSIDE}" in html


def test_queue_is_oldest_first_by_the_latest_edit_of_the_current_text(people, rita):
    people.translate("es", HOW_WELL, "Qué tan bien funciona", author="tina")
    people.translate("es", CHEMO, "Medicamentos que su hijo puede recibir", author="tina")
    people.translate("es", NEWER, "Tipos de tratamiento más nuevos", author="tina")
    set_edit_time(people, HOW_WELL, days_ago(1))
    set_edit_time(people, CHEMO, days_ago(3))
    set_edit_time(people, NEWER, days_ago(2))
    assert queue_ids(rita) == [mid_of(CHEMO), mid_of(NEWER), mid_of(HOW_WELL)]
    # A new text of the oldest message waits from its own save, not from the first version's.
    people.translate("es", CHEMO, "Medicamentos de quimioterapia que su hijo puede recibir", author="tina")
    assert queue_ids(rita) == [mid_of(NEWER), mid_of(HOW_WELL), mid_of(CHEMO)]


def test_a_text_saved_again_waits_from_its_latest_save(people, rita):
    people.translate("es", HOW_WELL, "Qué tan bien funciona", author="tina")
    people.translate("es", CHEMO, "Medicamentos que su hijo puede recibir", author="tina")
    people.translate("es", CHEMO, "Medicamentos de quimioterapia", author="tom")
    people.translate("es", CHEMO, "Medicamentos que su hijo puede recibir", author="tina")  # the first text again
    latest = days_ago(1)
    set_edit_time(people, HOW_WELL, days_ago(2))
    set_edit_time(people, CHEMO, days_ago(5), days_ago(4), latest)
    assert queue_ids(rita) == [mid_of(HOW_WELL), mid_of(CHEMO)]
    html = html_of(rita, "/review/es/")
    assert f"Waiting 1 day (since {latest:%Y-%m-%d %H:%M} UTC)" in html


def test_queue_pages_hold_fifty_messages(app, people, rita):
    with people.session() as session:  # 51 texts imported at once from a file edited outside the portal
        reviewed = session.scalars(units.live("es").where(Unit.kind.is_not(None), Unit.msgid_plural == ""))
        chosen = [u for u in reviewed if "](" not in u.msgid and not re.search(r"\d", u.msgid)][:51]
        units.apply_changes(session, "es", [units.Change(u.mid, ["Traducción de prueba: " + u.msgid], None)
                                            for u in chosen], None, app.extensions["terms"], origin="import",
                            check=False)
        session.commit()
    assert len(chosen) == 51
    first, second = queue_ids(rita, page=1), queue_ids(rita, page=2)
    assert len(first) == 50 and len(second) == 1
    assert set(first) | set(second) == {mid_of(e.msgid) for e in chosen}
    assert "page 1 of 2" in html_of(rita, "/review/es/")


def test_queue_counts_and_filters_match_each_kind(people, rita, rob):
    people.translate("es", HOW_WELL, "Qué tan bien funciona", author="tina")  # new
    people.translate("es", CHEMO, "Medicamentos que su niño puede recibir", author="tina")
    assert approve(rob, CHEMO).status_code == 302
    people.translate("es", CHEMO, "Medicamentos que su hijo puede recibir", author="tina")  # changed
    people.translate("es", TITLE, "Tratamiento de la leucemia que volvió", author="tina")  # new, warning
    people.translate("es", NEWER, "Tipos de tratamiento más nuevos", author="tom")
    assert reject(rob, NEWER, "Use 'nuevos tipos'.").status_code == 302  # new, rejected
    expected = {"new": {HOW_WELL, TITLE, NEWER}, "changed": {CHEMO}, "source_changed": set(),
                "warnings": {TITLE}, "rejected": {NEWER}}
    counts = queue_counts(rita)
    assert counts == {"all": 4, **{name: len(msgids) for name, msgids in expected.items()}}
    for name, msgids in expected.items():
        assert sorted(queue_ids(rita, show=name)) == sorted(mid_of(m) for m in msgids), name


def test_changed_message_shows_the_previous_approved_text_and_a_diff(people, rita, rob):
    people.translate("es", CHEMO, "Medicamentos que su niño puede recibir", author="tina")
    assert approve(rob, CHEMO).status_code == 302
    people.translate("es", CHEMO, "Medicamentos que su hijo puede recibir", author="tina")
    html = html_of(rita, review_url(CHEMO))
    assert "Changed since its last approval" in html
    previous = section(html, "Compared with the last approved translation", "Your decision")
    assert "Approved by Rob Romero" in previous
    assert "Medicamentos que su niño puede recibir" in previous
    assert '<del><span class="visually-hidden">removed: </span>niño</del>' in previous
    assert '<ins><span class="visually-hidden">added: </span>hijo</ins>' in previous


def test_source_change_is_its_own_kind_and_shows_the_old_english(app, people, rita, rob, tina):
    new_english = "How well the treatment works"
    people.translate("es", HOW_WELL, "Qué tan bien funciona", author="tina")
    assert approve(rob, HOW_WELL).status_code == 302  # approved for the old English
    people.change_template(lambda template: setattr(template.find(HOW_WELL), "msgid", new_english))
    entry = people.entry("es", new_english)
    assert "fuzzy" in entry.flags and entry.previous_msgid == HOW_WELL  # the merge kept the old English
    save_text(tina, new_english, "Qué tan bien funciona el tratamiento")
    assert queue_ids(rita, show="source_changed") == [mid_of(new_english)]
    assert mid_of(new_english) not in queue_ids(rita, show="new")
    html = html_of(rita, review_url(new_english))
    english = section(html, ">English source</h2>", ">Translation to review</h2>")
    assert "The English changed" in english
    assert f'<p class="source" lang="en" dir="ltr">{HOW_WELL}</p>' in english
    assert "English source changed" in html
    previous = section(html, "Compared with the last approved translation", "Your decision")
    assert "Approved by Rob Romero" in previous and "for the earlier English" in previous
    assert "Qué tan bien funciona</p>" in previous


# === 2. What the review page shows ====================================================================

def test_review_page_shows_everything_needed_to_judge_the_text(people, rita):
    people.translate("es", REMISSION, "Paso 1: volver a la remisión.", author="tina")
    html = html_of(rita, review_url(REMISSION))
    assert f'<p class="source" lang="en" dir="ltr">{REMISSION}</p>' in html
    assert "Paso 1: volver a la remisión." in section(html, "Translation to review", "Compared with")
    assert "Written by Tina Torres." in html
    assert "ending punctuation differs from the source" in html  # the check warning
    glossary = section(html, "<h2>Glossary</h2>", "</dl>")
    assert '<dt lang="en">Remission</dt>' in glossary
    where = section(html, "<h2>Where it appears</h2>", "</ul>")
    assert '<a href="/es/treatment">Treatment for relapsed ALL</a>' in where
    assert "No earlier translation of this message was approved" in html


T_CELL = ("The sources of this guide list chemo after reinduction as a standard choice only for B-cell "
          "ALL. For T-cell ALL that came back in the bone marrow, the standard next step they list is a stem "
          "cell transplant. Chemo alone is not a standard choice for these children. Ask your child's "
          "doctor what this means for your child.")  # content/treatment.md, with a note for the reviewer


def test_review_page_shows_the_authors_note_for_the_medical_reviewer(people, rita):
    people.translate("es", T_CELL, "Las fuentes de esta guía dan la quimioterapia como opción estándar solo "
                     "para la LLA de células B. Para la LLA de células T que volvió en la médula ósea, el paso "
                     "estándar que dan es un trasplante de células madre. La quimioterapia sola no es una "
                     "opción estándar para estos niños. Pregunte al médico de su hijo qué significa esto "
                     "para su hijo.", author="tina")
    html = html_of(rita, review_url(T_CELL))
    shown = section(html, "For the medical reviewer to confirm", "Translation to review")
    assert "for T-cell ALL, a transplant is the standard next step and chemo alone is not. Please confirm." in shown
    assert "reviewer: " not in shown  # the marks of the .pot lines are not shown
    people.translate("es", HOW_WELL, "Qué tan bien funciona", author="tina")
    assert "For the medical reviewer to confirm" not in html_of(rita, review_url(HOW_WELL))


def test_review_page_says_when_the_author_is_unknown(people, rita):
    people.translate("es", HOW_WELL, "Qué tan bien funciona")  # edited outside the portal
    html = html_of(rita, review_url(HOW_WELL))
    assert f"Written by {OUTSIDE}." in html


def test_site_text_has_a_review_page_that_says_it_is_site_text(people, rita):
    people.translate("es", INTERFACE, "Saltar al contenido principal", author="tina")
    html = html_of(rita, review_url(INTERFACE))
    assert ">Site text</span>" in html and "Saltar al contenido principal" in html
    assert f'action="/review/es/m/{mid_of(INTERFACE)}/approve"' in html


def test_staff_only_strings_have_no_review_page(app, people, rita):
    people.mark_staff_only(INTERFACE)
    people.translate("es", INTERFACE, "Saltar al contenido principal", author="tina")
    assert rita.get(review_url(INTERFACE)).status_code == 404


# === 3. Approving binds to the text read =================================================================

def test_approving_a_text_that_changed_since_it_was_read_is_refused(app, people, rita, tina):
    people.translate("es", HOW_WELL, "Qué tan bien funciona", author="tom")
    seen = page_seen(rita, review_url(HOW_WELL))
    save_text(tina, HOW_WELL, "Cómo de bien funciona")
    response = approve(rita, HOW_WELL, seen=seen)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    read = section(html, "<h3>The text you read</h3>", "</div>")
    now = section(html, "<h3>The text now</h3>", "</div>")
    assert "Qué tan bien funciona" in read and "Cómo de bien funciona" in now
    assert rows(people, Approval) == []
    family = html_of(app.test_client(), PAGE)
    assert "Qué tan bien funciona" not in family and "Cómo de bien funciona" not in family
    assert HOW_WELL in family


def test_approval_records_the_exact_text_and_families_see_it_on_the_next_request(app, people, rita):
    people.translate("es", HOW_WELL, "Qué tan bien funciona", author="tina")
    family = app.test_client()
    assert "Qué tan bien funciona" not in html_of(family, PAGE)  # the served catalog is now cached
    seen = page_seen(rita, review_url(HOW_WELL))
    response = approve(rita, HOW_WELL, seen=seen, note="Clear and correct.")
    assert response.status_code == 302 and response.headers["Location"].endswith("/review/es/")
    [approval] = rows(people, Approval)
    assert approval.fingerprint == seen == entry_fingerprint(people.entry("es", HOW_WELL))
    assert approval.translation_json == '["Qué tan bien funciona"]'
    assert approval.reviewer_id == user_id(people, "rita") and approval.note == "Clear and correct."
    assert approval.author_id == user_id(people, "tina") and approval.author_known is True
    assert "Qué tan bien funciona" in html_of(family, PAGE)  # no separate publish step
    assert served_text(app, HOW_WELL) == "Qué tan bien funciona"
    assert mid_of(HOW_WELL) not in queue_ids(rita)


def test_approval_reaches_another_worker_sharing_the_folders(app, people, rita):
    people.translate("es", HOW_WELL, "Qué tan bien funciona", author="tina")
    other = create_app(dict(app.config))
    try:
        second = other.test_client()
        assert "Qué tan bien funciona" not in html_of(second, PAGE)  # cached before the approval
        assert approve(rita, HOW_WELL).status_code == 302
        assert "Qué tan bien funciona" in html_of(second, PAGE)
    finally:
        other.extensions["db_engine"].dispose()


def test_approving_twice_keeps_one_approval(people, rita, rob):
    people.translate("es", HOW_WELL, "Qué tan bien funciona", author="tina")
    seen = page_seen(rita, review_url(HOW_WELL))
    assert approve(rita, HOW_WELL, seen=seen).status_code == 302
    assert approve(rob, HOW_WELL, seen=seen).status_code == 302
    assert [a.reviewer_id for a in rows(people, Approval)] == [user_id(people, "rita")]


def test_fuzzy_text_cannot_be_approved(app, people, rita):
    people.translate("es", HOW_WELL, "Qué tan bien funciona", author="tina", fuzzy=True)
    html = html_of(rita, review_url(HOW_WELL))
    assert "You cannot approve this text: it is marked fuzzy" in html
    seen = entry_fingerprint(people.entry("es", HOW_WELL))
    token = csrf_token(rita, "/account")
    response = rita.post(f"{review_url(HOW_WELL)}/approve", data={"csrf_token": token, "seen": seen})
    assert response.status_code == 400 and "fuzzy" in response.get_data(as_text=True)
    assert rows(people, Approval) == []
    assert "Qué tan bien funciona" not in html_of(app.test_client(), PAGE)


# === 4. Rejecting ======================================================================================

@pytest.mark.parametrize("reason", ["", "   \n  "])
def test_rejecting_without_a_reason_is_refused(people, rita, reason):
    people.translate("es", HOW_WELL, "Qué tan bien funciona", author="tina")
    response = reject(rita, HOW_WELL, reason)
    assert response.status_code == 400
    assert "Give a reason: the translator reads it to fix the text." in response.get_data(as_text=True)
    assert rows(people, Rejection) == []
    assert queue_ids(rita, show="rejected") == []


def test_rejection_reaches_the_translator_and_a_new_text_waits_again(people, rita, tina):
    people.translate("es", HOW_WELL, "Qué tan bien funciona", author="tina")
    response = reject(rita, HOW_WELL, "Decir «Qué tan bien funciona el tratamiento».")
    assert response.status_code == 302
    [rejection] = rows(people, Rejection)
    assert rejection.reason == "Decir «Qué tan bien funciona el tratamiento»."
    assert rejection.fingerprint == entry_fingerprint(people.entry("es", HOW_WELL))
    assert rejection.reviewer_id == user_id(people, "rita")
    assert queue_ids(rita, show="rejected") == [mid_of(HOW_WELL)]
    listed = html_of(tina, "/translate/es/?state=rejected")
    assert f'href="/translate/es/m/{mid_of(HOW_WELL)}?state=rejected"' in listed  # the link keeps the filter
    assert "1 message match" in listed
    message = html_of(tina, f"/translate/es/m/{mid_of(HOW_WELL)}")
    assert "Rejected by Rita Reyes" in message and "Decir «Qué tan bien funciona el tratamiento»." in message
    save_text(tina, HOW_WELL, "Qué tan bien funciona el tratamiento")
    assert queue_ids(rita) == [mid_of(HOW_WELL)]
    assert queue_ids(rita, show="rejected") == []
    assert "0 messages match" in html_of(tina, "/translate/es/?state=rejected")
    assert f'href="/translate/es/m/{mid_of(HOW_WELL)}?state=awaiting"' in html_of(tina, "/translate/es/?state=awaiting")


def test_rejecting_a_text_that_changed_since_it_was_read_is_refused(people, rita, tina):
    people.translate("es", HOW_WELL, "Qué tan bien funciona", author="tom")
    seen = page_seen(rita, review_url(HOW_WELL))
    save_text(tina, HOW_WELL, "Cómo de bien funciona")
    response = reject(rita, HOW_WELL, "Demasiado literal.", seen=seen)
    assert response.status_code == 409
    assert "Cómo de bien funciona" in section(response.get_data(as_text=True), "<h3>The text now</h3>", "</div>")
    assert rows(people, Rejection) == []


def test_an_approved_text_is_revoked_not_rejected(people, rita):
    people.translate("es", HOW_WELL, "Qué tan bien funciona", author="tina")
    seen = page_seen(rita, review_url(HOW_WELL))
    assert approve(rita, HOW_WELL, seen=seen).status_code == 302
    response = reject(rita, HOW_WELL, "Cambié de opinión.", seen=seen)
    assert response.status_code == 400 and "revoke the approval" in response.get_data(as_text=True)
    assert rows(people, Rejection) == [] and len(standing_of(people, HOW_WELL)) == 1


# === 5. Four eyes =====================================================================================

def test_reviewer_cannot_approve_text_they_saved_in_the_workspace(app, people, rob):
    add_role(people, "rita", "translator", "es")
    both = signed_in(app, "rita")
    save_text(both, HOW_WELL, "Qué tan bien funciona")
    html = html_of(both, review_url(HOW_WELL))
    assert "You cannot approve this text: you wrote this text" in html
    seen = entry_fingerprint(people.entry("es", HOW_WELL))
    response = approve(both, HOW_WELL, seen=seen)
    assert response.status_code == 403
    assert "you wrote this text" in response.get_data(as_text=True)
    assert rows(people, Approval) == []
    assert approve(rob, HOW_WELL).status_code == 302
    [approval] = rows(people, Approval)
    assert approval.reviewer_id == user_id(people, "rob") and approval.author_id == user_id(people, "rita")


def test_reviewer_cannot_approve_text_they_uploaded(app, people, rob):
    add_role(people, "rita", "translator", "es")
    both = signed_in(app, "rita")
    po = polib.pofile(both.get("/translate/es/download").get_data(as_text=True))
    po.find(CHEMO).msgstr = "Medicamentos que su hijo puede recibir"
    upload_po(both, po.__unicode__().encode())
    assert people.entry("es", CHEMO).msgstr == "Medicamentos que su hijo puede recibir"
    seen = entry_fingerprint(people.entry("es", CHEMO))
    assert approve(both, CHEMO, seen=seen).status_code == 403
    assert rows(people, Approval) == []
    assert approve(rob, CHEMO).status_code == 302
    assert len(rows(people, Approval, reviewer_id=user_id(people, "rob"))) == 1


def test_text_edited_outside_the_portal_can_be_approved_and_the_trail_says_so(app, people, rita):
    people.translate("es", HOW_WELL, "Qué tan bien funciona")  # no author: edited in the file
    assert approve(rita, HOW_WELL).status_code == 302
    [approval] = rows(people, Approval)
    assert approval.author_known is False and approval.author_id is None
    html = html_of(rita, review_url(HOW_WELL))
    trail = section(html, "<h2>Review trail of this message</h2>", "<h2>Saved versions</h2>")
    assert "Approved" in trail and OUTSIDE in trail
    whole = html_of(rita, "/review/es/trail")
    row = section(whole, "<tbody>", "</tbody>")
    assert "Qué tan bien funciona" in row and OUTSIDE in row and "Rita Reyes" in row


# === 6. Only reviewers of that language ==================================================================

def test_reviewer_of_another_language_can_do_nothing_here(app, people, rob):
    people.translate("es", HOW_WELL, "Qué tan bien funciona", author="tina")
    people.translate("es", CHEMO, "Medicamentos que su hijo puede recibir", author="tina")
    assert approve(rob, CHEMO).status_code == 302
    [standing] = rows(people, Approval)
    vic = signed_in(app, "vic")
    token = csrf_token(vic, "/account")
    seen = entry_fingerprint(people.entry("es", HOW_WELL))
    url = review_url(HOW_WELL)
    assert vic.get(url).status_code == 403
    assert vic.get("/review/es/").status_code == 403
    assert vic.post(f"{url}/approve", data={"csrf_token": token, "seen": seen}).status_code == 403
    assert vic.post(f"{url}/reject", data={"csrf_token": token, "seen": seen, "reason": "No."}).status_code == 403
    assert vic.post(f"{review_url(CHEMO)}/revoke/{standing.id}",
                    data={"csrf_token": token, "reason": "No."}).status_code == 403
    assert [a.id for a in rows(people, Approval)] == [standing.id]
    assert rows(people, Approval)[0].revoked_at is None
    assert rows(people, Rejection) == []


def test_translator_cannot_review_their_own_language(app, people, tina):
    people.translate("es", HOW_WELL, "Qué tan bien funciona", author="tom")
    token = csrf_token(tina, f"/translate/es/m/{mid_of(HOW_WELL)}")
    seen = entry_fingerprint(people.entry("es", HOW_WELL))
    url = review_url(HOW_WELL)
    assert tina.get(url).status_code == 403
    assert tina.post(f"{url}/approve", data={"csrf_token": token, "seen": seen}).status_code == 403
    assert tina.post(f"{url}/reject", data={"csrf_token": token, "seen": seen, "reason": "No."}).status_code == 403
    assert rows(people, Approval) == [] and rows(people, Rejection) == []


def test_anonymous_visitors_are_sent_to_log_in(app, people):
    people.translate("es", HOW_WELL, "Qué tan bien funciona", author="tom")
    response = app.test_client().post(f"{review_url(HOW_WELL)}/approve", data={"seen": "x"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert rows(people, Approval) == []


# === 7. Revoking ==========================================================================================

def test_revoking_without_a_reason_is_refused(people, rita):
    people.translate("es", HOW_WELL, "Qué tan bien funciona", author="tina")
    assert approve(rita, HOW_WELL).status_code == 302
    [approval] = rows(people, Approval)
    for reason in ("", "   "):
        response = revoke(rita, HOW_WELL, approval.id, reason)
        assert response.status_code == 400
        assert "Give a reason for revoking" in response.get_data(as_text=True)
    assert [a.id for a in standing_of(people, HOW_WELL)] == [approval.id]


def test_revoking_serves_the_previous_approved_text_then_english(app, people, rita, rob):
    people.translate("es", HOW_WELL, "Qué tan bien funciona", author="tina")
    assert approve(rita, HOW_WELL).status_code == 302
    people.translate("es", HOW_WELL, "Cómo de bien funciona", author="tina")
    assert approve(rob, HOW_WELL).status_code == 302
    first, second = rows(people, Approval)
    family = app.test_client()
    assert "Cómo de bien funciona" in html_of(family, PAGE)

    with people.session() as session:  # the first approval was given on an earlier day
        session.get(Approval, first.id).created_at = dt.datetime(2025, 3, 4, 10, 0)
        session.commit()

    response = revoke(rob, HOW_WELL, second.id, "La frase suena rara.")
    assert response.status_code == 302
    revoked = rows(people, Approval, id=second.id)[0]
    assert revoked.revoked_at is not None and revoked.revoked_by_id == user_id(people, "rob")
    assert revoked.revoke_reason == "La frase suena rara."
    html = html_of(family, PAGE)  # the very next request
    assert "Qué tan bien funciona" in html and "Cómo de bien funciona" not in html
    assert "Translation last checked by a medical reviewer: 4 de marzo de 2025" in html  # the served text's

    assert revoke(rita, HOW_WELL, first.id, "Revisar de nuevo.").status_code == 302
    html = html_of(family, PAGE)
    assert "Qué tan bien funciona" not in html and HOW_WELL in html
    assert "A medical reviewer has not checked the translation of this page yet." in html
    assert served_text(app, HOW_WELL) is None


def test_revoking_twice_is_refused_clearly(people, rita):
    people.translate("es", HOW_WELL, "Qué tan bien funciona", author="tina")
    assert approve(rita, HOW_WELL).status_code == 302
    [approval] = rows(people, Approval)
    assert revoke(rita, HOW_WELL, approval.id, "Un error.").status_code == 302
    when = rows(people, Approval)[0].revoked_at
    response = revoke(rita, HOW_WELL, approval.id, "Otra vez.")
    assert response.status_code == 400
    assert "already revoked" in response.get_data(as_text=True)
    again = rows(people, Approval)[0]
    assert again.revoked_at == when and again.revoke_reason == "Un error."


def test_revoked_text_is_labelled_revoked_for_the_translator_with_the_reason(people, rita, tina):
    people.translate("es", HOW_WELL, "Qué tan bien funciona", author="tina")
    assert approve(rita, HOW_WELL).status_code == 302
    [approval] = rows(people, Approval)
    assert revoke(rita, HOW_WELL, approval.id, "Falta decir que es el tratamiento.").status_code == 302
    assert f'href="/translate/es/m/{mid_of(HOW_WELL)}?state=revoked"' in html_of(tina, "/translate/es/?state=revoked")
    assert f'href="/translate/es/m/{mid_of(HOW_WELL)}' not in html_of(tina, "/translate/es/?state=rejected")
    message = html_of(tina, f"/translate/es/m/{mid_of(HOW_WELL)}")
    assert "Approval revoked by Rita Reyes" in message and "Falta decir que es el tratamiento." in message
    assert queue_ids(rita, show="rejected") == [mid_of(HOW_WELL)]


# === 8. The dashboard ===================================================================================

def dashboard_row(html: str, name: str = "Spanish", code: str = "es") -> dict:
    match = re.search(rf"{re.escape(name)} \({code}\)(?:</a>)?</th>\s*<td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>"
                      rf"<td>(\d+)</td><td>(\d+)</td>\s*<td>([^<]*)</td>", html)
    assert match, f"no dashboard row for {code}"
    keys = ("approved", "awaiting", "rejected", "not_ready", "medical")
    return {**dict(zip(keys, map(int, match.groups()[:5]))), "oldest": match.group(6)}


def medical_total(app, code: str = "es") -> int:
    """How many messages of the template are reviewed (each has a unit in every locale)."""
    return len(reviewed_keys(load_po(Paths.from_config(app.config).template)))


def test_dashboard_counts_match_a_known_setup(app, people, rita, rob):
    people.translate("es", RISKS, "Riesgos del tratamiento fuerte", author="tina")
    assert approve(rob, RISKS).status_code == 302  # approved
    people.translate("es", HOW_WELL, "Qué tan bien funciona", author="tina")  # awaiting: saved 10 days ago,
    people.translate("es", HOW_WELL, "Qué tan bien funciona el tratamiento", author="tom")  # changed 2 days ago
    people.translate("es", CHEMO, "Medicamentos que su hijo puede recibir", author="tom")  # awaiting, now
    people.translate("es", NEWER, "Tipos de tratamiento más nuevos", author="tom")
    assert reject(rob, NEWER, "Use 'nuevos tipos'.").status_code == 302  # rejected
    people.translate("es", NOT_WORKING, "Si el tratamiento no funciona", author="tom", fuzzy=True)  # not ready
    people.translate("es", INTERFACE, "Saltar al contenido principal", author="tina")  # site text: awaiting, now
    oldest = days_ago(2) - dt.timedelta(hours=1)
    set_edit_time(people, HOW_WELL, days_ago(10), oldest)
    set_edit_time(people, NEWER, days_ago(6))  # rejected: waits for the translator, not a reviewer
    total = medical_total(app)
    row = dashboard_row(html_of(rita, "/review/"))
    assert row == {"approved": 1, "awaiting": 3, "rejected": 1, "not_ready": total - 5, "medical": total,
                   "oldest": f"2 days (since {oldest:%Y-%m-%d})"}
    assert dashboard_row(html_of(rita, "/review/"), "Vietnamese", "vi")["oldest"] == "nothing waiting"


def test_dashboard_is_for_reviewers_and_admins(app, people):
    assert signed_in(app, "tina").get("/review/").status_code == 403
    admin = signed_in(app, "ada")
    html = html_of(admin, "/review/")
    assert dashboard_row(html)["medical"] == medical_total(app)
    vic = signed_in(app, "vic")
    html = html_of(vic, "/review/")
    assert '<a href="/review/vi/">' in html and '<a href="/review/es/">' not in html


# === 9. What families read under a page ====================================================================

def set_approval_time(work, msgid: str, when: dt.datetime) -> None:
    with work.session() as session:
        for approval in session.scalars(select(Approval).where(Approval.msgid == msgid)):
            approval.created_at = when
        session.commit()


def test_page_shows_the_date_of_its_newest_approval(app, people, rita):
    people.translate("es", HOW_WELL, "Qué tan bien funciona", author="tina")
    people.translate("es", CHEMO, "Medicamentos que su hijo puede recibir", author="tina")
    family = app.test_client()
    html = html_of(family, PAGE)
    assert "A medical reviewer has not checked the translation of this page yet." in html
    assert "Translation last checked by a medical reviewer" not in html

    assert approve(rita, HOW_WELL).status_code == 302
    [approval] = rows(people, Approval)
    today = format_date(approval.created_at, "long", locale="es")
    html = html_of(family, PAGE)
    assert f"Translation last checked by a medical reviewer: {today}" in html
    assert "has not checked the translation of this page yet" not in html

    assert approve(rita, CHEMO).status_code == 302
    set_approval_time(people, HOW_WELL, dt.datetime(2025, 6, 10, 9, 30))
    set_approval_time(people, CHEMO, dt.datetime(2025, 3, 4, 9, 30))
    people.publish("es")
    html = html_of(family, PAGE)
    assert "Translation last checked by a medical reviewer: 10 de junio de 2025" in html
    # A page with nothing approved on it still says so; the English page says neither.
    assert "has not checked the translation of this page yet" in html_of(family, OTHER_PAGE)
    english = html_of(family, "/en/treatment")
    assert "medical reviewer" not in english


@pytest.fixture
def shipped(shipped_app):
    work = Workflow(shipped_app)
    person(work, "rita", [("reviewer", "es")], display_name="Rita Reyes")
    return work


def test_spanish_page_says_it_in_spanish(shipped_app, shipped):
    family = shipped_app.test_client()
    not_yet = "A medical reviewer has not checked the translation of this page yet."
    assert not_yet in html_of(family, PAGE)  # site text too waits for review: English until approved
    rita = signed_in(shipped_app, "rita")
    for notice in (not_yet, "Translation last checked by a medical reviewer: %(date)s"):
        assert approve(rita, notice).status_code == 302
    html = html_of(family, PAGE)
    assert "Un revisor médico todavía no ha revisado la traducción de esta página." in html
    draft = shipped.entry("es", HOW_WELL).msgstr
    assert draft and draft not in html  # drafts are not served before review
    assert approve(rita, HOW_WELL).status_code == 302
    approval = rows(shipped, Approval, msgid=HOW_WELL)[0]
    day = format_date(approval.created_at, "long", locale="es")
    html = html_of(family, PAGE)
    assert f"Traducción revisada por última vez por un revisor médico: {day}" in html
    assert draft in html


# === 10. Bad input ==========================================================================================

def test_unknown_message_is_not_found(people, rita):
    people.translate("es", HOW_WELL, "Qué tan bien funciona", author="tina")
    token = csrf_token(rita, review_url(HOW_WELL))
    seen = entry_fingerprint(people.entry("es", HOW_WELL))
    for action, extra in (("approve", {}), ("reject", {"reason": "No."})):
        response = rita.post(f"/review/es/m/0123456789abcdef/{action}",
                             data={"csrf_token": token, "seen": seen, **extra})
        assert response.status_code == 404
    assert rita.get("/review/es/m/0123456789abcdef").status_code == 404
    assert rows(people, Approval) == [] and rows(people, Rejection) == []


def test_staff_only_strings_cannot_be_approved_or_rejected(app, people, rita):
    people.mark_staff_only(INTERFACE)
    people.translate("es", INTERFACE, "Saltar al contenido principal", author="tom")
    token = csrf_token(rita, "/account")
    url = review_url(INTERFACE)
    seen = entry_fingerprint(people.entry("es", INTERFACE))
    assert rita.post(f"{url}/approve", data={"csrf_token": token, "seen": seen}).status_code == 404
    assert rita.post(f"{url}/reject", data={"csrf_token": token, "seen": seen, "reason": "No."}).status_code == 404
    assert rows(people, Approval) == [] and rows(people, Rejection) == []


def test_revoking_another_messages_approval_is_refused(app, people, rita):
    people.translate("es", HOW_WELL, "Qué tan bien funciona", author="tina")
    people.translate("es", CHEMO, "Medicamentos que su hijo puede recibir", author="tina")
    assert approve(rita, HOW_WELL).status_code == 302
    assert approve(rita, CHEMO).status_code == 302
    chemo = rows(people, Approval, msgid=CHEMO)[0]
    response = revoke(rita, HOW_WELL, chemo.id, "Equivocado.")
    assert response.status_code == 400
    assert "does not belong to this message" in response.get_data(as_text=True)
    assert len(standing_of(people, CHEMO)) == 1 and len(standing_of(people, HOW_WELL)) == 1
    assert served_text(app, CHEMO) == "Medicamentos que su hijo puede recibir"
    assert revoke(rita, HOW_WELL, 999999, "No existe.").status_code == 400
    assert len(standing_of(people, HOW_WELL)) == 1


def test_an_approval_in_another_language_cannot_be_revoked_from_here(app, people, rita):
    people.translate("vi", HOW_WELL, "Hiệu quả ra sao", author="tom")
    people.translate("es", HOW_WELL, "Qué tan bien funciona", author="tina")
    people.approve("vi", HOW_WELL, "vic")
    [vi_approval] = rows(people, Approval, locale="vi")
    response = revoke(rita, HOW_WELL, vi_approval.id, "No es de aquí.")
    assert response.status_code == 400
    assert rows(people, Approval, locale="vi")[0].revoked_at is None


def test_forms_without_a_csrf_token_are_refused(people, rita):
    people.translate("es", HOW_WELL, "Qué tan bien funciona", author="tina")
    people.translate("es", CHEMO, "Medicamentos que su hijo puede recibir", author="tina")
    assert approve(rita, CHEMO).status_code == 302
    [approval] = rows(people, Approval)
    url = review_url(HOW_WELL)
    seen = page_seen(rita, url)
    assert rita.post(f"{url}/approve", data={"seen": seen}).status_code == 400
    assert rita.post(f"{url}/reject", data={"seen": seen, "reason": "No."}).status_code == 400
    assert rita.post(f"{review_url(CHEMO)}/revoke/{approval.id}", data={"reason": "No."}).status_code == 400
    assert rita.post(f"{url}/approve", data={"csrf_token": "forged", "seen": seen}).status_code == 400
    assert [a.id for a in standing_of(people, CHEMO)] == [approval.id]
    assert rows(people, Approval, msgid=HOW_WELL) == [] and rows(people, Rejection) == []


def test_approve_without_the_seen_fingerprint_is_refused(people, rita):
    people.translate("es", HOW_WELL, "Qué tan bien funciona", author="tina")
    url = review_url(HOW_WELL)
    response = rita.post(f"{url}/approve", data={"csrf_token": csrf_token(rita, url)})
    assert response.status_code == 400
    assert rows(people, Approval) == []


# === 11. Blocking problems block approval everywhere ===============================================

def test_text_with_a_blocking_problem_cannot_be_approved_anywhere_and_is_never_served(app, people, rita, runner):
    """Before: a translation whose numbers differ from the English (edited in the file) could be
    approved on the web and by `flask review approve --all`, and the gate served it."""
    source = next(e.msgid for e in load_po(Paths.from_config(app.config).template) if "85 out of 100" in e.msgid)
    wrong = "1 a 2 de cada 1000 niños."
    people.translate("es", source, wrong)  # edited outside the portal: no save refused it
    html = html_of(rita, review_url(source))
    assert "Blocking problems (cannot be approved)" in html and "The English has 85, 100; your translation has 1, 2, 1000. Use the same numbers." in html
    assert f'action="{review_url(source)}/approve"' not in html
    response = approve(rita, source, seen=entry_fingerprint(people.entry("es", source)))
    assert response.status_code == 400 and "fails a blocking check" in response.get_data(as_text=True)
    result = runner.invoke(args=["review", "approve", "es", "--reviewer", "rita", "--all"])
    assert result.exit_code == 0 and "fails a blocking check" in result.output
    single = runner.invoke(args=["review", "approve", "es", "--reviewer", "rita", "--msgid", source])
    assert single.exit_code == 1 and "fails a blocking check" in single.output
    assert rows(people, Approval, msgid=source) == []
    # A forged approval of exactly that text still does not get it served.
    with people.session() as session:
        key = ("", source, "")
        session.add(Approval(locale="es", mid=mid_of(source), fingerprint=fingerprint(key, [wrong]), msgctxt="", msgid=source,
                             msgid_plural="", translation_json=json.dumps([wrong]),
                             reviewer_id=user_id(people, "rita")))
        session.commit()
    assert people.publish("es").blocked >= 1
    assert served_text(app, source) is None


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_the_domain_refuses_an_over_long_note_or_reason_whatever_sent_it(people, decision):
    """The 2000-character limit is the domain's (the form only repeats it): a caller that skips the
    form (the CLI, a script, a future API) is refused the same way, and nothing is recorded."""
    from portal.review import operations, rules

    people.translate("es", HOW_WELL, "Qué tan bien funciona", author="tina")
    with people.session() as session:
        unit = units.find(session, "es", HOW_WELL)[0]
        rita = find_user(session, "rita")
        for text, refused in (("x" * (rules.REASON_LIMIT + 1), True), ("x" * rules.REASON_LIMIT, False)):
            if refused:
                with pytest.raises(rules.ReviewError, match=f"under {rules.REASON_LIMIT} characters"):
                    operations.review_message(session, "es", unit.mid, rita, unit.fingerprint, decision, text)
                session.rollback()
                assert not session.scalars(select(Approval)).all() and not session.scalars(select(Rejection)).all()
            else:
                operations.review_message(session, "es", unit.mid, rita, unit.fingerprint, decision, text)
                record = session.scalars(select(Approval if decision == "approve" else Rejection)).one()
                assert len(record.note if decision == "approve" else record.reason) == rules.REASON_LIMIT
