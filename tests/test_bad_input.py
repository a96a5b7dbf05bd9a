"""Invariant 9: no header, cookie, URL or form field gets a 500.

Known cases first (huge row ids, page numbers), then property tests that throw generated input
at every kind of page: the families' pages, the login form and, logged in as a translator, a
reviewer and an admin of es, the staff pages and their forms. Last, one test for each 500 the
property tests found, so each stays fixed whatever the generator happens to draw.
"""
from __future__ import annotations

import io
import itertools
import re
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from portal.models import Approval, Edit, User
from portal.people.accounts import create_user
from portal.translation.catalogs import load_po, pot_path
from portal.translation.identity import message_id
from tests.conftest import PASSWORD, csrf_token, login
from tests.test_pages import SECURITY_HEADERS

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


@pytest.mark.parametrize("base", IMPOSSIBLE_IDS + ["", "-1", "1e9", "1.0", " 1", "x", "9" * 5000])
def test_a_save_based_on_an_impossible_revision_is_a_conflict_and_changes_nothing(ana, work, base):
    """The editor's base is the unit revision it showed; anything else names no revision the unit
    ever had, so the save is taken as based on a text since changed: a conflict (409) showing
    both versions, never a 500 and never an overwrite."""
    before = work.unit("es", MEDICAL)
    response = ana.post(f"/translate/es/m/{MID}", data={"csrf_token": csrf_token(ana, "/account"), "base": base,
                                                       "form0": "Pruebas cuando la leucemia vuelve"})
    assert response.status_code == 409
    assert "Someone else changed this message" in response.get_data(as_text=True)
    after = work.unit("es", MEDICAL)
    assert (after.forms_json, after.revision, after.fuzzy) == (before.forms_json, before.revision, before.fuzzy)
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


# --- the property: generated headers, cookies, URLs, query strings and form fields ------------

def assert_answered(response) -> None:
    """Not a 500, and the security headers on whatever came back (errors included)."""
    try:
        assert response.status_code != 500, response.get_data(as_text=True)[:500]
        missing = [name for name in SECURITY_HEADERS if name not in response.headers]
        assert not missing, f"{response.status} without {missing}"
    finally:
        response.close()  # static files are streamed from an open file


def pct(text: str) -> str:
    """A path segment as a browser sends it: every character percent-encoded as UTF-8."""
    return quote(text, safe="")


# Anything a segment can be: raw escapes (valid, invalid, NUL, overlong UTF-8), the portal's own
# words, numbers of every size, unicode of every kind, and very long runs.
RAW_SEGMENTS = ["", ".", "..", "%", "%%", "%zz", "%00", "%0a", "%ff", "%c0%ae%c0%ae", "%2e%2e", "%2F", "%u0041",
                "es", "en", "ar", "vi", "zh-Hans", "zh_hans", "ZH-HANS", "xx", "m", "revert", "revoke",
                "approve", "reject", "upload", "download", "trail", "static", "portal.css", "people", "active",
                "tests", "glossary", MID, "0", "-1", "1"]
SEGMENTS = st.one_of(
    st.sampled_from(RAW_SEGMENTS),
    st.text(max_size=40).map(pct),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.text(alphabet="0123456789", min_size=19, max_size=400),
    st.sampled_from(["x" * 300, "é" * 2000, "9" * 5000]).map(pct),
)
PREFIXES = st.sampled_from(["", "/es", "/zh-Hans", "/translate", "/translate/es", f"/translate/es/m/{MID}",
                            "/translate/es/upload", "/review", "/review/es", f"/review/es/m/{MID}",
                            "/admin", "/admin/people", "/static", "/login", "/account", "/staff"])
GOOD_PATHS = st.sampled_from(["/", "/es/", "/es/tests", "/zh-Hans/glossary", "/ar/outlook", "/en/treatment",
                              "/vi/", "/login", "/static/portal.css", "/zh_hans/tests", "/es/tests/feedback",
                              "/ar/glossary/feedback"])


