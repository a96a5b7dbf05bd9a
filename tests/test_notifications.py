"""E-mail notifications (portal.notify) against a real SMTP server on 127.0.0.1 (aiosmtpd): a rejection
mails its translator once, as each chose; reviewers' daily digests list what waits in their own
languages; a failing server loses nothing and blocks no decision; the account page's choices."""
from __future__ import annotations

import datetime as dt
import email
import re
import socket
from email import policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from portal.db import utcnow
from portal.feedback.models import FamilyFeedback
from portal.notify.kinds import one_line
from portal.notify.models import DigestCursor, NotificationPreference, OutboxMessage
from portal.people import accounts
from portal.review.models import Rejection
from tests.conftest import close_app, csrf_token, make_app, person, signed_in

BASE = "https://portal.example.org"
SPANISH = "Tests when leukemia comes back"
OTHER = "How well it works"


class Collector:
    """An SMTP handler that keeps every message it is given: (envelope recipients, parsed message)."""

    def __init__(self):
        self.received: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content,
                                                                                 policy=policy.default)))
        return "250 Message accepted for delivery"

    def to(self, address: str):
        return [mail for rcpts, mail in self.received if address in rcpts]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp():
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    collector.port = controller.port
    yield collector
    controller.stop()


@pytest.fixture
def mail_app(tmp_path, empty_catalogs, smtp):
    """An app that sends through the test's SMTP server, with a public address for links."""
    app = make_app(tmp_path, empty_catalogs, MAIL_SERVER="127.0.0.1", PUBLIC_BASE_URL=BASE,
                   MAIL_DEFAULT_SENDER="portal@example.org", MAIL_TIMEOUT=5)
    app.config["MAIL_PORT"] = smtp.port  # after the build: the database is built once for every port
    yield app
    close_app(app)


def staff(app):
    """Tina translates Spanish, Rita and Rob review it, Vic reviews Vietnamese, Vera translates it; all
    with an address except Rob."""
    from tests.conftest import Workflow

    work = Workflow(app)
    for name, roles in (("tina", [("translator", "es")]), ("rita", [("reviewer", "es")]), ("rob", [("reviewer", "es")]),
                        ("vic", [("reviewer", "vi")]), ("vera", [("translator", "vi")])):
        person(work, name, roles, display_name=name.title())
        if name != "rob":
            with work.session() as session:
                accounts.set_email(session, accounts.find_user(session, name), f"{name}@example.org")
                session.commit()
    return work


def reject(app, client, locale: str, msgid: str, reason: str):
    unit = staff_unit(app, locale, msgid)
    url = f"/review/{locale}/m/{unit.mid}"
    return client.post(f"{url}/reject", data={"csrf_token": csrf_token(client, url), "seen": unit.fingerprint,
                                               "reason": reason})


def staff_unit(app, locale, msgid):
    from portal.translation import units

    with app.extensions["db"]() as session:
        return units.find(session, locale, msgid)[0]


def outbox(app) -> list[OutboxMessage]:
    with app.extensions["db"]() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def send_digests(app):
    result = app.test_cli_runner().invoke(args=["notify", "send-digests"])
    return result


def set_mode(app, username: str, kind: str, mode: str) -> None:
    with app.extensions["db"]() as session:
        user = accounts.find_user(session, username)
        session.add(NotificationPreference(user_id=user.id, kind=kind, mode=mode))
        session.commit()


# --- No mail server configured --------------------------------------------------------------------

def test_without_a_mail_server_nothing_is_queued_or_sent_and_the_staff_pages_say_so(app, smtp):
    work = staff(app)
    person(work, "ada", is_admin=True)
    work.translate("es", SPANISH, "Pruebas cuando vuelve la leucemia", author="tina")
    rita = signed_in(app, "rita")
    assert reject(app, rita, "es", SPANISH, "Use «recaída».").status_code == 302
    with app.extensions["db"]() as session:
        assert session.scalar(select(Rejection.reason)) == "Use «recaída»."  # the decision itself is kept
    assert outbox(app) == [] and smtp.received == []
    page = rita.get("/account").get_data(as_text=True)
    assert "E-mail is not set up on this portal, so no notifications are sent." in page
    people = signed_in(app, "ada").get("/admin/people").get_data(as_text=True)
    assert "E-mail is not set up on this portal, so nobody gets notifications" in people
    result = send_digests(app)
    assert result.exit_code == 0 and "E-mail is not configured" in result.output
    assert outbox(app) == [] and smtp.received == []


