"""Admins manage people in the browser; bad input says what to do and changes nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from portal import accounts
from portal.models import User
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
    response = post(admin_client, "/admin/people/ana", display_name="Ana María",
                    roles=["translator:vi", "reviewer:es"])
    assert response.status_code == 302
    assert people(work)["ana"] == ("Ana María", False, True, [("reviewer", "es"), ("translator", "vi")])


def test_edit_with_bad_input_changes_nothing(admin_client, work):
    before = people(work)
    response = post(admin_client, "/admin/people/ana", display_name="Ana", roles=["translator:es"],
                    password="short")
    assert response.status_code == 400 and "too short" in response.get_data(as_text=True)
    assert people(work) == before


def test_new_password_from_admin_logs_the_person_out(app, admin_client, work):
    ana = app.test_client()
    login(ana, "ana")
    post(admin_client, "/admin/people/ana", display_name="Ana", roles=["translator:es"],
         password="a fresh passphrase")
    assert ana.get("/translate/es/").status_code == 302
    assert login(app.test_client(), "ana", "a fresh passphrase").status_code == 302


def test_disable_and_enable(app, admin_client, work):
    ana = app.test_client()
    login(ana, "ana")
    assert post(admin_client, "/admin/people/ana/active", active="0").status_code == 302
    assert people(work)["ana"][2] is False
    assert ana.get("/translate/es/").status_code == 302
    assert post(admin_client, "/admin/people/ana/active", active="1").status_code == 302
    assert login(app.test_client(), "ana").status_code == 302


def test_admin_cannot_disable_themselves(admin_client, work):
    response = post(admin_client, "/admin/people/root/active", active="0")
    assert response.status_code == 302
    assert people(work)["root"][2] is True


def test_unknown_person_is_404(admin_client):
    assert admin_client.get("/admin/people/nobody").status_code == 404


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