def join_path(prefix: str, segments: list[str], slash: bool) -> str:
    return prefix + "/" + "/".join(segments) + ("/" if slash else "")


PATHS = st.one_of(GOOD_PATHS, st.builds(join_path, PREFIXES, st.lists(SEGMENTS, max_size=3), st.booleans()))
ADDRESSES = st.one_of(st.ip_addresses().map(str), st.just("127.0.0.1"))

NUMBERS = st.one_of(st.integers(min_value=-(2**70), max_value=2**70).map(str),
                    st.sampled_from(["9" * 5000, "1e999", "nan", "-0", "0x10", "１２", " 3 ", ""]))
VALUES = st.one_of(NUMBERS, st.text(max_size=60), st.sampled_from(["x" * 10000, "\x00", "%00", "\r\n"]))
QUERIES = st.dictionaries(st.sampled_from(["page", "q", "state", "show", "warnings", "next", "tag", "locale",
                                           "feedback", "x"]), VALUES, max_size=4)

LANGUAGE_TAGS = st.one_of(st.sampled_from(["es", "zh-CN", "zh-TW", "xx", "tlh", "sgn-US", "zz-ZZ", "*", "",
                                           "i-klingon", "en-US-u-ca-gregory", "ar-EG", "und"]),
                          st.from_regex(r"[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8}){0,4}", fullmatch=True))
QUALITIES = st.one_of(st.none(), st.sampled_from(["0", "1", "0.5", "2", "-1", "abc", "nan", "1e999", ""]))
ACCEPT_LANGUAGES = st.one_of(
    st.lists(st.tuples(LANGUAGE_TAGS, QUALITIES), max_size=6).map(
        lambda parts: ", ".join(tag + (f";q={q}" if q is not None else "") for tag, q in parts)),
    # Any header text a client may send (Latin-1, no line breaks).
    st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=300),
)
COOKIE_TEXT = st.one_of(st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E,
                                                        exclude_characters=';,"\\'), max_size=200),
                        st.sampled_from(["es", "zh-Hans", "xx", "", ".eJwrSS0uUbJSUFIqSS0uUVJSUlICAEJ7BkY"]))
METHODS = st.sampled_from(["GET", "GET", "GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH"])
PROPERTY = settings(max_examples=5 * settings().max_examples, deadline=None, database=None,  # ci: 300
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large])


def fresh_client(app, lang, session, remember):
    client = app.test_client()
    for name, value in (("lang", lang), ("portal_session", session), ("remember_token", remember)):
        if value is not None:
            client.set_cookie(name, value)
    return client


# Host names Werkzeug cannot use (a label over 63 characters, an empty label) and odd ones.
# (Not "xn--" names that are not punycode: Werkzeug's test client itself fails on those.)
HOSTS = st.sampled_from(["localhost", "a" * 64, "a..b", "[::1", "é", "localhost:99999", "evil.example", ""])


@PROPERTY
@given(method=METHODS, path=PATHS, query=QUERIES, accept=st.none() | ACCEPT_LANGUAGES, host=HOSTS,
       lang=st.none() | COOKIE_TEXT, session=st.none() | COOKIE_TEXT, remember=st.none() | COOKIE_TEXT)
def test_no_request_from_anyone_gets_a_500(app, method, path, query, accept, host, lang, session, remember):
    client = fresh_client(app, lang, session, remember)
    headers = {"Host": host, **({"Accept-Language": accept} if accept is not None else {})}
    # The full URL, so that a path starting with "//" stays a path (the test client would take
    # "//x/y" for a host x), as it is in a request line.
    assert_answered(client.open("http://localhost" + path, method=method, query_string=query, headers=headers))


LOGIN_TEXT = st.one_of(st.text(max_size=100), st.sampled_from(["", "ana", "ANA", "ana\x00", "x" * 81, "x" * 5000]))
REAL = "(the person's own)"
LOGINS = itertools.count()