def test_with_a_mail_server_the_pages_do_not_say_mail_is_off(mail_app):
    staff(mail_app)
    assert "E-mail is not set up" not in signed_in(mail_app, "rita").get("/account").get_data(as_text=True)


# --- Rejections -----------------------------------------------------------------------------------

def test_a_rejection_mails_its_translator_once_by_default(mail_app, smtp):
    work = staff(mail_app)
    work.translate("es", SPANISH, "Pruebas cuando vuelve la leucemia", author="tina")
    rita = signed_in(mail_app, "rita")
    assert reject(mail_app, rita, "es", SPANISH, "Use «recaída», the word families know.").status_code == 302
    assert len(smtp.received) == 1
    rcpts, mail = smtp.received[0]
    assert rcpts == ["tina@example.org"]
    assert mail["Subject"] == 'Sent back (Spanish): "Pruebas cuando vuelve la leucemia"'
    assert mail["From"] == "portal@example.org" and mail.get_content_type() == "text/plain"
    body = mail.get_content()
    unit = staff_unit(mail_app, "es", SPANISH)
    assert "Rita read your Spanish text" in body and "Use «recaída», the word families know." in body
    assert f"{BASE}/translate/es/m/{unit.mid}" in body and "<" not in body
    [row] = outbox(mail_app)
    assert row.sent_at is not None and row.attempts == 0 and row.kind == "rejection"
    assert smtp.to("rita@example.org") == []  # not the reviewer who rejected
    send_digests(mail_app)  # nothing is sent twice
    assert len(smtp.to("tina@example.org")) == 1


def test_a_translator_who_chose_off_gets_no_mail(mail_app, smtp):
    work = staff(mail_app)
    set_mode(mail_app, "tina", "rejection", "off")
    work.translate("es", SPANISH, "Pruebas cuando vuelve la leucemia", author="tina")
    assert reject(mail_app, signed_in(mail_app, "rita"), "es", SPANISH, "Use «recaída».").status_code == 302
    assert smtp.received == [] and outbox(mail_app) == []


def test_a_translator_who_chose_daily_gets_the_rejection_in_the_digest(mail_app, smtp):
    work = staff(mail_app)
    set_mode(mail_app, "tina", "rejection", "daily")
    work.translate("es", SPANISH, "Pruebas cuando vuelve la leucemia", author="tina")
    assert reject(mail_app, signed_in(mail_app, "rita"), "es", SPANISH, "Use «recaída».").status_code == 302
    assert smtp.received == []
    assert send_digests(mail_app).exit_code == 0
    [mail] = smtp.to("tina@example.org")
    assert mail["Subject"].startswith("Portal digest") and "Use «recaída»." in mail.get_content()
    send_digests(mail_app)
    assert len(smtp.to("tina@example.org")) == 1


# --- Comments ----------------------------------------------------------------------------------

def comment(app, client, role_path: str, locale: str, msgid: str, body: str):
    unit = staff_unit(app, locale, msgid)
    url = f"/{role_path}/{locale}/m/{unit.mid}"
    return client.post(f"{url}/comments", data={"csrf_token": csrf_token(client, url), "body": body})


def test_a_comment_mails_the_writer_of_the_text_and_not_the_one_who_wrote_the_comment(mail_app, smtp):
    work = staff(mail_app)
    work.translate("es", SPANISH, "Pruebas cuando vuelve la leucemia", author="tina")
    rita = signed_in(mail_app, "rita")
    assert comment(mail_app, rita, "review", "es", SPANISH, "¿«Vuelve» o «regresa»?\nBcc: x@evil.example").status_code == 302
    assert len(smtp.received) == 1
    rcpts, mail = smtp.received[0]
    assert rcpts == ["tina@example.org"] and mail["Bcc"] is None
    assert mail["Subject"].startswith("Comment (Spanish) from Rita:")
    body = mail.get_content()
    unit = staff_unit(mail_app, "es", SPANISH)
    assert "Rita commented on a Spanish text you wrote." in body and "Bcc: x@evil.example" in body
    assert f"{BASE}/translate/es/m/{unit.mid}#comments" in body
    [row] = outbox(mail_app)
    assert row.kind == "comment" and row.sent_at is not None
    # Tina answers on her own text: nobody else wrote it, so nobody is mailed (not herself).
    tina = signed_in(mail_app, "tina")
    assert comment(mail_app, tina, "translate", "es", SPANISH, "«Vuelve», como en la página.").status_code == 302
    assert len(smtp.received) == 1 and len(outbox(mail_app)) == 1


