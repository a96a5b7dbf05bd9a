"""Comments (portal.review.comments): a thread per message and language between its translators and
reviewers, on both message pages, plain text and escaped, kept in the trail and its export.

The migration that adds the table (0012) is tested with the others in tests/test_migrations.py.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pytest
from sqlalchemy import select

from portal.models import Comment
from portal.review import comments
from portal.translation.identity import message_id
from tests.conftest import add_role, csrf_token, login, person

TITLE = "Tests when leukemia comes back"
MID = message_id(("", TITLE, ""))
TRANSLATE = f"/translate/es/m/{MID}"
REVIEW = f"/review/es/m/{MID}"


@pytest.fixture
def team(app, people):
    """Spanish translators tina and tom, reviewers rita and rob (tests.conftest.people), and an Arabic
    translator; the title translated by tom, so the reviewers' page has something to review."""
    person(people, "ahmed", [("translator", "ar")], display_name="Ahmed Amin")
    people.translate("es", TITLE, "Pruebas cuando la leucemia regresa", author="tom")
    return people


def stored(work) -> list[tuple[str, str, str]]:
    with work.session() as session:
        return [(c.locale, c.mid, c.body) for c in session.scalars(select(Comment).order_by(Comment.id))]


def post(client, text, page=TRANSLATE, action=None, token=True):
    data = {"body": text}
    if token:
        data["csrf_token"] = csrf_token(client, page)
    return client.post(action or page + "/comments", data=data)


def thread_of(html: str) -> str:
    return html.split('id="comments-heading"', 1)[1].split("</section>", 1)[0]


def test_a_translators_comment_shows_on_both_pages_with_name_and_time(app, team, tina, rita):
    response = post(tina, "¿«Regresa» o «vuelve»?\nEn el glosario dice «recaída».")
    assert response.status_code == 302 and response.headers["Location"].endswith(TRANSLATE + "#comments")
    assert stored(team) == [("es", MID, "¿«Regresa» o «vuelve»?\nEn el glosario dice «recaída».")]
    for client, url in ((tina, TRANSLATE), (rita, REVIEW)):
        thread = thread_of(client.get(url).get_data(as_text=True))
        assert "<strong>Tina Torres</strong>" in thread
        assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ">\d{4}-\d\d-\d\d \d\d:\d\d UTC</time>',
                         thread)
        assert '<p class="comment-body" dir="auto">¿«Regresa» o «vuelve»?<br>En el glosario dice «recaída».</p>' \
            in thread


def test_a_reviewer_answers_from_the_review_page_and_the_translator_reads_it(app, team, tina, rita):
    post(tina, "Is «regresa» clear enough?")
    response = post(rita, "Yes, keep it.", page=REVIEW)
    assert response.status_code == 302 and response.headers["Location"].endswith(REVIEW + "#comments")
    thread = thread_of(tina.get(TRANSLATE).get_data(as_text=True))
    assert thread.index("Is «regresa» clear enough?") < thread.index("Yes, keep it.")  # oldest first
    assert "Rita Reyes" in thread


def test_comments_are_escaped_plain_text(app, team, tina, rita):
    post(tina, '<script>alert("x")</script> **not bold** [link](http://evil.example)\n<b>two</b>')
    for client, url in ((tina, TRANSLATE), (rita, REVIEW)):
        thread = thread_of(client.get(url).get_data(as_text=True))
        assert "<script>" not in thread and "<b>" not in thread and "<strong>not" not in thread
        assert ("&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; **not bold** [link](http://evil.example)<br>"
                "&lt;b&gt;two&lt;/b&gt;") in thread
        assert "<a href" not in thread


@pytest.mark.parametrize("who, url, status", [
    ("ahmed", TRANSLATE, 403),  # a translator of Arabic, on a Spanish message
    ("vic", REVIEW, 403),  # a reviewer of Vietnamese
    ("rita", TRANSLATE, 403),  # a reviewer posting through the translators' page
    ("tina", REVIEW, 403),  # a translator through the reviewers' page
])
def test_only_translators_and_reviewers_of_the_language_may_post(app, team, who, url, status):
    client = app.test_client()
    login(client, who)
    response = client.post(url + "/comments", data={"body": "Hola", "csrf_token": csrf_token(client, "/account")})
    assert response.status_code == status
    assert stored(team) == []


