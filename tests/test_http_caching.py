"""Families' pages built once per publish and cacheable by anyone (issue 13): a strong ETag from what
the page is built from, 304s, Cache-Control, no cookie; the language switcher is the one address
that saves the reader's choice; static files versioned by content; /healthz; the CDN purge hook."""
from __future__ import annotations

import hashlib
import http.server
import json
import re
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from portal.families.caching import PAGE_CACHE_CONTROL as CACHE_CONTROL
from portal.families.content import SITE_PAGES
from portal.families.pages import PageCache
from portal.families.rendering import Renderer
from portal.people.accounts import find_user
from portal.review.models import Approval
from portal.review.operations import revoke_approval
from tests.conftest import close_app, login, make_app
from tests.test_faults import SPANISH_TITLE, TITLE, break_database, publish_spanish

PAGE = "/es/tests"


def revoke(work, msgid: str) -> None:
    with work.session() as session:
        approval = session.scalars(select(Approval).where(Approval.msgid == msgid, Approval.revoked_at.is_(None))).one()
        revoke_approval(session, "es", approval.id, find_user(session, "rita"), "Not this wording.")


# --- ETag, 304, render once ----------------------------------------------------------------

def test_a_family_page_has_a_strong_etag_and_answers_304(app, work):
    client = app.test_client()
    first = client.get(PAGE)
    tag = first.headers["ETag"]
    assert first.status_code == 200 and re.fullmatch(r'"[0-9a-f]{32}"', tag)  # strong: no W/
    assert first.headers["Cache-Control"] == CACHE_CONTROL
    again = client.get(PAGE, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == tag and again.headers["Cache-Control"] == CACHE_CONTROL
    assert client.get(PAGE, headers={"If-None-Match": '"something-else"'}).status_code == 200
    assert client.get("/es/").headers["ETag"] != tag  # each address its own


def test_a_publish_and_a_revocation_change_the_etag_on_the_next_request(app, work):
    client = app.test_client()
    before = client.get(PAGE)
    publish_spanish(work)
    approved = client.get(PAGE, headers={"If-None-Match": before.headers["ETag"]})
    assert approved.status_code == 200 and SPANISH_TITLE in approved.get_data(as_text=True)
    assert approved.headers["ETag"] != before.headers["ETag"]
    revoke(work, TITLE)
    revoked = client.get(PAGE, headers={"If-None-Match": approved.headers["ETag"]})
    assert revoked.status_code == 200 and SPANISH_TITLE not in revoked.get_data(as_text=True)
    assert revoked.headers["ETag"] not in (approved.headers["ETag"],)


def test_a_page_is_built_once_per_publish(app, work, monkeypatch):
    builds = []
    real = Renderer.page
    monkeypatch.setattr(Renderer, "page", lambda self, page: builds.append(page.slug) or real(self, page))
    client = app.test_client()
    bodies = {client.get(PAGE).data for _ in range(5)}
    assert len(bodies) == 1 and builds == ["tests"]
    publish_spanish(work)
    assert SPANISH_TITLE in client.get(PAGE).get_data(as_text=True)
    client.get(PAGE)
    assert builds == ["tests", "tests"]


def test_two_hosts_on_one_database_give_the_same_etag(app, work, tmp_path):
    """A CDN in front of several hosts revalidates against any of them."""
    publish_spanish(work)
    other = make_app(tmp_path / "other", Path(app.config["TRANSLATIONS_DIR"]), DATABASE_URL=app.config["DATABASE_URL"],
                     PUBLISHED_DIR=str(tmp_path / "other-published"))
    try:
        one, two = app.test_client().get(PAGE), other.test_client().get(PAGE)
        assert one.headers["ETag"] == two.headers["ETag"] and one.data == two.data
    finally:
        close_app(other)


def test_the_page_cache_is_bounded_and_keeps_one_version_per_address():
    cache = PageCache(size=3)
    for index in range(10):
        cache.put(f"/es/{index}", "t", b"x" * 10)
    assert len(cache) == 3 and cache.get("/es/0", "t") is None and cache.get("/es/9", "t") == b"x" * 10
    assert cache.bytes() == 30
    cache.put("/es/9", "newer", b"y" * 5)  # a publish: the old body goes
    assert (len(cache), cache.get("/es/9", "t"), cache.get("/es/9", "newer"), cache.bytes()) == (3, None, b"y" * 5, 25)


def test_a_404_is_not_cached_as_a_page(app):
    response = app.test_client().get("/es/no-such-page")
    assert response.status_code == 404 and "ETag" not in response.headers


# --- Cookies and the language switcher ----------------------------------------------------------

@pytest.mark.parametrize("url", ["/es/tests", "/es/", "/ar/glossary", "/en/outlook", "/es/no-such-page"])
def test_family_pages_set_no_cookie_and_do_not_vary_on_it(app, people, url):
    """Not for a reader with a saved language, nor for a signed-in staff member."""
    staff = app.test_client()
    login(staff, "tina")
    staff.set_cookie("lang", "vi")
    for client in (app.test_client(), staff):
        response = client.get(url)
        assert "Set-Cookie" not in response.headers, url
        assert "Cookie" not in response.headers.get("Vary", ""), url


def test_the_language_switcher_saves_the_choice_and_shows_the_page(app, client):
    html = client.get("/es/tests").get_data(as_text=True)
    assert '<a href="/choose-language/vi/tests" lang="vi"' in html
    assert '<link rel="alternate" hreflang="vi" href="/vi/tests">' in html  # search engines get the page itself
    response = client.get("/choose-language/vi/tests")
    assert response.status_code == 302 and response.headers["Location"] == "/vi/tests"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("lang=vi;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert response.headers["Cache-Control"] == "no-store"
    assert client.get("/", headers={"Accept-Language": "es"}).headers["Location"] == "/vi/"


def test_saved_choice_wins_over_the_browser(client):
    client.get("/choose-language/vi/")
    response = client.get("/", headers={"Accept-Language": "es"})
    assert response.headers["Location"] == "/vi/"


def test_reading_a_page_does_not_change_the_saved_choice(client):
    client.get("/choose-language/vi/")
    client.get("/ar/tests")
    assert client.get("/", headers={"Accept-Language": "es"}).headers["Location"] == "/vi/"


@pytest.mark.parametrize("url, status, location", [
    ("/choose-language/vi/no-such-page", 302, "/vi/"),
    ("/choose-language/zh-hans/tests", 301, "/choose-language/zh-Hans/tests"),
    ("/choose-language/xx/tests", 404, None),
    ("/choose-language/es/https:%2F%2Fevil.example", 404, None),
    ("/choose-language/es/evil.example", 302, "/es/"),
])
def test_the_switcher_only_goes_to_the_portals_own_pages(client, url, status, location):
    response = client.get(url)
    assert response.status_code == status
    if location:
        assert response.headers["Location"] == location


def test_the_root_differs_by_reader_and_is_not_shared_cacheable(client):
    response = client.get("/", headers={"Accept-Language": "es"})
    assert response.headers["Vary"] == "Accept-Language, Cookie"
    assert response.headers["Cache-Control"] == "private, no-cache"


# --- Static files -------------------------------------------------------------------------------

def test_static_urls_carry_the_files_hash_and_are_kept_a_year(app, client):
    html = client.get("/es/tests").get_data(as_text=True)
    css = re.search(r'href="(/static/portal\.css\?v=([0-9a-f]+))"', html)
    expected = hashlib.sha256((Path(app.static_folder) / "portal.css").read_bytes()).hexdigest()[:12]
    assert css and css.group(2) == expected
    for url, expected_cache in ((css.group(1), "public, max-age=31536000, immutable"),
                                ("/static/portal.css?v=000000000000", "public, max-age=300"),  # an old version
                                ("/static/portal.css", "public, max-age=300")):
        response = client.get(url)
        try:
            assert response.status_code == 200 and response.headers["Cache-Control"] == expected_cache, url
        finally:
            response.close()


# --- /healthz -----------------------------------------------------------------------------------

def test_healthz_says_what_is_missing_then_ok(app, work):
    client = app.test_client()
    response = client.get("/healthz")
    assert response.status_code == 503 and "no published catalog for es" in response.get_data(as_text=True)
    for code in ("es", "zh_Hans", "vi", "ar"):
        work.publish(code)
    response = client.get("/healthz")
    assert (response.status_code, response.get_data(as_text=True)) == (200, "ok\n")
    assert response.headers["Cache-Control"] == "no-store" and "Set-Cookie" not in response.headers


def test_healthz_is_503_when_the_database_does_not_answer(app, work, tmp_path):
    for code in ("es", "zh_Hans", "vi", "ar"):
        work.publish(code)
    break_database(app, tmp_path)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503 and response.get_data(as_text=True) == "the database is not answering\n"
    assert app.config["SECRET_KEY"] not in response.get_data(as_text=True)


# --- The purge hook ------------------------------------------------------------------------------

RECORDER = """
import sys
with open(sys.argv[1], "a") as out:
    out.write(" ".join(sys.argv[2:]) + "\\n")
"""


def test_every_publish_calls_the_purge_command_with_the_locales_pages(tmp_path, empty_catalogs):
    script, record = tmp_path / "record.py", tmp_path / "calls.txt"
    script.write_text(RECORDER)
    app = make_app(tmp_path, empty_catalogs, PURGE_COMMAND=f"{sys.executable} {script} {record}",
                   PUBLIC_BASE_URL="https://portal.example.org")
    from tests.conftest import Workflow

    work = Workflow(app)
    publish_spanish(work)  # two approvals, two publishes
    calls = record.read_text().splitlines()
    assert len(calls) == 2
    urls = calls[0].split()
    assert urls[0] == "https://portal.example.org/es/" and "https://portal.example.org/es/tests" in urls
    assert set(urls) == {"https://portal.example.org/es/"} | {f"https://portal.example.org/es/{slug}"
                                                                 for slug in [*app.extensions["content"], *SITE_PAGES]}
    revoke(work, TITLE)  # a revocation publishes: the CDN is told at once
    assert len(record.read_text().splitlines()) == 3
    close_app(app)


def test_a_failing_purge_never_fails_the_publish(tmp_path, empty_catalogs, caplog):
    app = make_app(tmp_path, empty_catalogs, PURGE_COMMAND=f"{sys.executable} -c 'import sys; sys.exit(3)'")
    from tests.conftest import Workflow

    work = Workflow(app)
    publish_spanish(work)
    assert SPANISH_TITLE in app.test_client().get(PAGE).get_data(as_text=True)
    assert "exited with 3" in caplog.text
    close_app(app)


def test_the_purge_url_gets_the_pages_as_cloudflare_expects(tmp_path, empty_catalogs):
    received = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, self.headers["Authorization"], json.loads(body)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        app = make_app(tmp_path, empty_catalogs, PURGE_URL=f"http://127.0.0.1:{server.server_port}/purge_cache",
                       PURGE_AUTHORIZATION="Bearer token-123", PUBLIC_BASE_URL="https://portal.example.org/")
        from tests.conftest import Workflow

        work = Workflow(app)
        work.publish("vi")
        assert len(received) == 1
        path, authorization, body = received[0]
        assert (path, authorization) == ("/purge_cache", "Bearer token-123")
        assert body["files"][0] == "https://portal.example.org/vi/" and len(body["files"]) == 1 + len(
            app.extensions["content"]) + len(SITE_PAGES)
        close_app(app)
    finally:
        server.shutdown()
        server.server_close()


def test_the_build_behind_an_etag_covers_the_code_not_only_templates(tmp_path):
    """A deploy that changes only Python code (how the glossary is sorted, say) must not let browsers
    and CDNs keep the old pages with a 304: the build id covers every file of the package."""
    from portal.families.pages import build_id

    package = tmp_path / "portal"
    (package / "templates").mkdir(parents=True)
    (package / "templates" / "page.html").write_text("<p>{{ x }}</p>")
    (package / "collation.py").write_text("ORDER = 'pyuca'\n")
    before = build_id(tmp_path / "content", package)
    (package / "collation.py").write_text("ORDER = 'pinyin'\n")
    after = build_id(tmp_path / "content", package)
    assert after != before
    (package / "__pycache__").mkdir()  # what Python writes on each host is not what was deployed
    (package / "__pycache__" / "collation.cpython-311.pyc").write_bytes(b"compiled")
    assert build_id(tmp_path / "content", package) == after


def test_the_app_builds_its_etags_from_the_whole_package(app):
    from pathlib import Path

    import portal
    from portal.families.pages import build_id

    package = Path(portal.__file__).parent
    assert app.extensions["build_id"] == build_id(Path(app.config["CONTENT_DIR"]), package,
                                                  extra=app.extensions["publisher"].fingerprint())