def test_comment_notifications_follow_the_writers_choice(mail_app, smtp):
    work = staff(mail_app)
    work.translate("es", SPANISH, "Pruebas cuando vuelve la leucemia", author="tina")
    set_mode(mail_app, "tina", "comment", "off")
    assert comment(mail_app, signed_in(mail_app, "rita"), "review", "es", SPANISH, "Una duda").status_code == 302
    assert smtp.received == [] and outbox(mail_app) == []
    with mail_app.extensions["db"]() as session:
        row = session.scalars(select(NotificationPreference).where(NotificationPreference.kind == "comment")).one()
        row.mode = "daily"
        session.commit()
    assert comment(mail_app, signed_in(mail_app, "rita"), "review", "es", SPANISH, "Otra duda").status_code == 302
    assert smtp.received == []  # waits for the digest
    send_digests(mail_app)
    [mail] = smtp.to("tina@example.org")
    assert "Otra duda" in mail.get_content() and "Una duda" not in mail.get_content()


def test_a_comment_on_an_untranslated_message_mails_nobody(mail_app, smtp):
    staff(mail_app)
    assert comment(mail_app, signed_in(mail_app, "rita"), "review", "es", SPANISH, "Who takes this one?").status_code == 302
    assert smtp.received == [] and outbox(mail_app) == []


def test_header_injection_through_a_translation_or_a_reason_adds_no_header(mail_app, smtp):
    work = staff(mail_app)
    hostile = "Pruebas\r\nBcc: evil@example.net\r\nSubject: hacked"
    work.translate("es", SPANISH, hostile, author="tina")
    assert reject(mail_app, signed_in(mail_app, "rita"), "es", SPANISH,
                  "Bad.\r\nBcc: evil@example.net\n\nTo: other@example.net").status_code == 302
    [(rcpts, mail)] = smtp.received
    assert rcpts == ["tina@example.org"]
    assert mail["Bcc"] is None and mail.get_all("Subject") == [mail["Subject"]] and mail.get_all("To") == [
        "tina@example.org"]
    assert "\n" not in mail["Subject"] and "\r" not in mail["Subject"]
    assert mail["Subject"].startswith('Sent back (Spanish): "Pruebas Bcc: evil@example.net')
    assert "evil@example.net" in mail.get_content()  # kept as text in the body, where it is harmless


@pytest.mark.parametrize("text", ["a\nb", "a\r\nb", "a\u2028b", "a\x85b", "a\tb", "a\u202eb"])
def test_one_line_leaves_no_line_break_or_control_character(text):
    assert one_line(text) == "a b"
    assert not re.search(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202e]", one_line(text))


# --- Reviewers' daily digest ----------------------------------------------------------------------

def add_feedback(app, locale: str, text: str) -> None:
    with app.extensions["db"]() as session:
        session.add(FamilyFeedback(locale=locale, page="tests", choice="no", text=text, created_at=utcnow()))
        session.commit()


def test_a_reviewers_digest_lists_new_and_changed_texts_and_feedback_of_their_languages_only(mail_app, smtp):
    work = staff(mail_app)
    work.translate("es", SPANISH, "Pruebas cuando vuelve la leucemia", author="tina")
    work.translate("es", OTHER, "Qué tan bien funciona", author="tina")
    work.approve("es", OTHER, "rob")
    work.translate("es", OTHER, "Cuán bien funciona", author="tina")  # changed since its approval
    work.translate("vi", SPANISH, "Xét nghiệm khi bệnh bạch cầu quay lại", author="vera")
    add_feedback(mail_app, "es", "No entiendo la palabra recaída")
    add_feedback(mail_app, "vi", "Không rõ lắm")
    result = send_digests(mail_app)
    assert result.exit_code == 0, result.output
    [rita] = smtp.to("rita@example.org")
    body = rita.get_content()
    assert SPANISH in body and OTHER in body
    assert "1 new" in body and "1 changed since its last approval" in body
    assert "No entiendo la palabra recaída" in body and f"{BASE}/review/es/" in body
    assert "Vietnamese" not in body and "Không rõ lắm" not in body and "/review/vi/" not in body
    [vic] = smtp.to("vic@example.org")
    assert "Không rõ lắm" in vic.get_content() and "Spanish" not in vic.get_content()
    assert "No entiendo" not in vic.get_content()
    assert smtp.to("tina@example.org") == [] and smtp.to("rob@example.org") == []  # nothing; no address


