"""How this translation was checked (issue 14, Trust): reviewers' credential lines and their choice
to show them, and the families' page per language built from the published catalog and the review
trail (portal.review.checked)."""
from __future__ import annotations

import re
from html import unescape

import pytest
from alembic import command
from sqlalchemy import event, inspect, select, text
from sqlalchemy.orm import Session

from portal.db import alembic_config, upgrade
from portal.families.export import export_static, file_for
from portal.people import accounts
from portal.people.accounts import AccountError, find_user
from portal.review.checked import translation_check
from portal.review.models import Approval
from portal.review.operations import revoke_approval
from tests.conftest import csrf_token, english
from tests.test_faults import SPANISH_TITLE, TITLE
from tests.test_migrations import (  # noqa: F401 (fixtures)
    COMMENT_TABLES,
    FEEDBACK_TABLES,
    NOTIFY_COLUMNS,
    NOTIFY_TABLES,
    current_revision,
    differences,
    engine,
    url,
)
from tests.test_static_export import portal

PAGE = "/es/how-we-checked"
SKIP, SPANISH_SKIP = "Skip to main content", "Saltar al contenido principal"
CREDENTIAL = "pediatric oncology nurse, native Spanish speaker"


def check_of(work, locale: str = "es"):
    with work.session() as session:
        return translation_check(session, locale)


def set_credential(work, name: str, credential: str, show: bool | None = None) -> None:
    with work.session() as session:
        accounts.set_credential(session, find_user(session, name), credential, show=show)


def approve(work, msgid: str, translation: str, reviewer: str = "rita", author: str = "tina") -> None:
    work.translate("es", msgid, translation, author=author)
    assert work.approve("es", msgid, reviewer).report is not None


def revoke(work, msgid: str, reviewer: str = "rita") -> None:
    with work.session() as session:
        approval = session.scalars(select(Approval).where(Approval.msgid == msgid,
                                                          Approval.revoked_at.is_(None))).one()
        revoke_approval(session, "es", approval.id, find_user(session, reviewer), "Not this wording.")


def page_text(client, path: str = PAGE) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def sentences(html: str) -> str:
    """The page's words as a reader gets them (tags dropped, entities read, spaces joined)."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


# --- The numbers follow the gate ---------------------------------------------------------------

def test_counts_follow_approvals_and_revocations(app, work, people):
    start = check_of(work)
    assert start.checked == 0 and start.total > 100 and start.last_checked is None
    assert "No text on this site is checked in this language yet" in page_text(app.test_client())

    approve(work, TITLE, SPANISH_TITLE)
    approve(work, SKIP, SPANISH_SKIP)
    two = check_of(work)
    assert (two.checked, two.total) == (2, start.total)
    assert two.last_checked is not None
    assert f"2 of the {start.total} texts on this site are checked" in sentences(page_text(app.test_client()))

    revoke(work, TITLE)
    one = check_of(work)
    assert (one.checked, one.total) == (1, start.total)
    assert f"1 of the {start.total} texts on this site is checked" in sentences(page_text(app.test_client()))
    revoke(work, SKIP)
    assert check_of(work).checked == 0 and check_of(work).others == 0  # a revoked approval credits nobody


def test_a_changed_english_text_is_not_counted_until_its_translation_is_approved_again(app, work, people):
    """Editing the English of an approved text makes it a new text: the old approval is for other
    words, so the count drops and comes back only when a reviewer approves the new translation."""
    approve(work, TITLE, SPANISH_TITLE)
    approve(work, SKIP, SPANISH_SKIP)
    before = check_of(work)
    new_english = "Skip to the main content"

    def change(template):
        template.find(SKIP).msgid = new_english

    work.change_template(change)
    work.publish("es")
    after_edit = check_of(work)
    assert (after_edit.checked, after_edit.total) == (before.checked - 1, before.total)

    approve(work, new_english, "Ir al contenido principal", reviewer="rob")
    again = check_of(work)
    assert (again.checked, again.total) == (before.checked, before.total)


def test_a_translators_edit_keeps_the_approved_text_counted_and_credits_whoever_approved_what_is_served(
        app, work, people):
    """After an edit, families keep reading the last approved text (the gate), so it still counts,
    credited to its reviewer; once the new words are approved by another reviewer, they are what is
    served, and the first reviewer's approval of the old words credits nobody."""
    set_credential(work, "rita", "nurse", show=True)
    set_credential(work, "rob", "doctor", show=True)
    approve(work, TITLE, SPANISH_TITLE, reviewer="rita")
    assert [r.display_name for r in check_of(work).shown] == ["Rita Reyes"]

    work.translate("es", TITLE, "Pruebas si la leucemia regresa", author="tom")
    work.publish("es")
    edited = check_of(work)
    assert edited.checked == 1 and [r.display_name for r in edited.shown] == ["Rita Reyes"]

    assert work.approve("es", TITLE, "rob").report is not None
    approved = check_of(work)
    assert approved.checked == 1 and [r.display_name for r in approved.shown] == ["Rob Romero"]
    assert approved.others == 0


