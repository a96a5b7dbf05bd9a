"""Default deny: every route, every role, the expected answer.

A route that is not in ROUTES fails this test, so nobody adds a page without
deciding who may use it. A route that declares no access at all is refused
by the app itself (see test_undeclared_route_is_denied).
"""
from __future__ import annotations

import re

import pytest
from flask import Blueprint

from portal.people import accounts
from portal.translation.identity import message_id
from tests.conftest import PASSWORD, csrf_token, login

ROLES = ["anonymous", "translator_es", "reviewer_es", "admin", "translator_ar", "reviewer_vi", "disabled"]

PUBLIC = {role: "allowed" for role in ROLES}
SIGNED_IN = {role: "allowed" for role in ROLES} | {"anonymous": "login", "disabled": "login"}
ADMIN = {role: "forbidden" for role in ROLES} | {"anonymous": "login", "disabled": "login", "admin": "allowed"}
TRANSLATOR_ES = {role: "forbidden" for role in ROLES} | {"anonymous": "login", "disabled": "login",
                                                          "translator_es": "allowed"}
REVIEWER_ES = {role: "forbidden" for role in ROLES} | {"anonymous": "login", "disabled": "login",
                                                        "reviewer_es": "allowed"}

REVIEWERS_AND_ADMINS = {role: "forbidden" for role in ROLES} | {"anonymous": "login", "disabled": "login",
                                                                 "reviewer_es": "allowed", "reviewer_vi": "allowed",
                                                                 "admin": "allowed"}

MESSAGE_ID = message_id(("", "Tests when leukemia comes back", ""))  # a medical message

# endpoint -> (url, {method: expectations by role})
ROUTES = {
    "public.choose_language": ("/", {"GET": PUBLIC}),
    "public.index": ("/es/", {"GET": PUBLIC}),
    "public.page": ("/es/treatment", {"GET": PUBLIC}),
    "public.about": ("/es/about", {"GET": PUBLIC}),
    "public.search": ("/es/search?q=remisi%C3%B3n", {"GET": PUBLIC}),
    "public.how_we_checked": ("/es/how-we-checked", {"GET": PUBLIC}),
    "public.choose": ("/choose-language/es/treatment", {"GET": PUBLIC}),
    "public.healthz": ("/healthz", {"GET": PUBLIC}),
    # No answer is kept (no choice, no token: 400), but nobody is refused for who they are.
    "public.feedback": ("/es/treatment/feedback", {"POST": PUBLIC}),
    "static": ("/static/portal.css", {"GET": PUBLIC}),
    "auth.login": ("/login", {"GET": PUBLIC, "POST": PUBLIC}),
    "auth.logout": ("/logout", {"POST": SIGNED_IN}),
    "auth.home": ("/staff/", {"GET": SIGNED_IN}),
    "auth.account": ("/account", {"GET": SIGNED_IN, "POST": SIGNED_IN}),
    "auth.account_credential": ("/account/credential", {"POST": SIGNED_IN}),
    "auth.account_notifications": ("/account/notifications", {"POST": SIGNED_IN}),
    "admin.people": ("/admin/people", {"GET": ADMIN}),
    "admin.new_person": ("/admin/people/new", {"GET": ADMIN, "POST": ADMIN}),
    "admin.edit_person": ("/admin/people/{translator_es}", {"GET": ADMIN, "POST": ADMIN}),  # by id
    "admin.set_active": ("/admin/people/{reviewer_vi}/active", {"POST": ADMIN}),
    "admin.publish": ("/admin/publish", {"GET": ADMIN, "POST": ADMIN}),
    "translate.workspace_home": ("/translate/es/", {"GET": TRANSLATOR_ES}),
    "translate.message": (f"/translate/es/m/{MESSAGE_ID}", {"GET": TRANSLATOR_ES, "POST": TRANSLATOR_ES}),
    "translate.revert": (f"/translate/es/m/{MESSAGE_ID}/revert/1", {"POST": TRANSLATOR_ES}),
    "translate.comment": (f"/translate/es/m/{MESSAGE_ID}/comments", {"POST": TRANSLATOR_ES}),
    "translate.download": ("/translate/es/download", {"GET": TRANSLATOR_ES}),
    "translate.upload": ("/translate/es/upload", {"GET": TRANSLATOR_ES, "POST": TRANSLATOR_ES}),
    "translate.apply_upload": ("/translate/es/upload/0123abcd", {"POST": TRANSLATOR_ES}),
    "review.dashboard": ("/review/", {"GET": REVIEWERS_AND_ADMINS}),
    "review.queue": ("/review/es/", {"GET": REVIEWER_ES}),
    "review.message": (f"/review/es/m/{MESSAGE_ID}", {"GET": REVIEWER_ES}),
    "review.approve": (f"/review/es/m/{MESSAGE_ID}/approve", {"POST": REVIEWER_ES}),
    "review.comment": (f"/review/es/m/{MESSAGE_ID}/comments", {"POST": REVIEWER_ES}),
    "review.reject": (f"/review/es/m/{MESSAGE_ID}/reject", {"POST": REVIEWER_ES}),
    "review.revoke": (f"/review/es/m/{MESSAGE_ID}/revoke/1", {"POST": REVIEWER_ES}),
    "review.locale_trail": ("/review/es/trail", {"GET": REVIEWER_ES}),
    # Admins are let in for English answers (portal.feedback.staff), but not for Spanish ones.
    "review.feedback_handled": ("/review/es/feedback/1/handled", {"POST": REVIEWER_ES}),
    "pages.translator_preview": (f"/translate/es/preview/{MESSAGE_ID}", {"GET": TRANSLATOR_ES}),
    "pages.reviewer_preview": (f"/review/es/preview/{MESSAGE_ID}", {"GET": REVIEWER_ES}),
    "pages.review_page": ("/review/es/page/tests", {"GET": REVIEWER_ES, "POST": REVIEWER_ES}),
}