def test_send_digests_twice_sends_each_digest_once_and_the_next_lists_only_what_is_new(mail_app, smtp):
    work = staff(mail_app)
    work.translate("es", SPANISH, "Pruebas cuando vuelve la leucemia", author="tina")
    first = send_digests(mail_app)
    assert "Digests queued: 1." in first.output, first.output
    again = send_digests(mail_app)
    assert again.exit_code == 0 and "Digests queued: 0." in again.output and "Mails sent: 0." in again.output
    assert len(smtp.to("rita@example.org")) == 1
    # A day later (the cursor as a day-old digest left it), only the text saved since is listed.
    work.translate("es", OTHER, "Qué tan bien funciona", author="tina")
    with mail_app.extensions["db"]() as session:
        from sqlalchemy import update

        from portal.translation.models import Unit

        cursor = session.get(DigestCursor, accounts.find_user(session, "rita").id)
        cursor.covered_until -= dt.timedelta(hours=21)
        # The first text was saved before that day-old digest.
        session.execute(update(Unit).where(Unit.msgid == SPANISH).values(
            changed_at=cursor.covered_until - dt.timedelta(hours=1)))
        session.commit()
    send_digests(mail_app)
    mails = smtp.to("rita@example.org")
    assert len(mails) == 2
    assert OTHER in mails[1].get_content() and SPANISH not in mails[1].get_content()


def test_a_digest_another_run_built_meanwhile_is_not_built_again(mail_app):
    """Two runs (two hosts) read Rita's cursor; the other one queues her digest and moves it first.
    This run's move of the cursor finds it moved (a compare-and-swap on it): nothing is queued twice."""
    from portal.notify import digests

    work = staff(mail_app)
    work.translate("es", SPANISH, "Pruebas cuando vuelve la leucemia", author="tina")
    assert "Digests queued: 1." in send_digests(mail_app).output
    with mail_app.extensions["db"]() as session:  # a day later, with a new text waiting
        session.get(DigestCursor, accounts.find_user(session, "rita").id).covered_until -= dt.timedelta(hours=21)
        session.commit()
    work.translate("es", OTHER, "Qué tan bien funciona", author="tina")
    now = utcnow()
    with mail_app.extensions["db"]() as mine, mail_app.extensions["db"]() as theirs:
        rita = accounts.find_user(mine, "rita")
        read = mine.get(DigestCursor, rita.id)  # this run has read the cursor (and holds it)
        assert read.covered_until < now - dt.timedelta(hours=20)
        assert digests.build_for(theirs, accounts.find_user(theirs, "rita"), now, 20.0) is True
        assert digests.build_for(mine, rita, now, 20.0) is None
    digests_of_rita = [m for m in outbox(mail_app) if m.kind == "digest" and m.to_address == "rita@example.org"]
    assert len(digests_of_rita) == 2  # yesterday's and the other run's


def test_a_reviewer_who_turned_the_digest_off_gets_none(mail_app, smtp):
    work = staff(mail_app)
    set_mode(mail_app, "rita", "waiting", "off")
    set_mode(mail_app, "rita", "feedback", "off")
    work.translate("es", SPANISH, "Pruebas cuando vuelve la leucemia", author="tina")
    add_feedback(mail_app, "es", "No entiendo")
    send_digests(mail_app)
    assert smtp.to("rita@example.org") == []


# --- A mail server that fails ---------------------------------------------------------------------