def test_a_spanish_translator_cannot_post_on_arabic(app, team, tina):
    response = tina.post(f"/translate/ar/m/{MID}/comments",
                         data={"body": "مرحبا", "csrf_token": csrf_token(tina, TRANSLATE)})
    assert response.status_code == 403
    assert stored(team) == []


def test_signed_out_posts_go_to_the_login(app, team):
    response = app.test_client().post(TRANSLATE + "/comments", data={"body": "Hola"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert stored(team) == []


def test_the_domain_checks_the_role_too(app, team):
    with team.session() as session:
        from portal.people.accounts import find_user
        from portal.translation import units

        unit = units.find(session, "ar", TITLE)[0]
        with pytest.raises(comments.NotAllowed):
            comments.post(session, unit, find_user(session, "tina"), "Hola")
        comments.post(session, unit, find_user(session, "ahmed"), "مرحبا")  # his language
        comments.post(session, unit, find_user(session, "ada"), "An admin may comment")


def test_a_post_without_its_csrf_token_is_refused(app, team, tina):
    response = post(tina, "Hola", token=False)
    assert response.status_code == 400
    assert stored(team) == []


def test_the_length_limit_is_the_domains(app, team):
    assert comments.clean_body("a" * comments.MAX_LENGTH) == "a" * comments.MAX_LENGTH
    assert comments.clean_body("a\r\n" * 1000) == ("a\n" * 1000).strip()  # line breaks count once
    with pytest.raises(comments.CommentError, match="2000 characters or fewer \\(it has 2001\\)"):
        comments.clean_body("a" * 2001)


@pytest.mark.parametrize("text, says", [
    ("x" * 2001, "Keep the comment to 2000 characters or fewer (it has 2001)."),
    ("", "Write a comment before posting it."),
    ("  \r\n\t ", "Write a comment before posting it."),
    ("Hola\x07", "control character U+0007, character 5"),
    ("abc\u202edcba", "RIGHT-TO-LEFT OVERRIDE"),
    ("zero\u200bwidth", "ZERO WIDTH SPACE"),
])
def test_a_refused_comment_says_why_at_the_field_keeps_the_text_and_saves_nothing(app, team, tina, rita, text, says):
    for client, page in ((tina, TRANSLATE), (rita, REVIEW)):
        response = post(client, text, page=page)
        assert response.status_code == 400
        body = response.get_data(as_text=True)
        thread = thread_of(body)
        error = re.search(r'<p class="field-error" id="comment-body-error">([^<]*)</p>', thread)
        assert error and says in error.group(1)
        textarea = re.search(r"<textarea id=\"comment-body\"[^>]*>", thread).group(0)
        assert 'aria-invalid="true"' in textarea
        assert 'aria-describedby="comment-body-hint comment-body-error"' in textarea
        assert 'role="alert"' in thread and 'href="#comment-body"' in thread
        if text.strip() and len(text) < 100:
            assert text.replace("\r\n", "\n").strip() in body  # what they typed is kept
    assert stored(team) == []


def test_direction_marks_typed_by_right_to_left_keyboards_are_kept(app, team):
    assert comments.clean_body("نعم \u200fOK\u200f") == "نعم \u200fOK\u200f"


def test_a_get_never_writes(app, team, tina, rita):
    tina.get(TRANSLATE)
    rita.get(REVIEW)
    tina.get(TRANSLATE + "/comments")  # no such page: only POST
    assert stored(team) == []


def export(runner, *args):
    result = runner.invoke(args=["review", "export", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_trail_and_its_export_keep_comments(app, team, tina, rita, runner):
    post(tina, "¿«Regresa» o «vuelve»?")
    post(rita, "«Regresa» está bien.\nSigue así.", page=REVIEW)
    records = [r for r in json.loads(export(runner, "--format", "json")) if r["action"] == "commented"]
    assert [(r["locale"], r["reviewer"], r["reviewer_name"], r["source"], r["reason"], r["translation"])
            for r in records] == [
        ("es", "tina", "Tina Torres", TITLE, "¿«Regresa» o «vuelve»?", ["Pruebas cuando la leucemia regresa"]),
        ("es", "rita", "Rita Reyes", TITLE, "«Regresa» está bien.\nSigue así.", ["Pruebas cuando la leucemia regresa"])]
    rows = [r for r in csv.DictReader(io.StringIO(export(runner, "--format", "csv"), newline=""))
            if r["action"] == "commented"]
    assert [r["reason"] for r in rows] == ["¿«Regresa» o «vuelve»?", "«Regresa» está bien.\nSigue así."]
    assert export(runner, "--locale", "ar", "--format", "json").strip() == "[]"
    # The locale's trail page lists them too; the message's trail table (decisions only) does not.
    trail_page = rita.get("/review/es/trail").get_data(as_text=True)
    assert trail_page.count(">Comment</span>") == 2 and "«Regresa» está bien." in trail_page
    review_page = rita.get(REVIEW).get_data(as_text=True)
    assert "No approvals, rejections or revocations yet." in review_page and ">Comment</span>" not in review_page


def test_comments_are_not_objections(app, team, tina, rita):
    """A comment does not show as a rejection on the translator's page, nor in the queue."""
    post(rita, "Looks fine to me.", page=REVIEW)
    page = tina.get(TRANSLATE).get_data(as_text=True)
    assert "Comment by" not in page and '<div class="problems"><p><strong>Comment' not in page
    queue = rita.get("/review/es/").get_data(as_text=True)
    assert "Looks fine to me." not in queue


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_the_csv_formula_guard_applies_to_comments(app, team, tina, runner, start):
    """Typed in the portal a comment's ends are trimmed (so a leading tab or carriage return is
    gone); one stored by any other path still cannot run as a formula."""
    with team.session() as session:
        from portal.people.accounts import find_user

        session.add(Comment(locale="es", mid=MID, fingerprint="f" * 64, msgctxt="", msgid=TITLE, msgid_plural="",
                            translation_json='["Pruebas"]', author_id=find_user(session, "tina").id,
                            body=start + 'HYPERLINK("http://evil.example","x")', created_at=dt.datetime(2026, 5, 5)))
        session.commit()
    if start not in "\t\r":
        post(tina, start + "1+1")
    rows = [r for r in csv.DictReader(io.StringIO(export(runner, "--format", "csv"), newline=""))
            if r["action"] == "commented"]
    assert rows and all(r["reason"].startswith("'" + start) for r in rows)


def test_the_thread_stays_readable_when_the_english_changes(app, team, tina, rita, runner):
    """Decision: a comment stays with the English it was written on (in the trail and its export);
    the message whose English replaced it (a carry-over `flask translate update` recorded) shows it
    too, marked as written on the earlier English."""
    post(tina, "¿«Regresa» o «vuelve»?")
    new_english = "Tests when leukemia comes back again"
    team.change_template(lambda template: setattr(template.find(TITLE), "msgid", new_english))
    new_mid = message_id(("", new_english, ""))
    thread = thread_of(tina.get(f"/translate/es/m/{new_mid}").get_data(as_text=True))
    assert "¿«Regresa» o «vuelve»?" in thread
    assert f'on the earlier English: <span lang="en" dir="ltr">{TITLE}</span>' in thread
    post(tina, "Now it says «again».", page=f"/translate/es/m/{new_mid}")
    thread = thread_of(tina.get(f"/translate/es/m/{new_mid}").get_data(as_text=True))
    assert thread.count("on the earlier English") == 1  # only the older comment
    records = [r for r in json.loads(export(runner, "--format", "json")) if r["action"] == "commented"]
    assert [(r["source"], r["reason"]) for r in records] == [(TITLE, "¿«Regresa» o «vuelve»?"),
                                                             (new_english, "Now it says «again».")]
    # Another message's thread is its own.
    other = message_id(("", "Infections", ""))
    assert "No comments yet." in thread_of(tina.get(f"/translate/es/m/{other}").get_data(as_text=True))


def test_a_comment_in_spanish_does_not_show_in_arabic(app, team, tina):
    post(tina, "Solo en español")
    add_role(team, "tina", "translator", "ar")
    assert "Solo en español" not in tina.get(f"/translate/ar/m/{MID}").get_data(as_text=True)