def test_every_route_is_in_the_table(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - set(ROUTES) == set(), "new routes need an entry in ROUTES (who may use them?)"
    assert set(ROUTES) - endpoints == set(), "ROUTES names routes that no longer exist"
    for rule in app.url_map.iter_rules():
        methods = rule.methods - {"HEAD", "OPTIONS"}
        assert methods == set(ROUTES[rule.endpoint][1]), f"{rule.endpoint}: methods {methods}"


def make_people(work):
    work.user("translator_es", "translator", "es")
    work.user("reviewer_es", "reviewer", "es")
    work.user("translator_ar", "translator", "ar")
    work.user("reviewer_vi", "reviewer", "vi")
    work.user("disabled", "translator", "es")
    with work.session() as session:
        accounts.create_user(session, "admin", PASSWORD, is_admin=True)


def person_ids(work, url: str) -> str:
    """Fill in "{username}" in a URL with that person's id (admin pages address people by id)."""
    with work.session() as session:
        return re.sub(r"\{([^}]+)\}", lambda m: str(accounts.find_user(session, m.group(1)).id), url)


def outcome(response) -> str:
    location = response.headers.get("Location", "")
    if response.status_code == 302 and location.startswith("/login?next="):
        return "login"
    if response.status_code == 403:
        return "forbidden"
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    return "allowed"


CASES = [(endpoint, method, role) for endpoint, (_, methods) in ROUTES.items()
         for method in methods for role in ROLES]
# A GET never writes (tests/test_unit_of_work.py), so every GET case shares one app and its people.
# The POST cases share another: a POST that succeeds may change a person (an admin's POST disables
# reviewer_vi, or takes translator_es's roles), so each case first puts every person back as made.
GET_CASES = [case for case in CASES if case[1] == "GET"]
POST_CASES = [case for case in CASES if case[1] != "GET"]


@pytest.fixture(scope="module")
def shared(tmp_path_factory, empty_catalogs):
    yield from _module_app(tmp_path_factory, empty_catalogs)


@pytest.fixture(scope="module")
def shared_for_posts(tmp_path_factory, empty_catalogs):
    yield from _module_app(tmp_path_factory, empty_catalogs)


PEOPLE = {"translator_es": ([("translator", "es")], False), "reviewer_es": ([("reviewer", "es")], False),
          "translator_ar": ([("translator", "ar")], False), "reviewer_vi": ([("reviewer", "vi")], False),
          "disabled": ([("translator", "es")], False), "admin": ([], True)}


def restore_people(work) -> None:
    """Every person active again, with the roles ``make_people`` gave them (and nothing else)."""
    with work.session() as session:
        for name, (roles, is_admin) in PEOPLE.items():
            user = accounts.find_user(session, name)
            user.active = True
            accounts.set_roles(session, user, roles, is_admin=is_admin, display_name=name)


def _module_app(tmp_path_factory, empty_catalogs):
    from tests.conftest import Workflow, close_app, make_app

    app = make_app(tmp_path_factory.mktemp("access"), empty_catalogs)
    work = Workflow(app)
    with pytest.MonkeyPatch.context() as patch:  # quick hashes, as the function-scoped fixture gives
        patch.setattr(accounts, "PASSWORD_METHOD", "scrypt:1024:8:1")
        make_people(work)
    for code in ("es", "zh_Hans", "vi", "ar"):  # healthz answers 200 only when every language is published
        work.publish(code)
    yield app, work
    close_app(app)


def check_route(app, work, endpoint, method, role):
    client = app.test_client()
    if role == "disabled":  # active when logging in, disabled right after
        with work.session() as session:
            accounts.set_active(session, accounts.find_user(session, "disabled"), True)
    if role != "anonymous":
        assert login(client, role).status_code == 302
    if role == "disabled":  # logged in, then disabled: the next request must be anonymous
        with work.session() as session:
            accounts.set_active(session, accounts.find_user(session, "disabled"), False)
    url, methods = ROUTES[endpoint]
    url = person_ids(work, url)
    if method == "GET":
        response = client.get(url)
    else:
        token_page = "/login" if role in ("anonymous", "disabled") else "/account"
        token = csrf_token(client, token_page) if role != "disabled" else "none"
        response = client.post(url, data={"csrf_token": token})
    try:
        assert outcome(response) == methods[method][role]
    finally:
        response.close()


@pytest.mark.parametrize("endpoint, method, role", GET_CASES, ids=[f"{e}-{m}-{r}" for e, m, r in GET_CASES])
def test_route_and_role(shared, endpoint, method, role):
    check_route(*shared, endpoint, method, role)


@pytest.mark.parametrize("endpoint, method, role", POST_CASES, ids=[f"{e}-{m}-{r}" for e, m, r in POST_CASES])
def test_route_and_role_posting(shared_for_posts, endpoint, method, role):
    app, work = shared_for_posts
    restore_people(work)
    check_route(app, work, endpoint, method, role)


@pytest.mark.parametrize("url", ["/translate/xx/", "/review/fr/"])
def test_unknown_locale_in_a_staff_url_is_404(app, work, url):
    make_people(work)
    client = app.test_client()
    login(client, "admin")
    assert client.get(url).status_code == 404


def test_undeclared_route_is_denied(app, work):
    """A view without an access declaration is refused even to admins (default deny)."""
    extra = Blueprint("extra", __name__)

    @extra.route("/forgotten")
    def forgotten():
        return "secret"

    app.register_blueprint(extra)
    make_people(work)
    client = app.test_client()
    assert client.get("/forgotten").status_code == 403
    login(client, "admin")
    assert client.get("/forgotten").status_code == 403