@PROPERTY
@given(username=st.one_of(st.just(REAL), LOGIN_TEXT), password=st.one_of(st.just(REAL), LOGIN_TEXT),
       next_=st.none() | st.one_of(VALUES, st.sampled_from(["/staff/", "//evil.example", "/\r\nX-A: b", "/\\x",
                                                             "/%0d%0aSet-Cookie:x=1", "/é", "/[", "http://[::1"])),
       token=st.sampled_from(["valid", "valid", "missing", "garbage"]), accept=st.none() | ACCEPT_LANGUAGES,
       address=ADDRESSES)
def test_no_login_attempt_gets_a_500(app, work, username, password, next_, token, accept, address):
    if username == REAL:  # someone new each time: the per-account lock would stop every later login
        username = f"person{next(LOGINS)}"
        work.user(username, "translator", "es")
    password = PASSWORD if password == REAL else password
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address  # so the per-address lock does not hide the rest
    headers = {"Accept-Language": accept} if accept is not None else {}
    data = {"username": username, "password": password}
    if token != "missing":
        data["csrf_token"] = csrf_token(client) if token == "valid" else "garbage"
    query = {"next": next_} if next_ is not None else {}
    assert_answered(client.post("/login", data=data, query_string=query, headers=headers))


FEEDBACK_PAGES = st.sampled_from(["/es/tests", "/ar/glossary", "/zh-Hans/outlook", "/en/treatment"])


@PROPERTY
@given(url=FEEDBACK_PAGES, choice=st.none() | st.sampled_from(["yes", "partly", "no", "", "maybe", "\x00"])
       | st.text(max_size=20),
       text=st.none() | st.one_of(st.text(max_size=1200), st.sampled_from(["x" * 1001, "é" * 1000, "a\x00", "\r\n" * 600])),
       token=st.sampled_from(["valid", "valid", "missing", "garbage", "other page"]),
       site=st.sampled_from([None, "same-origin", "none", "cross-site", "same-site", "x"]),
       origin=st.none() | st.sampled_from(["http://localhost", "https://evil.example", "null", "", "http://[::1"]),
       address=ADDRESSES, accept=st.none() | ACCEPT_LANGUAGES)
def test_no_feedback_gets_a_500_and_only_a_good_one_is_kept(app, work, url, choice, text, token, site, origin,
                                                             address, accept):
    from portal.feedback import guard
    from portal.feedback.models import FamilyFeedback
    from portal.locales import by_tag

    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    loc, slug = by_tag(url.split("/")[1]), url.split("/")[2]
    data = {key: value for key, value in (("choice", choice), ("text", text)) if value is not None}
    if token != "missing":
        data["token"] = {"valid": guard.form_token(app.secret_key, loc.code, slug), "garbage": "x.y",
                         "other page": guard.form_token(app.secret_key, loc.code, "questions")}[token]
    headers = {name: value for name, value in (("Sec-Fetch-Site", site), ("Origin", origin),
                                               ("Accept-Language", accept)) if value is not None}
    before = count(work, FamilyFeedback)
    response = client.post(url + "/feedback", data=data, headers=headers)
    assert_answered(response)
    assert response.status_code in (200, 400, 403, 429)
    assert "Set-Cookie" not in response.headers
    kept = count(work, FamilyFeedback) - before
    assert kept == (1 if response.status_code == 200 else 0)
    if response.status_code == 200:
        assert token == "valid" and choice in ("yes", "partly", "no")
        assert site in (None, "same-origin", "none") and (site or origin in (None, "", "http://localhost"))


# --- staff pages, logged in as a translator, a reviewer and an admin of es --------------------

