"""Invariant 9: no header, cookie, URL or form field gets a 500.

Cases found one by one, then a property test that throws generated input at every kind of
page: the families' pages, the login form and, logged in, the staff pages and their forms.
"""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.models import Approval, Edit
from portal.workspace import message_id
from tests.conftest import csrf_token, login

MEDICAL = "Tests when leukemia comes back"
MID = message_id(("", MEDICAL, ""))

# Numbers no row id can be: past PostgreSQL's integer, past SQLite's 64 bits, far past both.
IMPOSSIBLE_IDS = ["0", "2147483648", "9223372036854775808", "99999999999999999999", "9" * 400]


def count(work, model) -> int:
    with work.session() as session:
        return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def ana(app, work):
    work.user("ana", "translator", "es")
    client = app.test_client()
    login(client, "ana")
    return client


@pytest.fixture
def rita(app, work):
    work.user("rita", "reviewer", "es")
    client = app.test_client()
    login(client, "rita")
    return client


@pytest.mark.parametrize("number", IMPOSSIBLE_IDS)
def test_reverting_to_an_impossible_version_is_a_404(ana, work, number):
    url = f"/translate/es/m/{MID}"
    response = ana.post(f"{url}/revert/{number}", data={"csrf_token": csrf_token(ana, "/account"), "base": ""})
    assert response.status_code == 404
    assert count(work, Edit) == 0


@pytest.mark.parametrize("number", IMPOSSIBLE_IDS)
def test_revoking_an_impossible_approval_is_a_404(rita, work, number):
    url = f"/review/es/m/{MID}"
    response = rita.post(f"{url}/revoke/{number}", data={"csrf_token": csrf_token(rita, "/account"),
                                                         "reason": "Wrong word"})
    assert response.status_code == 404
    assert count(work, Approval) == 0


@pytest.mark.parametrize("page", ["99999999999999999999", "9" * 5000, "-3", "0", "abc", "1e9", "", "2.5"])
@pytest.mark.parametrize("who, url", [("ana", "/translate/es/"), ("rita", "/review/es/"),
                                      ("rita", "/review/es/trail")])
def test_any_page_number_shows_a_page(request, who, url, page):
    client = request.getfixturevalue(who)
    response = client.get(url, query_string={"page": page})
    assert response.status_code == 200
