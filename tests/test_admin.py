"""Admins manage people in the browser; bad input says what to do and changes nothing."""
from __future__ import annotations

import re
from html import escape, unescape

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from portal.models import User
from portal.people import accounts
from tests.conftest import PASSWORD, csrf_token, login


@pytest.fixture
def admin_client(app, work):
    with work.session() as session:
        accounts.create_user(session, "root", PASSWORD, is_admin=True)
    work.user("ana", "translator", "es")
    client = app.test_client()
    login(client, "root")
    return client


def people(work) -> dict[str, tuple]:
    with work.session() as session:
        return {u.username: (u.display_name, u.is_admin, u.active, sorted((r.role, r.locale) for r in u.roles))
                for u in session.scalars(select(User))}


def post(client, url, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, "/admin/people/new"), **data})


def person_url(work, username: str, suffix: str = "") -> str:
    """Admin pages address a person by id (a username may hold characters a URL path cannot)."""
    with work.session() as session:
        user_id = session.scalar(select(User.id).where(User.username == username))
    return f"/admin/people/{user_id}{suffix}"


def test_people_page_lists_everyone(admin_client):
    html = admin_client.get("/admin/people").get_data(as_text=True)
    assert "<caption id=\"people-caption\">" in html and ">ana</th>" in html and "translator es" in html


def test_add_a_person_with_roles(app, admin_client, work):
    response = post(admin_client, "/admin/people/new", username="rita", display_name="Rita R.",
                    password="a long passphrase", roles=["reviewer:es", "reviewer:ar"])
    assert response.status_code == 302
    assert people(work)["rita"] == ("Rita R.", False, True, [("reviewer", "ar"), ("reviewer", "es")])
    rita = app.test_client()
    assert login(rita, "rita", "a long passphrase").status_code == 302
    assert rita.get("/review/ar/").status_code == 200


@pytest.mark.parametrize("data, message", [
    ({"username": "ana", "display_name": "Other Ana", "password": "a long passphrase"}, "taken"),
    ({"username": "new", "display_name": "New", "password": ""}, "password is empty"),
    ({"username": "new", "display_name": "New", "password": "short"}, "too short"),
    ({"username": "new", "display_name": "New", "password": "a long passphrase", "roles": ["chief:es"]},
     "not a valid choice"),
    ({"username": "new", "display_name": "New", "password": "a long passphrase", "roles": ["translator:fr"]},
     "not a valid choice"),
    ({"username": "", "display_name": "New", "password": "a long passphrase"}, "Enter a username"),
])
def test_bad_new_person_is_refused_and_changes_nothing(admin_client, work, data, message):
    before = people(work)
    response = post(admin_client, "/admin/people/new", **data)
    assert response.status_code == 400
    assert message.lower() in response.get_data(as_text=True).lower()
    assert people(work) == before


def test_edit_roles_and_name(admin_client, work):
    response = post(admin_client, person_url(work, "ana"), display_name="Ana María",
                    roles=["translator:vi", "reviewer:es"])
    assert response.status_code == 302
    assert people(work)["ana"] == ("Ana María", False, True, [("reviewer", "es"), ("translator", "vi")])


def test_edit_with_bad_input_changes_nothing(admin_client, work):
    before = people(work)
    response = post(admin_client, person_url(work, "ana"), display_name="Ana", roles=["translator:es"],
                    password="short")
    assert response.status_code == 400 and "too short" in response.get_data(as_text=True)
    assert people(work) == before


def test_new_password_from_admin_logs_the_person_out(app, admin_client, work):
    ana = app.test_client()
    login(ana, "ana")
    post(admin_client, person_url(work, "ana"), display_name="Ana", roles=["translator:es"],
         password="a fresh passphrase")
    assert ana.get("/translate/es/").status_code == 302
    assert login(app.test_client(), "ana", "a fresh passphrase").status_code == 302


def test_disable_and_enable(app, admin_client, work):
    ana = app.test_client()
    login(ana, "ana")
    assert post(admin_client, person_url(work, "ana", "/active"), active="0").status_code == 302
    assert people(work)["ana"][2] is False
    assert ana.get("/translate/es/").status_code == 302
    assert post(admin_client, person_url(work, "ana", "/active"), active="1").status_code == 302
    assert login(app.test_client(), "ana").status_code == 302