class Staff:
    """Logged-in clients (each with its CSRF token) and the message ids the forms act on."""

    def __init__(self, app, work):
        work.user("ana", "translator", "es")
        work.user("rita", "reviewer", "es")
        work.user("pat", "translator", "ar")  # the admin's forms change pat, never the three below
        with work.session() as session:
            create_user(session, "adam", PASSWORD, is_admin=True)
        self.clients = {}
        for name in ("ana", "rita", "adam"):
            client = app.test_client()
            assert login(client, name).status_code == 302
            self.clients[name] = (client, csrf_token(client, "/account"))
        template = load_po(pot_path(app.config["TRANSLATIONS_DIR"]))
        plural = next(e for e in template if e.msgid_plural)
        self.mids = {"medical": MID, "interface": message_id(("", "Skip to main content", "")),
                     "plural": message_id((plural.msgctxt or "", plural.msgid, plural.msgid_plural)),
                     "unknown": "0" * 16}

    def signed_in(self, who: str) -> bool:
        return self.clients[who][0].get("/staff/").status_code == 200


@pytest.fixture
def staff(app, work):
    return Staff(app, work)


# (page, whose page it is): mostly asked for by its owner, sometimes by someone without the role.
STAFF_GETS = st.sampled_from([
    ("/translate/es/", "ana"), ("/translate/es/m/{mid}", "ana"), ("/translate/es/download", "ana"),
    ("/translate/es/upload", "ana"), ("/translate/{seg}/", "ana"), ("/translate/es/m/{seg}", "ana"),
    ("/review/", "rita"), ("/review/es/", "rita"), ("/review/es/m/{mid}", "rita"), ("/review/es/trail", "rita"),
    ("/review/{seg}/", "rita"), ("/review/es/m/{seg}", "rita"),
    ("/admin/people", "adam"), ("/admin/people/{name}", "adam"), ("/admin/people/new", "adam"),
    ("/admin/publish", "adam"), ("/admin/people/{seg}", "adam"), ("/account", "ana"), ("/staff/", "rita")])
WHO = st.sampled_from(["ana", "rita", "adam"])
WHICH = st.sampled_from(["medical", "interface", "plural", "unknown"])


@PROPERTY
@given(page=STAFF_GETS, other=st.none() | st.none() | st.none() | WHO, which=WHICH, seg=SEGMENTS,
       name=st.sampled_from(["ana", "rita", "nobody"]), query=QUERIES, accept=st.none() | ACCEPT_LANGUAGES)
def test_no_staff_page_gets_a_500(staff, page, other, which, seg, name, query, accept):
    template, owner = page
    client, _ = staff.clients[other or owner]
    path = template.format(mid=staff.mids[which], seg=seg, name=name)
    headers = {"Accept-Language": accept} if accept is not None else {}
    assert_answered(client.get(path, query_string=query, headers=headers))


FORM_TEXT = st.one_of(st.text(max_size=80), st.sampled_from(["", " ", "\x00", "x" * 3000, "%(num)s", "%(", "[a](b)",
                                                             "<script>", "\u202e", "\r\n", "12", "٣"]))
BASE_RE = re.compile(r'name="base" value="([^"]*)"')
SEEN_RE = re.compile(r'name="seen"[^>]*value="([^"]*)"')


def current(client, url: str, pattern) -> str:
    match = pattern.search(client.get(url).get_data(as_text=True))
    return match.group(1) if match else ""


def small_po(language: str, plural_forms: str, msgstr: str) -> bytes:
    return (f'msgid ""\nmsgstr ""\n"Language: {language}\\n"\n"Plural-Forms: {plural_forms}\\n"\n\n'
            f'msgid "Skip to main content"\nmsgstr "{msgstr}"\n').encode("utf-8")