def test_a_reviewer_whose_approval_was_revoked_is_not_credited_when_another_approves_the_same_words(
        app, work, people):
    """Rita approves, her approval is revoked, Rob approves the very same words: families read them,
    checked by Rob; Rita's withdrawn approval of the same fingerprint credits nobody."""
    set_credential(work, "rita", "nurse", show=True)
    set_credential(work, "rob", "doctor", show=True)
    approve(work, TITLE, SPANISH_TITLE, reviewer="rita")
    revoke(work, TITLE)
    assert work.approve("es", TITLE, "rob").report is not None
    check = check_of(work)
    assert check.checked == 1 and [r.display_name for r in check.shown] == ["Rob Romero"]
    assert check.others == 0


# --- Who checked it ------------------------------------------------------------------------------

def test_only_reviewers_who_chose_are_named_the_others_are_counted(app, work, people):
    set_credential(work, "rita", CREDENTIAL, show=True)
    set_credential(work, "rob", "family doctor")  # a line, but not shown
    approve(work, TITLE, SPANISH_TITLE, reviewer="rita")
    approve(work, SKIP, SPANISH_SKIP, reviewer="rob")
    html = page_text(app.test_client())
    assert re.search(r'<span class="reviewer-name" dir="auto">Rita Reyes</span>: '
                     r'<span class="reviewer-credential" dir="auto">' + re.escape(CREDENTIAL) + "</span>", html)
    assert "Rob Romero" not in html and "family doctor" not in html
    assert "1 other reviewer also checked texts. They chose not to show their name." in sentences(html)

    set_credential(work, "rita", CREDENTIAL, show=False)
    html = page_text(app.test_client())
    assert "Rita Reyes" not in html and CREDENTIAL not in html
    assert "2 medical reviewers checked these texts. They chose not to show their names." in sentences(html)


def test_a_vietnamese_reviewer_is_not_credited_on_the_spanish_page(app, work, people):
    set_credential(work, "vic", "Vietnamese reviewer", show=True)
    work.user("tvi", "translator", "vi")
    work.translate("vi", TITLE, "Xét nghiệm khi bệnh bạch cầu quay lại", author="tvi")
    assert work.approve("vi", TITLE, "vic").report is not None
    approve(work, SKIP, SPANISH_SKIP)
    assert "Vic Vo" not in page_text(app.test_client())
    assert "Vic Vo" in page_text(app.test_client(), "/vi/how-we-checked")


def test_names_and_credentials_are_escaped(app, work, people):
    hostile = '<script>alert("x")</script> & <b>bold</b>'
    set_credential(work, "rita", hostile, show=True)
    with work.session() as session:
        accounts.set_roles(session, find_user(session, "rita"), [("reviewer", "es")], display_name="<i>Rita</i>")
    approve(work, TITLE, SPANISH_TITLE)
    html = page_text(app.test_client())
    assert "<script>" not in html and "<b>bold" not in html and "<i>Rita" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
    assert "&lt;i&gt;Rita&lt;/i&gt;" in html
    account = signed_in_client(app, "rita").get("/account").get_data(as_text=True)
    assert "<script>" not in account and "&lt;script&gt;" in account


# --- The credential line: domain, form, command ---------------------------------------------------

def signed_in_client(app, name: str):
    from tests.conftest import signed_in

    return signed_in(app, name)


def stored(work, name: str) -> tuple[str, bool]:
    with work.session() as session:
        user = find_user(session, name)
        return user.credential, user.show_to_families


def test_people_start_with_no_credential_and_not_shown(app, work, people):
    assert stored(work, "rita") == ("", False)


@pytest.mark.parametrize("credential, words", [
    ("x" * (accounts.CREDENTIAL_LIMIT + 1), "too long"),
    ("nurse\nand doctor", "U+000A"),
    ("nurse\u202eesrun", "U+202E"),
    ("nurse\x00", "U+0000"),
])
def test_the_domain_refuses_a_long_or_hidden_credential_and_saves_nothing(app, work, people, credential, words):
    set_credential(work, "rita", "nurse", show=True)
    with pytest.raises(AccountError, match=re.escape(words)), work.session() as session:
        accounts.set_credential(session, find_user(session, "rita"), credential, show=False)
    assert stored(work, "rita") == ("nurse", True)