def test_admin_cannot_disable_themselves(admin_client, work):
    response = post(admin_client, person_url(work, "root", "/active"), active="0")
    assert response.status_code == 302
    assert people(work)["root"][2] is True


@pytest.mark.parametrize("url", ["/admin/people/nobody", "/admin/people/999", "/admin/people/999/active",
                                 "/admin/people/-1", "/admin/people/1.5", "/admin/people/" + "9" * 40])
def test_unknown_person_is_404(admin_client, url):
    assert admin_client.get(url).status_code == (405 if url.endswith("/active") else 404)
    assert post(admin_client, url, display_name="X").status_code == 404


# --- Usernames: one safe character set, one name whatever its case, old names still manageable ---

@pytest.mark.parametrize("username", ["bad/name", "two words", "-leading-hyphen", ".hidden", "_x", "ana@clinic",
                                      "semi;colon", "José", "аna", "tab\tname", "a" * 81, "../admin"])
def test_new_username_outside_the_rule_is_refused_and_says_what_is_allowed(admin_client, work, username):
    before = people(work)
    response = post(admin_client, "/admin/people/new", username=username, display_name="New",
                    password="a long passphrase")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "cannot be used" in html and "dot (.), underscore (_) and hyphen (-)" in html
    assert people(work) == before


@pytest.mark.parametrize("username", ["x", "ana.garcia", "reviewer-es", "R2_d2", "9lives", "a" * 80])
def test_usernames_inside_the_rule_are_accepted(admin_client, work, username):
    response = post(admin_client, "/admin/people/new", username=username, display_name="New",
                    password="a long passphrase")
    assert response.status_code == 302
    assert username in people(work)


def test_a_username_is_taken_whatever_its_case(admin_client, work):
    assert post(admin_client, "/admin/people/new", username="demo-admin", display_name="A",
                password="a long passphrase").status_code == 302
    before = people(work)
    for name in ("Demo-Admin", "DEMO-ADMIN", "Ana"):
        response = post(admin_client, "/admin/people/new", username=name, display_name="B",
                        password="a long passphrase")
        assert response.status_code == 400
        assert "is taken (as" in response.get_data(as_text=True)
    assert people(work) == before


def test_login_finds_the_person_whatever_the_case_typed(app, admin_client):
    ana = app.test_client()
    assert login(ana, "ANA").status_code == 302
    assert ana.get("/translate/es/").status_code == 200


def test_names_made_before_the_case_rule_keep_their_own_logins(app, work):
    """Two people whose names differ only in case (allowed before): each logs in by exact name."""
    with work.session() as session:
        for name, password in (("Lee", "first passphrase"), ("lee", "second passphrase")):
            session.add(User(username=name, display_name=name, password_hash=generate_password_hash(password),
                             is_admin=False, active=True))
        session.commit()
    assert login(app.test_client(), "Lee", "first passphrase").status_code == 302
    assert login(app.test_client(), "lee", "second passphrase").status_code == 302
    assert login(app.test_client(), "LEE", "second passphrase").status_code == 401  # ambiguous: nobody


def _link(html: str, username: str, kind: str) -> str:
    """The URL of the edit link or the enable/disable form on the people page, row of ``username``."""
    row = next(r for r in html.split("<tr>") if f">{escape(username)}</th>" in r)
    pattern = r'<a href="([^"]+)">Edit' if kind == "edit" else r'<form method="post" action="([^"]+)"'
    return unescape(re.search(pattern, row).group(1))