@st.composite
def staff_forms(draw, staff):
    """(who, url, form data) for one of the staff forms, its fields generated."""
    kind = draw(st.sampled_from(["save", "revert", "approve", "reject", "revoke", "upload", "apply", "person",
                                 "edit_person", "active", "account", "feedback_handled"]))
    mid = staff.mids[draw(WHICH)]
    real = draw(st.booleans())  # the real base/seen (the form as served), or a generated one
    if kind in ("save", "revert"):
        client, _ = staff.clients["ana"]
        url = f"/translate/es/m/{mid}"
        base = current(client, url, BASE_RE) if real else draw(st.one_of(FORM_TEXT, NUMBERS))
        data = {"base": base, "fuzzy": draw(st.sampled_from(["", "1", "yes", "\x00"]))}
        data.update({f"form{i}": draw(FORM_TEXT) for i in range(draw(st.integers(0, 7)))})
        if kind == "revert":
            url += f"/revert/{draw(st.one_of(st.integers(1, 40), NUMBERS.map(pct)))}"
        return "ana", url, data
    if kind in ("approve", "reject", "revoke"):
        client, _ = staff.clients["rita"]
        url = f"/review/es/m/{mid}"
        seen = current(client, url, SEEN_RE) if real else draw(FORM_TEXT)
        data = {"seen": seen, "note": draw(FORM_TEXT), "reason": draw(FORM_TEXT)}
        target = f"{url}/revoke/{draw(st.one_of(st.integers(1, 40), NUMBERS.map(pct)))}" if kind == "revoke" \
            else f"{url}/{kind}"
        return "rita", target, data
    if kind == "feedback_handled":
        locale = draw(st.one_of(st.sampled_from(["es", "ar", "en"]), SEGMENTS))
        item = draw(st.one_of(st.integers(1, 5).map(str), NUMBERS.map(pct), SEGMENTS))
        return draw(WHO), f"/review/{locale}/feedback/{item}/handled", {"back": draw(FORM_TEXT)}
    if kind == "upload":
        body = draw(st.one_of(st.binary(max_size=300), FORM_TEXT.map(lambda t: t.encode("utf-8")),
                              st.builds(small_po, st.sampled_from(["es", "ar", ""]),
                                        st.sampled_from(["nplurals=2; plural=(n != 1);", "x"]),
                                        st.text(alphabet=st.characters(exclude_characters='"\\\n'), max_size=40))))
        filename = draw(st.one_of(st.just("messages.po"), FORM_TEXT, FORM_TEXT.map(lambda t: t + ".po")))
        return "ana", "/translate/es/upload", {"file": (io.BytesIO(body), filename)}
    if kind == "apply":
        token = draw(st.one_of(st.text(alphabet="0123456789abcdef", min_size=32, max_size=32), SEGMENTS))
        data = {"digest": draw(FORM_TEXT), "mode": draw(st.sampled_from(["translations", "fuzzy", "x"])),
                f"conflict-{draw(FORM_TEXT)}": draw(st.sampled_from(["mine", "theirs", "x"]))}
        return "ana", f"/translate/es/upload/{token}", data
    if kind in ("person", "edit_person"):
        data = {"username": draw(FORM_TEXT), "display_name": draw(FORM_TEXT),
                "password": draw(st.one_of(st.just("long enough password"), FORM_TEXT)),
                "roles": draw(st.lists(st.one_of(st.sampled_from(["translator:es", "reviewer:ar", "reviewer:vi"]),
                                                 st.sampled_from(["admin:es", "translator:en", "reviewer"]),
                                                 FORM_TEXT), max_size=3)),
                "is_admin": draw(st.sampled_from(["", "y", "1", "\x00"]))}
        who = draw(st.sampled_from(["pat", "nobody"]))
        url = "/admin/people/new" if kind == "person" else f"/admin/people/{who}"
        return "adam", url, data
    if kind == "active":
        return "adam", f"/admin/people/{draw(st.sampled_from(['pat', 'nobody', 'adam']))}/active", \
            {"active": draw(st.sampled_from(["0", "1", "", "\x00"]))}
    # The account form, never with the real current password: the session must survive.
    return draw(WHO), "/account", {"current": draw(FORM_TEXT), "new": draw(FORM_TEXT), "confirm": draw(FORM_TEXT)}


@PROPERTY
@given(data=st.data(), token=st.sampled_from(["valid", "valid", "valid", "garbage"]))
def test_no_staff_form_gets_a_500(staff, data, token):
    who, url, form = data.draw(staff_forms(staff))
    client, valid_token = staff.clients[who]
    form["csrf_token"] = valid_token if token == "valid" else "garbage"
    response = client.post(url, data=form)
    assert_answered(response)
    assert staff.signed_in(who), f"{who} was logged out by {url}"