def test_a_failing_mail_server_never_breaks_a_decision_and_the_next_run_sends_the_message(mail_app, smtp):
    work = staff(mail_app)
    work.translate("es", SPANISH, "Pruebas cuando vuelve la leucemia", author="tina")
    mail_app.config["MAIL_PORT"] = free_port()  # nothing listens there
    rita = signed_in(mail_app, "rita")
    response = reject(mail_app, rita, "es", SPANISH, "Use «recaída».")
    assert response.status_code == 302
    with mail_app.extensions["db"]() as session:
        assert session.scalar(select(Rejection.reason)) == "Use «recaída»."
    assert staff_unit(mail_app, "es", SPANISH).state == "rejected"
    [row] = outbox(mail_app)
    assert row.sent_at is None and row.attempts == 1 and row.last_error and row.claimed_at is None
    failed = send_digests(mail_app)  # still down: kept, and the command says so
    assert failed.exit_code == 1 and "stay in the outbox" in failed.output
    assert outbox(mail_app)[0].attempts >= 2 and smtp.received == []
    mail_app.config["MAIL_PORT"] = smtp.port  # the server is back
    result = send_digests(mail_app)
    assert result.exit_code == 0, result.output
    assert len(smtp.to("tina@example.org")) == 1
    assert all(row.sent_at is not None for row in outbox(mail_app) if row.deliver == "each")
    send_digests(mail_app)
    assert len(smtp.to("tina@example.org")) == 1


# --- The account page -----------------------------------------------------------------------------

def saved(app, username):
    with app.extensions["db"]() as session:
        user = accounts.find_user(session, username)
        modes = {row.kind: row.mode for row in session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == user.id))}
        return user.email, modes


def test_the_account_page_shows_the_kinds_of_each_role_with_the_defaults(mail_app):
    staff(mail_app)
    tina = signed_in(mail_app, "tina").get("/account").get_data(as_text=True)
    assert "Comments on texts you wrote" in tina and "A reviewer sent back a text you wrote" in tina
    assert re.search(r'name="notify-rejection" value="each" checked', tina)
    assert "waiting for review" not in tina
    rita = signed_in(mail_app, "rita").get("/account").get_data(as_text=True)
    assert re.search(r'name="notify-waiting" value="daily" checked', rita)
    assert re.search(r'name="notify-feedback" value="daily" checked', rita)
    assert 'name="notify-waiting" value="each"' in rita and "notify-rejection" not in rita
    assert 'value="rita@example.org"' in rita


def test_saving_the_address_and_choices(mail_app):
    staff(mail_app)
    tina = signed_in(mail_app, "tina")
    response = tina.post("/account/notifications", data={
        "csrf_token": csrf_token(tina, "/account"), "email": "  tina.t@example.org ",
        "notify-rejection": "daily", "notify-comment": "off"})
    assert response.status_code == 302
    assert saved(mail_app, "tina") == ("tina.t@example.org", {"rejection": "daily", "comment": "off"})


@pytest.mark.parametrize("data, message", [
    ({"email": "tina@example.org", "notify-rejection": "hourly", "notify-comment": "each"}, "is not one of them"),
    ({"email": "tina@example.org", "notify-comment": "each"}, "Choose how you hear about"),
    ({"email": "tina@@example.org", "notify-rejection": "daily", "notify-comment": "each"}, "is not an e-mail address"),
    ({"email": "tina@example.org\r\nBcc: x@example.net", "notify-rejection": "daily", "notify-comment": "each"},
     "is not an e-mail address"),
])
def test_bad_choices_are_refused_with_a_message_and_change_nothing(mail_app, data, message):
    staff(mail_app)
    tina = signed_in(mail_app, "tina")
    before = saved(mail_app, "tina")
    response = tina.post("/account/notifications", data={"csrf_token": csrf_token(tina, "/account"), **data})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page and "Nothing was changed." in page and 'role="alert"' in page
    if "e-mail address" in message:
        assert 'aria-invalid="true"' in page and 'aria-describedby="email-hint email-error"' in page
    assert saved(mail_app, "tina") == before