def test_the_limit_is_what_it_says_and_spaces_are_trimmed(app, work, people):
    set_credential(work, "rita", "  " + "x" * accounts.CREDENTIAL_LIMIT + "  ")
    assert stored(work, "rita") == ("x" * accounts.CREDENTIAL_LIMIT, False)


def test_the_account_page_saves_the_credential_and_the_choice(app, work, people):
    client = signed_in_client(app, "rita")
    page = client.get("/account").get_data(as_text=True)
    assert 'name="credential"' in page and 'name="show_to_families"' in page
    assert f'maxlength="{accounts.CREDENTIAL_LIMIT}"' in page
    response = client.post("/account/credential", data={"csrf_token": csrf_token(client, "/account"),
                                                         "credential": CREDENTIAL, "show_to_families": "y"})
    assert response.status_code == 302
    assert stored(work, "rita") == (CREDENTIAL, True)
    page = client.get("/account").get_data(as_text=True)
    assert f'value="{CREDENTIAL}"' in page and re.search(r'<input checked[^>]*name="show_to_families"', page)
    response = client.post("/account/credential", data={"csrf_token": csrf_token(client, "/account"),
                                                         "credential": CREDENTIAL})
    assert response.status_code == 302 and stored(work, "rita") == (CREDENTIAL, False)


@pytest.mark.parametrize("credential, words", [
    ("x" * (accounts.CREDENTIAL_LIMIT + 1), "The credential line is too long"),
    ("nurse\tdoctor", "invisible or control character"),
])
def test_the_account_page_shows_the_domains_refusal_and_saves_nothing(app, work, people, credential, words):
    set_credential(work, "rita", "nurse")
    client = signed_in_client(app, "rita")
    response = client.post("/account/credential", data={"csrf_token": csrf_token(client, "/account"),
                                                         "credential": credential, "show_to_families": "y"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert words in html and 'role="alert"' in html and 'aria-invalid="true"' in html
    assert stored(work, "rita") == ("nurse", False)


def test_the_credential_form_needs_its_csrf_token_and_a_login(app, work, people):
    client = signed_in_client(app, "rita")
    assert client.post("/account/credential", data={"credential": "nurse"}).status_code == 400
    anonymous = app.test_client().post("/account/credential", data={"credential": "nurse"})
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert stored(work, "rita") == ("", False)


def test_flask_users_set_credential(app, work, people):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "set-credential", "rita", CREDENTIAL, "--show"])
    assert result.exit_code == 0, result.output
    assert "shown to families" in result.output and stored(work, "rita") == (CREDENTIAL, True)
    result = runner.invoke(args=["users", "set-credential", "RITA", "nurse"])  # the choice stays
    assert result.exit_code == 0 and stored(work, "rita") == ("nurse", True)
    result = runner.invoke(args=["users", "set-credential", "rita", "nurse", "--hide"])
    assert result.exit_code == 0 and stored(work, "rita") == ("nurse", False)
    result = runner.invoke(args=["users", "set-credential", "rita", "x" * 201, "--show"])
    assert result.exit_code == 1 and "too long" in result.output
    assert stored(work, "rita") == ("nurse", False)
    result = runner.invoke(args=["users", "set-credential", "nobody", "nurse"])
    assert result.exit_code == 1 and "No person called 'nobody'" in result.output


# --- The page: public, cached, linked, exported, read-only ----------------------------------------

def test_the_page_is_cached_and_changes_after_an_approval_and_a_change_of_who_is_shown(app, work, people,
                                                                                         monkeypatch):
    import portal.review.checked as checked

    builds = []
    real = checked.translation_check
    monkeypatch.setattr(checked, "translation_check", lambda session, locale: builds.append(locale) or real(session, locale))
    client = app.test_client()
    first = client.get(PAGE)
    assert first.status_code == 200 and "Set-Cookie" not in first.headers
    assert first.headers["Cache-Control"].startswith("public, max-age=")
    tag = first.headers["ETag"]
    assert client.get(PAGE, headers={"If-None-Match": tag}).status_code == 304
    assert client.get(PAGE).data == first.data and builds == ["es"]  # built once

    approve(work, TITLE, SPANISH_TITLE)
    approved = client.get(PAGE, headers={"If-None-Match": tag})
    assert approved.status_code == 200 and approved.headers["ETag"] != tag
    assert "1 of the" in sentences(approved.get_data(as_text=True))

    set_credential(work, "rita", CREDENTIAL, show=True)  # no publish: the page still changes
    shown = client.get(PAGE, headers={"If-None-Match": approved.headers["ETag"]})
    assert shown.status_code == 200 and shown.headers["ETag"] != approved.headers["ETag"]
    assert CREDENTIAL in shown.get_data(as_text=True)
    assert builds == ["es", "es", "es"]