# --- what the property test found --------------------------------------------------------------

def test_a_role_given_twice_is_given_once(staff, work):
    """Found by test_no_staff_form_gets_a_500: a unique constraint failed (500)."""
    client, token = staff.clients["adam"]
    response = client.post("/admin/people/new", data={
        "csrf_token": token, "username": "nina", "display_name": "Nina", "password": "long enough password",
        "roles": ["translator:es", "translator:es"]})
    assert response.status_code == 302
    with work.session() as session:
        nina = session.scalars(select(User).where(User.username == "nina")).one()
        assert [(r.role, r.locale) for r in nina.roles] == [("translator", "es")]


@pytest.mark.parametrize("target", ["/\r", "/staff/\r\nSet-Cookie: x=1", "/\t/evil.example", "/staff/\x7f",
                                    "/staff/\x85"])
def test_a_next_address_with_control_characters_goes_home_after_login(app, work, target):
    """Found by test_no_login_attempt_gets_a_500: a line break cannot go in the Location header."""
    work.user("ana", "translator", "es")
    client = app.test_client()
    response = client.post("/login", query_string={"next": target},
                           data={"csrf_token": csrf_token(client), "username": "ana", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/"


def test_a_next_address_in_any_script_is_sent_as_ascii(app, work):
    work.user("ana", "translator", "es")
    client = app.test_client()
    response = client.post("/login", query_string={"next": "/translate/es/?q=leucemia 白血病"},
                           data={"csrf_token": csrf_token(client), "username": "ana", "password": PASSWORD})
    assert response.headers["Location"] == "/translate/es/?q=leucemia%20%E7%99%BD%E8%A1%80%E7%97%85"


def test_an_upload_token_too_long_for_a_file_name_is_a_404(staff):
    """Found by test_no_staff_form_gets_a_500 when pending uploads were files: the path was too long
    (OSError). They are rows now, keyed by a 32-character token: a longer one names none (404),
    and never reaches the database (PostgreSQL's varchar(32))."""
    client, token = staff.clients["ana"]
    response = client.post("/translate/es/upload/" + "9" * 300, data={"csrf_token": token, "digest": "x"})
    assert response.status_code == 404


@pytest.mark.parametrize("where", ["form", "query"])
def test_a_nul_character_in_a_form_or_query_is_refused_with_a_message(staff, work, where):
    """PostgreSQL cannot store or compare a NUL; found by the property test on PostgreSQL."""
    client, token = staff.clients["adam"]
    data = {"csrf_token": token, "username": "nina\x00", "display_name": "Nina",
            "password": "long enough password"}
    query = {"x": "\x00"} if where == "query" else {}
    if where == "query":
        data["username"] = "nina"
    response = client.post("/admin/people/new", data=data, query_string=query)
    assert response.status_code == 400
    assert "NUL character" in response.get_data(as_text=True)
    assert_answered(response)
    with work.session() as session:
        assert session.scalars(select(User).where(User.username.like("nina%"))).first() is None


@pytest.mark.parametrize("host", ["a" * 64, "a..b"])
def test_a_host_name_werkzeug_cannot_use_gets_a_plain_400_with_the_headers(client, host):
    """Routing refuses such a Host (400); the error page, which builds links, then failed too,
    and the reader got a bare 500 without the security headers."""
    response = client.get("/es/tests", headers={"Host": host})
    assert response.status_code == 400
    assert_answered(response)


def test_a_nul_character_in_a_url_is_a_404(staff):
    client, _ = staff.clients["adam"]
    response = client.get("/admin/people/ana%00")
    assert response.status_code == 404


def test_a_username_longer_than_any_is_refused_at_login(app):
    """Found on PostgreSQL: recording the attempt overflowed the 80-character column."""
    client = app.test_client()
    response = client.post("/login", data={"csrf_token": csrf_token(client), "username": "x" * 81,
                                           "password": PASSWORD})
    assert response.status_code == 400
    assert "at most 80 characters" in response.get_data(as_text=True)
