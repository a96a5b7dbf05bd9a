"""Families' "Was this page clear?": the form on every page, what is kept (and what never is), the
protections of a form that has no session (origin, signed field, limits), and who reads the answers."""
from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from sqlalchemy import event, func, select

from portal.families.export import export_static
from portal.feedback import guard, operations
from portal.feedback.models import FamilyFeedback, FeedbackLimit
from portal.locales import LOCALES
from portal.people import access
from tests.conftest import close_app, csrf_token, english, make_app, person, signed_in
from tests.test_static_export import portal

SLUGS_OF = "content"
ADDRESS = "198.51.100.7"


def slugs(app) -> list[str]:
    return list(app.extensions["content"])


def form_of(client, url: str) -> dict:
    """The form on a family page, as a browser reads it: where it posts and its hidden field."""
    page = client.get(url).get_data(as_text=True)
    action = re.search(r'<form method="post" action="([^"]+)"', page)
    token = re.search(r'<input type="hidden" name="token" value="([^"]+)"', page)
    assert action and token, f"no feedback form on {url}"
    return {"action": html.unescape(action.group(1)), "token": html.unescape(token.group(1))}


def send(client, url="/es/treatment", choice="partly", text="", address=ADDRESS, headers=None, **fields):
    """Send the form of the page at ``url`` as a browser on that page would (same-origin)."""
    form = form_of(client, url)
    data = {"token": form["token"], "choice": choice, "text": text, **fields}
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(form["action"], data=data, environ_base={"REMOTE_ADDR": address},
                       headers={"Sec-Fetch-Site": "same-origin", **(headers or {})})


def rows(app) -> list[FamilyFeedback]:
    with app.extensions["db"]() as session:
        found = list(session.scalars(select(FamilyFeedback).order_by(FamilyFeedback.id)))
        session.expunge_all()
        return found


def limit_rows(app) -> int:
    with app.extensions["db"]() as session:
        return session.scalar(select(func.count()).select_from(FeedbackLimit))


# --- The form on every page ------------------------------------------------------------------

def test_every_content_page_and_the_glossary_has_the_form_in_every_language(app, client):
    for loc in LOCALES:
        for slug in slugs(app):
            url = f"/{loc.tag}/{slug}"
            form = form_of(client, url)
            assert form["action"] == f"{url}/feedback"
            assert guard.token_matches(app.secret_key, form["token"], loc.code, slug), url
            page = client.get(url).get_data(as_text=True)
            assert 'maxlength="1000"' in page and page.count('type="radio" name="choice"') == 3
            assert "<script" not in page  # no JavaScript
    assert "feedback" not in client.get("/es/").get_data(as_text=True)  # the list of pages asks nothing


def test_the_pages_stay_cacheable_the_same_for_every_reader(app):
    first, second = app.test_client(), app.test_client()
    a, b = first.get("/ar/glossary"), second.get("/ar/glossary")
    assert a.status_code == b.status_code == 200
    assert a.headers["ETag"] == b.headers["ETag"] and a.data == b.data
    send(first, "/ar/glossary", choice="no", text="ما معنى هذا؟")
    c = second.get("/ar/glossary")
    assert c.headers["ETag"] == a.headers["ETag"] and c.data == a.data  # an answer changes no page
    for response in (a, b, c):
        assert "Set-Cookie" not in response.headers and "Cookie" not in response.headers.get("Vary", "")
        assert response.headers["Cache-Control"].startswith("public")


# --- Sending an answer -----------------------------------------------------------------------

def test_an_answer_is_kept_once_with_its_page_language_and_words_and_no_address(app, client):
    response = send(client, "/vi/outlook", choice="no", text="Tôi không hiểu  \r\nphần này. ")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store" and "Set-Cookie" not in response.headers
    body = response.get_data(as_text=True)
    assert f"<h1>{english('Thank you')}</h1>" in body and 'href="/vi/outlook"' in body and '<html lang="vi"' in body
    [row] = rows(app)
    assert (row.locale, row.page, row.choice, row.text) == ("vi", "outlook", "no", "Tôi không hiểu  \nphần này.")
    assert row.handled_at is None and row.handled_by_id is None
    with app.extensions["db"]() as session:
        [key] = session.scalars(select(FeedbackLimit.address_key)).all()
    kept = " ".join(str(value) for value in vars(row).values()) + key
    assert ADDRESS not in kept and "198.51.100" not in kept
    assert key == operations.address_key(app.secret_key, ADDRESS) != operations.address_key("another", ADDRESS)