@pytest.mark.parametrize("legacy", ["team/ana", "new", "a b", "x/active", "ana?next=1", "%2F", "ö"])
def test_a_username_made_before_the_rule_can_still_be_edited_and_disabled(app, admin_client, work, legacy):
    """Names the rule now refuses (or that look like other admin URLs) existed before: the people
    page's links must still reach them, and nothing else."""
    with work.session() as session:
        session.add(User(username=legacy, display_name="Legacy", is_admin=False, active=True,
                         password_hash=generate_password_hash(PASSWORD, method="scrypt:1024:8:1")))
        session.commit()
    person = app.test_client()
    assert login(person, legacy).status_code == 302
    html = admin_client.get("/admin/people").get_data(as_text=True)
    edit = _link(html, legacy, "edit")
    page = admin_client.get(edit)
    assert page.status_code == 200 and f"Edit {escape(legacy)}" in page.get_data(as_text=True)
    assert post(admin_client, edit, display_name="Legacy Person", roles=["translator:es"]).status_code == 302
    assert people(work)[legacy] == ("Legacy Person", False, True, [("translator", "es")])
    assert post(admin_client, _link(html, legacy, "active"), active="0").status_code == 302
    assert people(work)[legacy][2] is False
    assert person.get("/translate/es/").status_code == 302  # logged out
    assert people(work)["ana"] == ("ana", False, True, [("translator", "es")])  # nobody else changed


# --- There is always an active admin ---------------------------------------------------------

def test_the_last_admin_cannot_remove_their_own_admin_role(admin_client, work):
    before = people(work)
    response = post(admin_client, person_url(work, "root"), display_name="Root", roles=["reviewer:es"])
    assert response.status_code == 400
    assert "only active admin" in response.get_data(as_text=True)
    assert "make another person an admin first" in response.get_data(as_text=True)
    assert people(work) == before
    assert admin_client.get("/admin/people").status_code == 200


def test_a_disabled_admin_does_not_count(admin_client, work):
    with work.session() as session:
        accounts.create_user(session, "old-admin", PASSWORD, is_admin=True)
        accounts.set_active(session, accounts.find_user(session, "old-admin"), False)
    response = post(admin_client, person_url(work, "root"), display_name="Root")
    assert response.status_code == 400 and "only active admin" in response.get_data(as_text=True)
    assert people(work)["root"][1] is True


def test_an_admin_may_step_down_when_another_admin_remains(app, admin_client, work):
    with work.session() as session:
        accounts.create_user(session, "second", PASSWORD, is_admin=True)
    response = post(admin_client, person_url(work, "root"), display_name="Root", roles=["reviewer:es"])
    assert response.status_code == 302 and response.headers["Location"] == "/staff/"
    assert people(work)["root"] == ("Root", False, True, [("reviewer", "es")])
    assert admin_client.get("/admin/people").status_code == 403
    # The remaining admin is now the last one.
    second = app.test_client()
    login(second, "second")
    response = post(second, person_url(work, "second"), display_name="Second")
    assert response.status_code == 400 and people(work)["second"][1] is True


def test_the_last_admin_cannot_be_disabled_or_demoted_in_the_domain(work):
    with work.session() as session:
        accounts.create_user(session, "root", PASSWORD, is_admin=True)
    with work.session() as session:
        root = accounts.find_user(session, "root")
        for change in (lambda: accounts.set_active(session, root, False),
                       lambda: accounts.set_roles(session, root, [], is_admin=False),
                       lambda: accounts.update_person(session, root, roles=[], is_admin=False, display_name="R")):
            with pytest.raises(accounts.AccountError, match="only active admin"):
                change()
            session.rollback()
    assert people(work)["root"] == ("root", True, True, [])


def test_publish_from_the_browser(app, admin_client):
    response = post(admin_client, "/admin/publish")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "What families now see" in html
    for code in ("es", "zh_Hans", "vi", "ar"):
        assert f'<th scope="row">{code}</th>' in html


def test_translator_comments_and_names_are_escaped(admin_client, work):
    post(admin_client, "/admin/people/new", username="x", display_name="<script>alert(1)</script>",
         password="a long passphrase")
    html = admin_client.get("/admin/people").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


@pytest.mark.parametrize("username", ["bad/name", "Demo-Admin", " ", "-x"])
def test_cli_refuses_the_same_usernames(runner, work, username):
    with work.session() as session:
        accounts.create_user(session, "demo-admin", PASSWORD)
    result = runner.invoke(args=["users", "create", "--password", "long enough pw", "--", username])
    assert result.exit_code == 1
    assert any(text in result.output for text in ("cannot be used", "is taken (as 'demo-admin'", "is required"))
    assert set(people(work)) == {"demo-admin"}