def test_getting_the_page_writes_nothing_and_reads_a_bounded_number_of_times(app, work, people):
    approve(work, TITLE, SPANISH_TITLE)
    approve(work, SKIP, SPANISH_SKIP, reviewer="rob")
    # A worker's first request checks the schema once (portal.db, on PostgreSQL a catalog query):
    # not this page's reads.
    assert app.test_client().get("/es/").status_code == 200
    statements = []
    db_engine = app.extensions["db_engine"]

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db_engine, "before_cursor_execute", record)
    try:
        html = page_text(app.test_client())
    finally:
        event.remove(db_engine, "before_cursor_execute", record)
    assert "2 of the" in sentences(html)
    writes = [s for s in statements if not s.lstrip().upper().startswith(("SELECT", "PRAGMA", "BEGIN", "ROLLBACK",
                                                                           "COMMIT", "RELEASE", "SAVEPOINT"))]
    assert writes == [] and statements, statements
    # the served catalog's look, the key (version, people shown), the row and one grouped query
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) <= 8


def test_translated_pages_link_to_it_and_english_says_it_is_the_source(app, work, people):
    client = app.test_client()
    es = page_text(client, "/es/tests")
    assert f'<a href="/es/how-we-checked">{english("How this translation was checked")}</a>' in es
    assert "/en/how-we-checked" not in page_text(client, "/en/tests")
    source = page_text(client, "/en/how-we-checked")
    assert "English is the source for every other language" in source and "reviewer-name" not in source
    for tag in ("vi", "zh-Hans", "ar"):
        assert 'href="/%s/how-we-checked"' % tag in page_text(client, f"/{tag}/tests")
        assert page_text(client, f"/{tag}/how-we-checked")
    assert client.get("/zh-hans/how-we-checked").status_code == 301
    switch = client.get("/choose-language/vi/how-we-checked")
    assert switch.status_code == 302 and switch.headers["Location"].endswith("/vi/how-we-checked")


def test_the_page_date_is_in_the_readers_language(app, work, people):
    approve(work, TITLE, SPANISH_TITLE)
    when = check_of(work).last_checked
    from babel.dates import format_date

    assert f"Last checked: {format_date(when, 'long', locale='es')}" in page_text(app.test_client())


def test_the_page_is_in_the_static_export(app, work, people, tmp_path):
    set_credential(work, "rita", CREDENTIAL, show=True)
    approve(work, TITLE, SPANISH_TITLE)
    target = tmp_path / "export"
    report = export_static(app, target, "https://portal.example.org")
    for tag in ("en", "es", "zh-Hans", "vi", "ar"):
        path = f"/{tag}/how-we-checked"
        assert path in report.site.pages
        assert (target / file_for(path)).read_bytes() == portal(app, path).data  # as exported: no search form
    assert CREDENTIAL in (target / "es" / "how-we-checked.html").read_text()
    assert "https://portal.example.org/es/how-we-checked" in (target / "sitemap.xml").read_text()


# --- Migration --------------------------------------------------------------------------------------

def test_0010_adds_credentials_to_existing_people_not_shown_and_downgrades(url, engine):  # noqa: F811
    upgrade(url, "0009")
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO users (id, username, display_name, password_hash, is_admin, active, created_at) "
            "VALUES (1, 'rita', 'Rita', 'x', false, true, '2026-01-02 03:04:05')"))
    upgrade(url, "0010")
    assert current_revision(engine) == "0010"
    engine.dispose()
    assert differences(engine, newer_tables=FEEDBACK_TABLES + COMMENT_TABLES + NOTIFY_TABLES,
                       newer_columns=NOTIFY_COLUMNS) == []
    # In SQL: the ORM's User has the columns of later revisions (0013's email).
    with engine.begin() as connection:
        row = connection.execute(text("SELECT display_name, credential, show_to_families FROM users")).one()
        assert (row[0], row[1], bool(row[2])) == ("Rita", "", False)
        connection.execute(text("UPDATE users SET credential = :line, show_to_families = :show"),
                           {"line": accounts.check_credential(CREDENTIAL), "show": True})

    command.downgrade(alembic_config(url), "0009")
    assert current_revision(engine) == "0009"
    engine.dispose()
    columns = {c["name"] for c in inspect(engine).get_columns("users")}
    assert not {"credential", "show_to_families"} & columns
    with engine.connect() as connection:
        assert connection.execute(text("SELECT username, display_name FROM users")).all() == [("rita", "Rita")]
    upgrade(url, "head")
    engine.dispose()
    assert differences(engine) == []
    with Session(engine) as session:
        assert (find_user(session, "rita").credential, find_user(session, "rita").show_to_families) == ("", False)