def test_the_text_is_optional(app, client):
    assert send(client, "/es/tests", choice="yes", text=None).status_code == 200
    assert [(r.locale, r.page, r.choice, r.text) for r in rows(app)] == [("es", "tests", "yes", "")]


def test_a_text_too_long_is_refused_with_what_was_written_and_nothing_is_kept(app, client):
    long_text = "x" * 1001
    response = send(client, "/es/treatment", text=long_text)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "What you wrote is too long. Make it shorter, then send it again." in body
    assert f">{long_text}</textarea>" in body and 'aria-invalid="true"' in body
    assert 'value="partly" required checked' in body  # the choice made is kept too
    assert rows(app) == [] and limit_rows(app) == 0


def test_the_length_is_the_domains_rule_and_a_line_break_counts_once(app):
    with app.extensions["db"]() as session:
        with pytest.raises(operations.TextTooLong):
            operations.submit(session, "es", "tests", "yes", "é" * 1001, ADDRESS, "k")
        # 1000 characters as a browser counts them (maxlength), sent with CRLF: 1001 bytes of line.
        kept = operations.submit(session, "es", "tests", "yes", "a" * 499 + "\r\n" + "b" * 500, ADDRESS, "k")
        assert len(kept.text) == 1000


def test_no_choice_asks_again_and_keeps_nothing(app, client):
    response = send(client, "/zh-Hans/infections", choice=None, text="看不懂")
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "Choose one answer, then send it again." in body and ">看不懂</textarea>" in body
    assert rows(app) == []


@pytest.mark.parametrize("choice", ["maybe", "YES", "", "yes\x00"])
def test_a_choice_not_offered_is_refused(app, client, choice):
    assert send(client, choice=choice).status_code == 400
    assert rows(app) == [] and limit_rows(app) == 0


def test_a_nul_character_is_refused_with_a_message(app, client):
    response = send(client, text="a\x00b")
    assert response.status_code == 400 and "NUL" in response.get_data(as_text=True)
    assert rows(app) == []