def test_a_reviewer_who_chose_each_gets_one_mail_per_save_from_the_outbox_run_and_no_digest_section(mail_app, smtp):
    staff(mail_app)
    rita = signed_in(mail_app, "rita")
    response = rita.post("/account/notifications", data={"csrf_token": csrf_token(rita, "/account"),
                                                         "email": "rita@example.org", "notify-waiting": "each",
                                                         "notify-feedback": "daily"})
    assert response.status_code == 302 and saved(mail_app, "rita")[1]["waiting"] == "each"
    tina = signed_in(mail_app, "tina")
    unit = staff_unit(mail_app, "es", SPANISH)
    url = f"/translate/es/m/{unit.mid}"
    page = tina.get(url).get_data(as_text=True)
    base = re.search(r'name="base" value="(\d+)"', page).group(1)
    assert tina.post(url, data={"csrf_token": csrf_token(tina, url), "base": base,
                                "form0": "Pruebas cuando vuelve la leucemia"}).status_code == 302
    assert smtp.received == []  # never sent from the translator's request
    each = [row for row in outbox(mail_app) if row.kind == "waiting"]
    assert [(row.to_address, row.deliver) for row in each] == [("rita@example.org", "each")]  # not Rob (no address)
    assert send_digests(mail_app).exit_code == 0
    [mail] = [m for m in smtp.to("rita@example.org") if "waiting for review" in m["Subject"]]
    assert mail["Subject"] == "1 Spanish text waiting for review"
    body = mail.get_content()
    assert "Tina saved 1 Spanish text that waits for a medical review." in body
    assert SPANISH in body and "Pruebas cuando vuelve la leucemia" in body and f"{BASE}/review/es/m/{unit.mid}" in body
    # Her daily digest (feedback is still daily) does not list the text a second time.
    assert all("Texts waiting for your review" not in m.get_content() for m in smtp.to("rita@example.org"))
    assert smtp.to("tina@example.org") == []  # the writer is not told of her own save


def test_a_reviewer_who_chose_each_for_families_answers_gets_it_from_the_outbox_run_never_in_the_request(mail_app, smtp):
    staff(mail_app)
    set_mode(mail_app, "rita", "feedback", "each")
    family = mail_app.test_client()
    page = family.get("/es/treatment").get_data(as_text=True)
    token = re.search(r'name="token" value="([^"]+)"', page)
    form = {"choice": "no", "text": "No entiendo «recaída».\nBcc: x@evil.example"}
    if token:
        form["token"] = token.group(1)
    response = family.post("/es/treatment/feedback", data=form, headers={"Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert smtp.received == []  # the family's request never waits on a mail server
    [row] = [row for row in outbox(mail_app) if row.kind == "feedback"]
    assert row.to_address == "rita@example.org" and row.deliver == "each"  # Vic reviews Vietnamese: not told
    send_digests(mail_app)
    [mail] = [m for m in smtp.to("rita@example.org") if m["Subject"].startswith("Family answer")]
    assert mail["Subject"] == "Family answer (Spanish): Not clear"
    body = mail.get_content()
    assert mail["Bcc"] is None and "No entiendo «recaída»." in body
    assert 'A family reading "Treatment for relapsed ALL" in Spanish answered' in body
    assert all(not m["Subject"].startswith("Family answer") for m in smtp.to("vic@example.org"))


def test_the_form_needs_its_csrf_token(mail_app):
    staff(mail_app)
    tina = signed_in(mail_app, "tina")
    response = tina.post("/account/notifications", data={"email": "other@example.org", "notify-rejection": "off",
                                                         "notify-comment": "off"})
    assert response.status_code == 400
    assert saved(mail_app, "tina") == ("tina@example.org", {})


# --- Addresses ------------------------------------------------------------------------------------

@pytest.mark.parametrize("address", ["ana@example.org", "ana.garcia+portal@mail.example.co.uk", "A_B-c@ex-ample.org"])
def test_plain_addresses_are_accepted(address):
    assert accounts.check_email(f" {address} ") == address


@pytest.mark.parametrize("address", ["ana", "ana@", "@example.org", "ana@example", "ana@@example.org",
                                     "Ana <ana@example.org>", "ana@example.org, bob@example.org", "ana @example.org",
                                     "ana@example.org\nBcc: x@y.org", "ana..b@example.org", "ana@-example.org",
                                     "a" * 65 + "@example.org", "ana@" + "a" * 250 + ".org", "ana\u202e@example.org"])
def test_other_addresses_are_refused_saying_what_to_write(address):
    with pytest.raises(accounts.AccountError, match="Write one address, such as ana.garcia@example.org"):
        accounts.check_email(address)


def test_users_create_takes_an_email_and_refuses_a_bad_one(app):
    runner = app.test_cli_runner()
    bad = runner.invoke(args=["users", "create", "ana", "--email", "ana@", "--password", "long enough pw"])
    assert bad.exit_code == 1 and "is not an e-mail address" in bad.output
    with app.extensions["db"]() as session:
        assert accounts.find_user(session, "ana") is None
    good = runner.invoke(args=["users", "create", "ana", "--email", "ana@example.org", "--password", "long enough pw"])
    assert good.exit_code == 0, good.output
    with app.extensions["db"]() as session:
        assert accounts.find_user(session, "ana").email == "ana@example.org"
