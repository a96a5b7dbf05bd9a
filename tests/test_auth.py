"""Logging in: generic errors, lock-out per account and per address, sessions, cookies, CSRF."""
from __future__ import annotations

import datetime as dt
import os

import pytest
from sqlalchemy import func, select, update

from portal.models import LoginAttempt, LoginSession, User
from portal.people import accounts
from portal.people.throttle import MAX_ACCOUNT_FAILURES, MAX_ADDRESS_FAILURES
from tests.conftest import PASSWORD, Workflow, close_app, csrf_token, login, make_app

GENERIC = "That username and password do not match."


@pytest.fixture
def ana(work):
    work.user("ana", "translator", "es")
    return "ana"


def attempt(client, username, password, address="10.0.0.1", forwarded_for=None):
    """One try at /login from ``address`` (the TCP peer), optionally with an X-Forwarded-For header."""
    token = csrf_token(client)
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for is not None else {}
    return client.post("/login", data={"csrf_token": token, "username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address}, headers=headers)


def test_login_and_logout(client, ana):
    response = login(client, ana)
    assert response.status_code == 302 and response.headers["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    assert response.status_code == 302
    assert client.get("/staff/").status_code == 302


def test_wrong_password_and_unknown_user_get_the_same_message(client, ana):
    wrong_password = attempt(client, ana, "not the password")
    unknown_user = attempt(client, "nobody", "not the password")
    assert wrong_password.status_code == unknown_user.status_code == 401
    for response in (wrong_password, unknown_user):
        assert GENERIC in response.get_data(as_text=True)
        assert 'role="alert"' in response.get_data(as_text=True)


def test_account_locks_after_repeated_failures_and_says_when(app, client, ana, work):
    for _ in range(MAX_ACCOUNT_FAILURES - 1):
        assert attempt(client, ana, "wrong password!").status_code == 401
    locked = attempt(client, ana, "wrong password!")
    assert locked.status_code == 429
    text = locked.get_data(as_text=True)
    assert "Too many failed attempts" in text and "UTC" in text and "Try again then" in text
    # Even the right password is refused while locked, from that address.
    assert attempt(client, ana, PASSWORD).status_code == 429
    assert client.get("/staff/").status_code == 302
    # Another account from the same address is not affected.
    work.user("ben", "translator", "es")
    assert attempt(client, "ben", PASSWORD).status_code == 302


def test_a_locked_account_still_logs_in_from_an_address_that_has_not_failed(app, client, ana):
    """Failures from one address cannot keep a person out: the lock is per account and address."""
    for _ in range(MAX_ACCOUNT_FAILURES + 3):
        attempt(client, ana, "wrong password!", address="198.51.100.66")
    assert attempt(client, ana, PASSWORD, address="198.51.100.66").status_code == 429
    elsewhere = app.test_client()
    assert attempt(elsewhere, ana, PASSWORD, address="10.9.9.9").status_code == 302
    assert elsewhere.get("/staff/", environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code == 200
    # Logging in elsewhere does not reset the lock where the failures came from.
    assert attempt(client, ana, PASSWORD, address="198.51.100.66").status_code == 429


def test_lock_ends_after_fifteen_minutes(client, ana, work):
    for _ in range(MAX_ACCOUNT_FAILURES):
        attempt(client, ana, "wrong password!")
    assert attempt(client, ana, PASSWORD).status_code == 429
    with work.session() as session:
        session.execute(update(LoginAttempt).values(created_at=LoginAttempt.created_at - dt.timedelta(minutes=16)))
        session.commit()
    assert attempt(client, ana, PASSWORD).status_code == 302


@pytest.mark.parametrize("username", ["ana\x00", "\x00", "a" * 500, "ana" + "\u0301" * 100, "../../etc"])
def test_odd_usernames_get_the_generic_answer_never_an_error(client, ana, username):
    """Whatever is typed (a NUL PostgreSQL cannot store, more than the column holds): a failed
    login, or the form's own refusal (a NUL anywhere, a name longer than any username), never a
    500 and never a word about whether the account exists."""
    for _ in range(MAX_ACCOUNT_FAILURES - 1):
        response = attempt(client, username, "wrong password!")
        html = response.get_data(as_text=True)
        assert (response.status_code, GENERIC in html) == (401, True) or \
            (response.status_code == 400 and GENERIC not in html
             and ("NUL character" in html or "at most 80 characters" in html))
    assert attempt(client, ana, PASSWORD).status_code == 302


def test_unknown_usernames_lock_too_so_a_lock_reveals_nothing(client):
    for _ in range(MAX_ACCOUNT_FAILURES):
        attempt(client, "ghost", "whatever it is")
    assert attempt(client, "ghost", "whatever it is").status_code == 429


def test_address_locks_after_many_failures_across_accounts(client, ana):
    for number in range(MAX_ADDRESS_FAILURES):
        attempt(client, f"guess{number}", "wrong password!", address="10.6.6.6")
    assert attempt(client, ana, PASSWORD, address="10.6.6.6").status_code == 429
    assert attempt(client, ana, PASSWORD, address="10.7.7.7").status_code == 302


def test_ipv6_addresses_count_by_their_64_network(client, ana):
    """One host usually holds a whole IPv6 /64: new addresses from it do not get new tries."""
    for number in range(MAX_ACCOUNT_FAILURES):
        attempt(client, ana, "wrong password!", address=f"2001:db8:1:2::{number + 1:x}")
    assert attempt(client, ana, PASSWORD, address="2001:db8:1:2:ffff::9").status_code == 429
    assert attempt(client, ana, PASSWORD, address="2001:db8:1:3::1").status_code == 302


@pytest.mark.parametrize("forwarded", ["203.0.113.{n}", "203.0.113.{n}, 10.0.0.1", "{n}", "x" * 500])
def test_x_forwarded_for_is_ignored_without_trusted_proxies(client, ana, forwarded):
    """With FLASK_TRUSTED_PROXIES unset, a client naming a new address each time gets no more tries."""
    for number in range(MAX_ADDRESS_FAILURES):
        response = attempt(client, f"guess{number}", "wrong password!", address="10.6.6.6",
                           forwarded_for=forwarded.format(n=number))
        assert response.status_code in (401, 429)
    assert attempt(client, ana, PASSWORD, address="10.6.6.6", forwarded_for="192.0.2.200").status_code == 429
    for number in range(MAX_ACCOUNT_FAILURES):
        attempt(client, "ben", "wrong password!", address="10.5.5.5", forwarded_for=f"192.0.2.{number}")
    assert attempt(client, "ben", PASSWORD, address="10.5.5.5", forwarded_for="192.0.2.99").status_code == 429


@pytest.fixture
def proxied_app(tmp_path, empty_catalogs):
    """The portal behind one trusted reverse proxy (FLASK_TRUSTED_PROXIES=1) at 10.0.0.254."""
    app = make_app(tmp_path, empty_catalogs, TRUSTED_PROXIES=1)
    yield app
    close_app(app)


PROXY = "10.0.0.254"


def test_behind_a_trusted_proxy_one_visitor_cannot_lock_out_everyone(proxied_app):
    """Every request comes from the proxy's address; the limits count the address the proxy saw."""
    Workflow(proxied_app).user("ana", "translator", "es")
    attacker, colleague = proxied_app.test_client(), proxied_app.test_client()
    for number in range(MAX_ADDRESS_FAILURES):
        attempt(attacker, f"guess{number}", "wrong password!", address=PROXY, forwarded_for="203.0.113.9")
    for _ in range(MAX_ACCOUNT_FAILURES):
        attempt(attacker, "ana", "wrong password!", address=PROXY, forwarded_for="203.0.113.9")
    assert attempt(attacker, "ana", PASSWORD, address=PROXY, forwarded_for="203.0.113.9").status_code == 429
    assert attempt(colleague, "ana", PASSWORD, address=PROXY, forwarded_for="198.51.100.7").status_code == 302
    assert colleague.get("/staff/", environ_base={"REMOTE_ADDR": PROXY},
                         headers={"X-Forwarded-For": "198.51.100.7"}).status_code == 200


def test_behind_a_trusted_proxy_what_the_client_wrote_is_ignored(proxied_app):
    """The proxy appends the address it saw; addresses a client put before it change nothing."""
    Workflow(proxied_app).user("ana", "translator", "es")
    client = proxied_app.test_client()
    for number in range(MAX_ACCOUNT_FAILURES):
        attempt(client, "ana", "wrong password!", address=PROXY, forwarded_for=f"192.0.2.{number}, 203.0.113.9")
    assert attempt(client, "ana", PASSWORD, address=PROXY,
                   forwarded_for="192.0.2.250, 203.0.113.9").status_code == 429
    for number in range(MAX_ADDRESS_FAILURES):
        attempt(client, f"guess{number}", "wrong password!", address=PROXY,
                forwarded_for=f"{'x' * number * 20}, 203.0.113.10")
    assert attempt(client, "ben", "wrong password!", address=PROXY,
                   forwarded_for="192.0.2.1, 203.0.113.10").status_code == 429
    # Not an address (a proxy passing garbage along): one shared bucket, never a 500.
    assert attempt(client, "ana", "wrong password!", address=PROXY, forwarded_for="x" * 500).status_code == 401


def test_trusted_proxies_come_from_the_environment(tmp_path, empty_catalogs, monkeypatch):
    monkeypatch.setenv("FLASK_TRUSTED_PROXIES", "1")
    app = make_app(tmp_path, empty_catalogs)
    try:
        assert app.config["TRUSTED_PROXIES"] == 1
        client = app.test_client()
        for number in range(MAX_ADDRESS_FAILURES):
            attempt(client, f"guess{number}", "wrong password!", address=PROXY, forwarded_for="203.0.113.9")
        assert attempt(client, "x", "wrong password!", address=PROXY, forwarded_for="203.0.113.9").status_code == 429
        assert attempt(client, "x", "wrong password!", address=PROXY, forwarded_for="203.0.113.8").status_code == 401
    finally:
        close_app(app)


@pytest.mark.parametrize("value", ["-1", "two", "1.5", "true"])
def test_a_bad_trusted_proxies_setting_stops_the_start_and_says_what_to_write(tmp_path, empty_catalogs,
                                                                            monkeypatch, value):
    monkeypatch.setenv("FLASK_TRUSTED_PROXIES", value)
    with pytest.raises(ValueError, match="FLASK_TRUSTED_PROXIES .* number of reverse proxies"):
        make_app(tmp_path, empty_catalogs)


# --- Timing: an unknown or disabled person costs the same hash work as a wrong password ---------

@pytest.fixture
def hash_checks(monkeypatch):
    """The method of every password hash checked (e.g. "scrypt:1024:8:1"), in order."""
    checked = []
    real = accounts.check_password_hash

    def counting(pwhash, password):
        checked.append(pwhash.split("$", 1)[0])
        return real(pwhash, password)

    monkeypatch.setattr(accounts, "check_password_hash", counting)
    return checked


def _disabled(work, name="dora"):
    work.user(name, "translator", "es")
    with work.session() as session:
        accounts.set_active(session, accounts.find_user(session, name), False)
    return name


@pytest.mark.parametrize("who, password, status", [
    ("nobody", "not the password", 401),
    ("dora", PASSWORD, 401),  # disabled, right password
    ("dora", "not the password", 401),  # disabled, wrong password
    ("ana", "not the password", 401),
    ("ana", PASSWORD, 302),
])
def test_every_login_checks_one_hash_made_the_current_way(client, work, ana, hash_checks, who, password, status):
    _disabled(work)
    hash_checks.clear()
    assert attempt(client, who, password).status_code == status
    assert hash_checks == [accounts.PASSWORD_METHOD]


def test_stand_in_hash_follows_the_method_in_effect(client, ana, hash_checks, monkeypatch):
    monkeypatch.setattr(accounts, "PASSWORD_METHOD", "scrypt:2048:8:1")
    attempt(client, "nobody", "not the password")
    assert hash_checks == ["scrypt:2048:8:1"]


def _median_seconds(client, username, password, tries, addresses):
    import statistics
    import time

    times = []
    for _ in range(tries):
        token = csrf_token(client)
        started = time.perf_counter()
        response = client.post("/login", data={"csrf_token": token, "username": username, "password": password},
                               environ_base={"REMOTE_ADDR": next(addresses)})
        times.append(time.perf_counter() - started)
        assert response.status_code == 401
    return statistics.median(times)


def test_unknown_and_disabled_logins_take_as_long_as_a_wrong_password(app, work, monkeypatch):
    """With production hashing (scrypt, n=2**15): medians of 5 tries each. Without the stand-in hash
    an unknown name answered in about a tenth of the time; the bound is loose for a busy machine."""
    monkeypatch.setattr(accounts, "PASSWORD_METHOD", accounts.DEFAULT_PASSWORD_METHOD)
    work.user("ana", "translator", "es")
    _disabled(work)
    client = app.test_client()
    addresses = (f"10.44.{n // 200}.{n % 200}" for n in range(10_000))  # never reach a limit
    _median_seconds(client, "nobody", "warm up", 1, addresses)
    wrong = _median_seconds(client, "ana", "not the password", 5, addresses)
    unknown = _median_seconds(client, "nobody", "not the password", 5, addresses)
    disabled = _median_seconds(client, "dora", PASSWORD, 5, addresses)
    assert unknown > 0.5 * wrong and disabled > 0.5 * wrong, (wrong, unknown, disabled)
    assert unknown < 2 * wrong and disabled < 2 * wrong, (wrong, unknown, disabled)


def test_success_clears_the_accounts_failures(client, ana, work):
    for _ in range(MAX_ACCOUNT_FAILURES - 1):
        attempt(client, ana, "wrong password!")
    assert attempt(client, ana, PASSWORD).status_code == 302
    with work.session() as session:
        failures = session.scalar(select(func.count()).select_from(LoginAttempt)
                                  .where(LoginAttempt.username == ana, LoginAttempt.success.is_(False)))
    assert failures == 0


def _cookie(client) -> str:
    return client.get_cookie("portal_session").value


def _replay(app, cookie: str):
    """A new browser that sends a copy of someone's session cookie."""
    thief = app.test_client()
    thief.set_cookie("portal_session", cookie)
    return thief


def test_logout_ends_the_login_for_every_copy_of_the_cookie(app, client, ana):
    login(client, ana)
    copied = _cookie(client)
    assert _replay(app, copied).get("/staff/").status_code == 200  # a copy works while logged in
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    assert client.get("/staff/").status_code == 302
    replayed = _replay(app, copied)
    assert replayed.get("/staff/").status_code == 302
    assert replayed.get("/translate/es/").headers["Location"].startswith("/login")


def test_logout_ends_only_that_login(app, ana):
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, ana)
    login(phone, ana)
    laptop.post("/logout", data={"csrf_token": csrf_token(laptop, "/account")})
    assert laptop.get("/staff/").status_code == 302
    assert phone.get("/staff/").status_code == 200


def test_logins_are_recorded_with_start_last_seen_and_end(app, client, ana, work):
    login(client, ana)
    with work.session() as session:
        (row,) = session.scalars(select(LoginSession)).all()
        assert row.user_id == accounts.find_user(session, ana).id and row.ended_at is None
        assert row.id not in client.get_cookie("portal_session").value  # the cookie is signed, not plain
        # Seen again after five minutes: last_seen_at moves, at most that often.
        row.last_seen_at = before = row.last_seen_at - dt.timedelta(minutes=6)
        session.commit()
    client.get("/staff/")
    with work.session() as session:
        seen = session.scalar(select(LoginSession.last_seen_at))
        assert seen > before
    client.get("/staff/")
    with work.session() as session:
        assert session.scalar(select(LoginSession.last_seen_at)) == seen
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    with work.session() as session:
        assert session.scalar(select(LoginSession.ended_at)) is not None


def test_a_cookie_from_before_a_password_change_or_disable_stays_ended(app, client, ana, work):
    login(client, ana)
    copied = _cookie(client)
    with work.session() as session:
        person = accounts.find_user(session, ana)
        accounts.set_active(session, person, False)
        accounts.set_active(session, person, True)
    assert _replay(app, copied).get("/staff/").status_code == 302
    login(client, ana)
    copied = _cookie(client)
    with work.session() as session:
        accounts.set_password(session, accounts.find_user(session, ana), "a brand new passphrase")
    assert _replay(app, copied).get("/staff/").status_code == 302


def test_disabled_person_cannot_log_in_and_is_logged_out_on_next_request(app, work, ana):
    client = app.test_client()
    login(client, ana)
    assert client.get("/translate/es/").status_code == 200
    with work.session() as session:
        accounts.set_active(session, accounts.find_user(session, ana), False)
    assert client.get("/translate/es/").status_code == 302
    assert attempt(app.test_client(), ana, PASSWORD).status_code == 401


def test_password_change_ends_other_sessions_but_not_this_one(app, work, ana):
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, ana)
    login(phone, ana)
    response = laptop.post("/account", data={"csrf_token": csrf_token(laptop, "/account"), "current": PASSWORD,
                                             "new": "a brand new passphrase", "confirm": "a brand new passphrase"})
    assert response.status_code == 302
    assert laptop.get("/staff/").status_code == 200
    assert phone.get("/staff/").status_code == 302
    assert attempt(app.test_client(), ana, "a brand new passphrase").status_code == 302


@pytest.mark.parametrize("data, message", [
    ({"current": "wrong one", "new": "a brand new passphrase", "confirm": "a brand new passphrase"},
     "current password is not right"),
    ({"current": PASSWORD, "new": "short", "confirm": "short"}, "at least 10 characters"),
    ({"current": PASSWORD, "new": "a brand new passphrase", "confirm": "another passphrase"}, "differ"),
])
def test_bad_password_change_says_why_and_changes_nothing(client, ana, work, data, message):
    login(client, ana)
    with work.session() as session:
        before = accounts.find_user(session, ana).password_hash
    response = client.post("/account", data={"csrf_token": csrf_token(client, "/account"), **data})
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    with work.session() as session:
        assert accounts.find_user(session, ana).password_hash == before


def test_session_cookie_is_secure_httponly_samesite(client, ana):
    response = login(client, ana)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("portal_session="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_staff_pages_are_not_cached(client, ana):
    login(client, ana)
    assert client.get("/staff/").headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example",
                                    "/\\/evil.example", "javascript:alert(1)"])
def test_login_never_redirects_off_site(client, ana, target):
    token = csrf_token(client)
    response = client.post("/login", query_string={"next": target},
                           data={"csrf_token": token, "username": ana, "password": PASSWORD})
    assert response.headers["Location"] == "/staff/"


def test_login_returns_to_the_page_asked_for(client, ana):
    token = csrf_token(client)
    response = client.post("/login", query_string={"next": "/translate/es/"},
                           data={"csrf_token": token, "username": ana, "password": PASSWORD})
    assert response.headers["Location"] == "/translate/es/"


def test_logout_needs_post(client, ana):
    """A link or image pointing at /logout cannot log anyone out."""
    login(client, ana)
    assert client.get("/logout").status_code != 200
    assert client.get("/staff/").status_code == 200


def test_password_hashing_is_scrypt_by_default():
    assert accounts.DEFAULT_PASSWORD_METHOD == "scrypt"


# --- CSRF: every form refuses a post without the token, and changes nothing ---------------------

def _admin(work):
    with work.session() as session:
        accounts.create_user(session, "root", PASSWORD, is_admin=True)


def test_login_without_csrf_token_is_refused(client, ana):
    response = client.post("/login", data={"username": ana, "password": PASSWORD})
    assert response.status_code == 400
    assert "The form expired" in response.get_data(as_text=True)
    assert client.get("/staff/").status_code == 302


def test_logout_without_csrf_token_is_refused(client, ana):
    login(client, ana)
    assert client.post("/logout").status_code == 400
    assert client.get("/staff/").status_code == 200


def test_password_change_without_csrf_token_is_refused(app, client, ana, work):
    login(client, ana)
    response = client.post("/account", data={"current": PASSWORD, "new": "another passphrase!",
                                             "confirm": "another passphrase!"})
    assert response.status_code == 400
    assert attempt(app.test_client(), ana, PASSWORD).status_code == 302  # old password still works


@pytest.mark.parametrize("url, data", [
    ("/admin/people/new", {"username": "eve", "display_name": "Eve", "password": "long enough pass",
                           "roles": ["reviewer:es"]}),
    ("/admin/people/{ana}", {"display_name": "Ana", "roles": ["reviewer:es"], "is_admin": "y"}),
    ("/admin/people/{ana}/active", {"active": "0"}),
    ("/admin/publish", {}),
])
def test_admin_forms_without_csrf_token_are_refused(app, client, ana, work, url, data):
    _admin(work)
    login(client, "root")
    with work.session() as session:
        url = url.format(ana=accounts.find_user(session, ana).id)
    response = client.post(url, data=data)
    assert response.status_code == 400
    with work.session() as session:
        people = {u.username: u for u in session.scalars(select(User))}
        assert set(people) == {"ana", "root"}
        assert people["ana"].active and not people["ana"].is_admin
        assert [(r.role, r.locale) for r in people["ana"].roles] == [("translator", "es")]
    assert not os.path.exists(app.config["PUBLISHED_DIR"])