@pytest.mark.parametrize("url", ["/es/no-such-page/feedback", "/xx/treatment/feedback", "/es/treatment/feedback/x"])
def test_an_unknown_page_or_language_is_a_404(app, client, url):
    token = form_of(client, "/es/treatment")["token"]
    response = client.post(url, data={"token": token, "choice": "yes"}, headers={"Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 404
    assert rows(app) == []


def test_the_form_takes_only_post(client):
    assert client.get("/es/treatment/feedback").status_code == 405


# --- Cross-site requests and the signed field ------------------------------------------------

@pytest.mark.parametrize("headers", [
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},
    {"Sec-Fetch-Site": "cross-site", "Origin": "http://localhost"},  # the browser's word wins
    {"Sec-Fetch-Site": "", "Origin": "https://evil.example"},
    {"Origin": "null"},
    {"Origin": "http://localhost.evil.example"},
    {"Origin": "http://localhost:8080"},
    {"Referer": "https://evil.example/es/treatment"},
], ids=["cross-site", "same-site", "fetch-site-wins", "origin", "null-origin", "lookalike", "other-port", "referer"])
def test_a_cross_site_post_is_refused_and_nothing_is_kept(app, client, headers):
    form = form_of(client, "/es/treatment")
    response = client.post(form["action"], data={"token": form["token"], "choice": "no"}, headers=headers)
    assert response.status_code == 403
    body = response.get_data(as_text=True)
    assert "This form could not be sent" in body and "load it again" in body
    assert response.headers["Cache-Control"] == "no-store"
    assert rows(app) == [] and limit_rows(app) == 0


@pytest.mark.parametrize("headers", [
    {"Sec-Fetch-Site": "same-origin"},
    {"Sec-Fetch-Site": "none"},
    {"Origin": "http://localhost"},
    {"Origin": "http://LOCALHOST:80"},
    {"Referer": "http://localhost/es/treatment"},
    {},  # no browser sends a POST without any of them: a script, which could read the page anyway
])
def test_a_same_origin_post_is_taken(app, client, headers):
    form = form_of(client, "/es/treatment")
    response = client.post(form["action"], data={"token": form["token"], "choice": "no"}, headers=headers)
    assert response.status_code == 200
    assert len(rows(app)) == 1


def test_the_origin_check_reads_the_host_the_request_was_sent_to():
    assert guard.request_origin_problem(None, "https://portal.example.org", None, "portal.example.org", "http") is None
    assert guard.request_origin_problem(None, "https://portal.example.org:443", None, "portal.example.org",
                                        "https") is None
    assert guard.request_origin_problem(None, "https://portal.example.org", None, "evil.example", "https")
    assert guard.request_origin_problem(None, "javascript:alert(1)", None, "portal.example.org")
    assert guard.request_origin_problem(None, None, "not a url", "portal.example.org")
    # A host that merely ends with this one, or a subdomain of it, is another site.
    assert guard.request_origin_problem(None, "https://evilportal.example.org", None, "portal.example.org", "https")
    assert guard.request_origin_problem(None, None, "https://x.portal.example.org/es/tests", "portal.example.org")


def other_token(app, locale, slug):
    return guard.form_token(app.secret_key, locale, slug)


@pytest.mark.parametrize("token", [
    None, "", "garbage", "es/treatment", "es/treatment.AAAAAAAAAAAAAAAAAAAAAAAAAAA",
    lambda app: guard.form_token("another secret", "es", "treatment"),
    lambda app: other_token(app, "es", "outlook"),  # another page's form
    lambda app: other_token(app, "ar", "treatment"),  # another language's form
    "x" * 5000,
], ids=["missing", "empty", "garbage", "unsigned", "forged", "other-secret", "other-page", "other-language", "huge"])
def test_a_missing_forged_or_foreign_token_is_refused_and_nothing_is_kept(app, client, token):
    data = {"choice": "yes", "text": "ok"}
    if token is not None:
        data["token"] = token(app) if callable(token) else token
    response = client.post("/es/treatment/feedback", data=data, headers={"Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 400
    assert "This form could not be sent" in response.get_data(as_text=True)
    assert rows(app) == [] and limit_rows(app) == 0


def test_only_the_feedback_route_is_exempt_from_the_session_csrf_check(app, people):
    assert access.csrf._exempt_views == {"portal.feedback.views.feedback"}
    assert not access.csrf._exempt_blueprints
    client = signed_in(app, "rita")
    assert client.post("/logout", data={}).status_code == 400  # staff forms still need their token


# --- Limits ------------------------------------------------------------------------------------

def test_an_address_is_limited_and_other_addresses_are_not(app, client):
    for _ in range(operations.PER_ADDRESS):
        assert send(client, address="203.0.113.1").status_code == 200
    response = send(client, "/es/outlook", address="203.0.113.1")  # any page: the address is limited
    assert response.status_code == 429 and response.headers["Retry-After"] == "600"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Please try again later" in response.get_data(as_text=True)
    assert len(rows(app)) == operations.PER_ADDRESS
    assert send(client, address="203.0.113.2").status_code == 200
    assert send(client, address="2001:db8::1").status_code == 200
    assert len(rows(app)) == operations.PER_ADDRESS + 2


def test_a_page_in_a_language_has_a_cap_per_hour_whatever_the_addresses(app, client):
    app.config["FEEDBACK_PER_PAGE"] = 3
    for n in range(3):
        assert send(client, "/es/treatment", address=f"203.0.113.{n + 10}").status_code == 200
    assert send(client, "/es/treatment", address="203.0.113.99").status_code == 429
    assert send(client, "/ar/treatment", address="203.0.113.99").status_code == 200  # another language
    assert send(client, "/es/tests", address="203.0.113.99").status_code == 200  # another page


def test_the_limit_ends_with_its_window_and_old_counts_are_deleted(app):
    start = dt.datetime(2026, 1, 1, 12, 0)
    with app.extensions["db"]() as session:
        for _ in range(operations.PER_ADDRESS):
            operations.submit(session, "es", "tests", "yes", "", ADDRESS, "k", now=start)
        with pytest.raises(operations.TooMany):
            operations.submit(session, "es", "tests", "yes", "", ADDRESS, "k", now=start + dt.timedelta(minutes=9))
        later = start + operations.ADDRESS_WINDOW + dt.timedelta(seconds=1)
        operations.submit(session, "es", "tests", "yes", "", ADDRESS, "k", now=later)
        assert session.scalar(select(func.count()).select_from(FeedbackLimit)) == 1  # the old five are gone
        session.commit()


def test_the_page_cap_counts_the_whole_hour_not_only_the_address_window(app):
    """Answers about a page 30 minutes ago still count towards its cap of ``PAGE_WINDOW`` (an hour),
    though the per-address window (10 minutes) has passed; after the hour they no longer do."""
    start = dt.datetime(2026, 1, 1, 12, 0)
    limits = operations.Limits(per_page=2)
    with app.extensions["db"]() as session:
        for n in range(2):
            operations.submit(session, "es", "tests", "yes", "", f"203.0.113.{n}", "k", limits, now=start)
        with pytest.raises(operations.TooMany):
            operations.submit(session, "es", "tests", "yes", "", "203.0.113.9", "k", limits,
                              now=start + dt.timedelta(minutes=30))
        later = start + operations.PAGE_WINDOW + dt.timedelta(seconds=1)
        operations.submit(session, "es", "tests", "yes", "", "203.0.113.9", "k", limits, now=later)
        session.rollback()


def test_behind_a_trusted_proxy_the_clients_address_is_counted(tmp_path, empty_catalogs):
    app = make_app(tmp_path, empty_catalogs, TRUSTED_PROXIES=1)
    try:
        client = app.test_client()
        for _ in range(operations.PER_ADDRESS):
            assert send(client, headers={"X-Forwarded-For": "203.0.113.1"}, address="127.0.0.1").status_code == 200
        assert send(client, headers={"X-Forwarded-For": "203.0.113.1"}, address="127.0.0.1").status_code == 429
        # Another client behind the same proxy is not affected.
        assert send(client, headers={"X-Forwarded-For": "203.0.113.2"}, address="127.0.0.1").status_code == 200
    finally:
        close_app(app)


# --- Staff: who reads what ----------------------------------------------------------------------

@pytest.fixture
def answers(app, client, people):
    """A Spanish, an Arabic and an English answer, each with words only its readers may see."""
    person(people, "amal", [("reviewer", "ar")], display_name="Amal Aziz")
    send(client, "/es/treatment", choice="partly", text="No entiendo <b>la recaída</b>", address="203.0.113.1")
    send(client, "/ar/outlook", choice="no", text="لم أفهم هذه الصفحة", address="203.0.113.2")
    send(client, "/en/glossary", choice="partly", text="What is MRD?", address="203.0.113.3")
    return {r.locale: r.id for r in rows(app)}


def test_the_dashboard_shows_each_reviewer_only_the_languages_they_review(app, answers):
    rita = signed_in(app, "rita").get("/review/").get_data(as_text=True)
    assert "Spanish (es): 1 new answer" in rita
    assert "No entiendo &lt;b&gt;la recaída&lt;/b&gt;" in rita and "<b>la recaída</b>" not in rita
    assert 'dir="auto"' in rita
    assert "لم أفهم" not in rita and "What is MRD?" not in rita and "Arabic (ar):" not in rita
    amal = signed_in(app, "amal").get("/review/").get_data(as_text=True)
    assert "لم أفهم هذه الصفحة" in amal and "No entiendo" not in amal
    ada = signed_in(app, "ada").get("/review/").get_data(as_text=True)  # admin, no role: English only
    assert "What is MRD?" in ada and "No entiendo" not in ada and "لم أفهم" not in ada


def test_the_queue_shows_the_languages_answers_by_page(app, answers):
    rita = signed_in(app, "rita")
    queue = rita.get("/review/es/").get_data(as_text=True)
    assert 'What families said (1 new)' in queue
    assert 'About <a href="/es/treatment">Treatment for relapsed ALL</a> (1)' in queue
    assert "No entiendo &lt;b&gt;la recaída&lt;/b&gt;" in queue and "لم أفهم" not in queue
    assert rita.get("/review/ar/").status_code == 403


def test_a_message_page_shows_the_answers_about_the_page_it_is_on(app, answers):
    from portal.translation.identity import message_id

    rita = signed_in(app, "rita")
    mid = message_id(("", "Treatment for relapsed ALL", ""))  # the treatment page's title
    page = rita.get(f"/review/es/m/{mid}").get_data(as_text=True)
    assert "What families said about this page" in page and "No entiendo &lt;b&gt;" in page


def test_a_reviewer_marks_an_answer_handled(app, answers):
    rita = signed_in(app, "rita")
    token = csrf_token(rita, "/account")
    response = rita.post(f"/review/es/feedback/{answers['es']}/handled", data={"csrf_token": token, "back": "queue"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/review/es/#feedback")
    [handled] = [r for r in rows(app) if r.locale == "es"]
    assert handled.handled_at is not None and handled.handled_by_id == people_id(app, "rita")
    queue = rita.get("/review/es/").get_data(as_text=True)
    assert "What families said (0 new)" in queue and "No entiendo" not in queue
    everything = rita.get("/review/es/?feedback=all").get_data(as_text=True)
    assert "No entiendo" in everything and "Handled by Rita Reyes" in everything
    again = rita.post(f"/review/es/feedback/{answers['es']}/handled", data={"csrf_token": token})
    assert again.status_code == 302  # already handled: kept as it was
    assert [r for r in rows(app) if r.locale == "es"][0].handled_at == handled.handled_at


def people_id(app, username):
    from portal.people.accounts import find_user

    with app.extensions["db"]() as session:
        return find_user(session, username).id


def test_marking_handled_needs_the_csrf_token(app, answers):
    rita = signed_in(app, "rita")
    assert rita.post(f"/review/es/feedback/{answers['es']}/handled", data={}).status_code == 400
    assert all(r.handled_at is None for r in rows(app))


def test_a_spanish_reviewer_can_neither_see_nor_handle_arabic_answers(app, answers):
    rita = signed_in(app, "rita")
    token = csrf_token(rita, "/account")
    assert rita.post(f"/review/ar/feedback/{answers['ar']}/handled", data={"csrf_token": token}).status_code == 403
    # Through her own language's address, the Arabic answer does not exist.
    assert rita.post(f"/review/es/feedback/{answers['ar']}/handled", data={"csrf_token": token}).status_code == 404
    assert rita.post(f"/review/en/feedback/{answers['en']}/handled", data={"csrf_token": token}).status_code == 403
    assert rita.post("/review/xx/feedback/1/handled", data={"csrf_token": token}).status_code == 404
    assert all(r.handled_at is None for r in rows(app))
    ada = signed_in(app, "ada")  # an admin without the Arabic role
    ada_token = csrf_token(ada, "/account")
    assert ada.post(f"/review/ar/feedback/{answers['ar']}/handled", data={"csrf_token": ada_token}).status_code == 403
    assert ada.post(f"/review/en/feedback/{answers['en']}/handled",
                    data={"csrf_token": ada_token}).status_code == 302  # English: admins
    tina = signed_in(app, "tina")  # a Spanish translator
    assert tina.post(f"/review/es/feedback/{answers['es']}/handled",
                     data={"csrf_token": csrf_token(tina, "/account")}).status_code == 403
    assert [r.locale for r in rows(app) if r.handled_at] == ["en"]


def test_staff_pages_that_show_answers_do_not_write_them(app, answers):
    from portal.translation.identity import message_id

    writes = []

    def watch(conn, cursor, statement, parameters, context, executemany):
        text = statement.lower()
        if ("family_feedback" in text or "feedback_limits" in text) and not text.lstrip().startswith("select"):
            writes.append(statement)

    engine = app.extensions["db_engine"]
    rita, ada = signed_in(app, "rita"), signed_in(app, "ada")
    event.listen(engine, "before_cursor_execute", watch)
    try:
        mid = message_id(("", "Treatment for relapsed ALL", ""))
        for client, url in ((rita, "/review/"), (rita, "/review/es/"), (rita, "/review/es/?feedback=all"),
                            (rita, f"/review/es/m/{mid}"), (ada, "/review/")):
            assert client.get(url).status_code == 200, url
    finally:
        event.remove(engine, "before_cursor_execute", watch)
    assert writes == []


# --- The static export --------------------------------------------------------------------------

def test_the_static_export_leaves_the_form_out_and_nothing_else(shipped_app, tmp_path):
    """A static host cannot take the form: the export's pages are the portal's, rendered without it
    (and without the search form), and nothing else differs."""
    client = shipped_app.test_client(use_cookies=False)
    target = tmp_path / "export"
    export_static(shipped_app, target, "https://portal.example.org")
    for tag in ("es", "ar"):
        portal_page = client.get(f"/{tag}/treatment").data
        exported = (target / tag / "treatment.html").read_bytes()
        assert b"page-feedback" in portal_page and b"/feedback" in portal_page
        assert b"<form" not in exported and b"feedback" not in exported
        assert exported == portal(shipped_app, f"/{tag}/treatment").data
        assert len(portal_page) - len(exported) > 500