def test_cli_cannot_disable_the_last_admin(runner, work):
    with work.session() as session:
        accounts.create_user(session, "root", PASSWORD, is_admin=True)
    result = runner.invoke(args=["users", "disable", "root"])
    assert result.exit_code == 1 and "root is the only active admin and cannot be disabled" in result.output
    assert people(work)["root"][2] is True
    assert runner.invoke(args=["users", "create", "deputy", "--admin", "--password", "long enough pw"]).exit_code == 0
    assert runner.invoke(args=["users", "disable", "ROOT"]).exit_code == 0  # any case finds root
    assert people(work)["root"][2] is False


def test_cli_set_role_disable_enable_list(runner, work):
    work.user("ana", "translator", "es")
    assert runner.invoke(args=["users", "set-role", "ana", "reviewer", "vi"]).exit_code == 0
    assert runner.invoke(args=["users", "set-role", "ana", "translator", "es", "--remove"]).exit_code == 0
    assert people(work)["ana"][3] == [("reviewer", "vi")]
    bad = runner.invoke(args=["users", "set-role", "ana", "boss", "vi"])
    assert bad.exit_code == 1 and "Unknown role 'boss'" in bad.output
    bad = runner.invoke(args=["users", "set-role", "ana", "reviewer", "fr"])
    assert bad.exit_code == 1 and "Unknown locale 'fr'" in bad.output
    bad = runner.invoke(args=["users", "disable", "nobody"])
    assert bad.exit_code == 1 and "No person called 'nobody'" in bad.output
    assert people(work)["ana"][3] == [("reviewer", "vi")]
    assert runner.invoke(args=["users", "disable", "ana"]).exit_code == 0
    listing = runner.invoke(args=["users", "list"]).output
    assert "ana" in listing and "disabled" in listing and "reviewer vi" in listing
    assert runner.invoke(args=["users", "enable", "ana"]).exit_code == 0
    assert people(work)["ana"][2] is True


def test_a_display_name_longer_than_its_column_is_refused_by_the_domain_on_every_path(app, runner):
    """The limit is the domain's (accounts.DISPLAY_NAME_LIMIT): the CLI and the domain calls refuse a
    name too long for users.display_name (on PostgreSQL a longer value fails the whole transaction),
    and nothing is saved."""
    too_long = "N" * (accounts.DISPLAY_NAME_LIMIT + 1)
    with app.extensions["db"]() as session:
        with pytest.raises(accounts.AccountError, match=f"use {accounts.DISPLAY_NAME_LIMIT} or fewer"):
            accounts.create_user(session, "longname", PASSWORD, display_name=too_long)
        assert accounts.find_user(session, "longname") is None
        user = accounts.create_user(session, "shortname", PASSWORD, display_name="Short Name")
        session.commit()
        for call in (lambda: accounts.set_roles(session, user, [], display_name=too_long),
                     lambda: accounts.update_person(session, user, roles=[], is_admin=False, display_name=too_long)):
            with pytest.raises(accounts.AccountError, match="or fewer"):
                call()
        session.rollback()
        assert session.get(User, user.id).display_name == "Short Name"
    result = runner.invoke(args=["users", "create", "clilong", "--role", "translator", "--locale", "es",
                                 "--password", PASSWORD, "--name", too_long])
    assert result.exit_code != 0 and "or fewer" in result.output and "Traceback" not in result.output
    with app.extensions["db"]() as session:
        assert accounts.find_user(session, "clilong") is None
        accounts.create_user(session, "exact", PASSWORD, display_name="N" * accounts.DISPLAY_NAME_LIMIT)
        session.commit()


def test_the_forms_take_their_limits_from_the_domain():
    """A limit is defined once, in the domain; the forms only repeat it to the person typing."""
    from tests.conftest import ROOT

    source = (ROOT / "portal" / "forms.py").read_text(encoding="utf-8")
    assert re.findall(r"Length\([^)]*\b(?:max|min)=\d", source) == []
    assert re.findall(r"maxlength\W+\d", source) == []
