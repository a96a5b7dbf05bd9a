"""The static export (issue 13): `flask export-static DIR`, and deploy/nginx-static.conf serving it.

The export is the portal's own pages, from the published catalogs only: complete (every page in every
language, a 404 page per language, the static files, the sitemap and robots.txt), the same bytes when
nothing changed, and swapped in whole. Served by Debian's nginx with deploy/nginx-static.conf, every
page has exactly the portal's body, with the portal's security headers, and `/`, the language
switcher's /choose-language/ and missing pages answer as the portal does.
"""
from __future__ import annotations

import errno
import http.client
import os
import re
import shutil
import stat
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from portal import create_app
from portal.families import export
from portal.families.caching import PAGE_CACHE_CONTROL, STATIC_CACHE_CONTROL
from portal.families.content import SITE_PAGES
from portal.families.export import export_static, file_for, read_tree, static_references
from portal.http import CSP
from portal.locales import LOCALES, negotiate, parse_accept_language
from tests.conftest import ROOT, Workflow, close_app, make_app
from tests.servers import free_port, nginx, nginx_static_conf, why_no_nginx
from tests.test_faults import SPANISH, SPANISH_TITLE, publish_spanish

BASE = "https://portal.example.org"
TAGS = [loc.tag for loc in LOCALES]
SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options",
                    "Permissions-Policy")
# Medical texts: one translated and never approved, one approved and then revoked (as a reviewer does).
UNAPPROVED = ("What is a relapse?", "¿Qué es una recaída? Borrador que nadie aprobó")
REVOKED = ("Infections", "Infecciones: texto cuya aprobación se retiró")
# Shipped drafts approved as they are (their author is unknown, so any reviewer may approve them).
ARABIC, CHINESE = ("Infections", "العدوى"), ("Infections", "感染")


def approve_some(work: Workflow) -> None:
    """Approvals in three languages: Spanish site text and a page title, an Arabic and a Chinese title."""
    publish_spanish(work)
    work.user("amal", "reviewer", "ar")
    work.user("li", "reviewer", "zh_Hans")
    assert work.approve("ar", ARABIC[0], "amal").report is not None
    assert work.approve("zh_Hans", CHINESE[0], "li").report is not None


def revoke(work: Workflow, locale: str, msgid: str, reviewer: str) -> None:
    from portal.people.accounts import find_user
    from portal.review.models import Approval
    from portal.review.operations import revoke_approval

    with work.session() as session:
        approval = session.scalars(select(Approval).where(Approval.locale == locale, Approval.msgid == msgid,
                                                          Approval.revoked_at.is_(None))).one()
        revoke_approval(session, locale, approval.id, find_user(session, reviewer), "Not what the source says.")


def pages_of(app) -> list[str]:
    """Every family page's URL path, in every language (the content's pages and the site's own)."""
    slugs = list(app.extensions["content"]) + list(SITE_PAGES)
    return [f"/{tag}/" for tag in TAGS] + [f"/{tag}/{slug}" for tag in TAGS for slug in slugs]


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def everything(folder: Path) -> bytes:
    return b"\n".join(files_of(folder).values())


def portal(app, url: str, **headers):
    """The portal's own answer for ``url`` (a fresh client: no saved language), rendered as for the
    export (``export.STATIC_EXPORT``: without the search form and the "Was this page clear?" form,
    which need the portal to answer; tests/test_wayfinding.py and tests/test_feedback.py check that
    the portal's pages have them)."""
    response = app.test_client(use_cookies=False).get(url, headers=headers, buffered=True,
                                                      environ_base={export.STATIC_EXPORT: True})
    response.close()  # a static file's handle, read whole already
    return response


def siblings(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.parent.iterdir() if p.name != folder.name)


@pytest.fixture
def work(shipped_app):
    return Workflow(shipped_app)


@pytest.fixture
def site(shipped_app, work, tmp_path):
    """The shipped drafts with some approvals, exported to tmp_path/site/export."""
    approve_some(work)
    (tmp_path / "site").mkdir()
    target = tmp_path / "site" / "export"
    assert export_static(shipped_app, target, BASE).outcome == "written"
    return target


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """One export for the tests that only read it (and for nginx): the shipped drafts with some
    approvals, in a folder that nginx's workers (nobody, when the tests run as root) may enter."""
    app = make_app(tmp_path_factory.mktemp("static-export-app"), ROOT / "translations")
    folder = Path(tempfile.mkdtemp(prefix="portal-static-export-"))
    try:
        approve_some(Workflow(app))
        os.chmod(folder, 0o755)
        assert export_static(app, folder / "export", BASE).outcome == "written"
        yield app, folder / "export"
    finally:
        close_app(app)
        shutil.rmtree(folder, ignore_errors=True)


# --- (a) Complete ----------------------------------------------------------------------------------

def test_every_page_in_every_language_is_exported_with_the_portals_own_bytes(published):
    shipped_app, site = published
    pages = pages_of(shipped_app)
    assert len(pages) == len(TAGS) * (1 + len(shipped_app.extensions["content"]) + len(SITE_PAGES))
    for url in pages:
        response = portal(shipped_app, url)
        assert response.status_code == 200, url
        assert (site / file_for(url)).read_bytes() == response.data, url
    assert (site / "es" / "index.html").is_file() and (site / "zh-Hans" / "tests.html").is_file()
    assert '<html lang="ar" dir="rtl">' in (site / "ar" / "infections.html").read_text()
    assert "العدوى" in (site / "ar" / "infections.html").read_text()
    assert "感染" in (site / "zh-Hans" / "infections.html").read_text()
    assert SPANISH in (site / "es" / "tests.html").read_text() and SPANISH_TITLE in (site / "es" / "tests.html").read_text()


def test_each_language_has_the_portals_404_page(published):
    shipped_app, site = published
    for tag in TAGS:
        response = portal(shipped_app, f"/{tag}/no-such-page")
        assert response.status_code == 404
        assert (site / tag / "404.html").read_bytes() == response.data, tag
        assert f'<html lang="{tag}"' in response.get_data(as_text=True)


def test_the_static_files_the_pages_reference_are_exported_at_their_url(published):
    shipped_app, site = published
    html = [p for p in site.rglob("*.html")]
    referenced = set().union(*(static_references(p.read_bytes()) for p in html))
    assert referenced, "the pages reference their stylesheet"
    assert any(urlsplit(ref).path.endswith(".css") for ref in referenced)
    for ref in referenced:
        response = portal(shipped_app, ref)
        assert response.status_code == 200
        assert (site / urlsplit(ref).path.lstrip("/")).read_bytes() == response.data, ref
    exported = {p.relative_to(site).as_posix() for p in (site / "static").rglob("*") if p.is_file()}
    assert exported == {urlsplit(ref).path.lstrip("/") for ref in referenced}, "only what the pages use"


def test_every_link_of_every_page_leads_to_a_file_of_the_export(published):
    _, site = published
    """On a static host, a link works if its file is there; the language switcher's
    /choose-language/<tag>/<rest> (answered by the web server) must lead to one too."""
    exported = set(files_of(site))
    for page in site.rglob("*.html"):
        for href in re.findall(r'href="(/[^"]*)"', page.read_text()):
            path = urlsplit(href).path
            if path.startswith("/choose-language/"):
                path = "/" + path.split("/", 2)[2]
            assert file_for(path) in exported, f"{page.relative_to(site)} links to {href}"


def test_the_sitemap_lists_every_page_with_its_alternates_in_every_language(published):
    shipped_app, site = published
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    root = ET.fromstring((site / "sitemap.xml").read_bytes())
    urls = root.findall("s:url", ns)
    locs = [u.find("s:loc", ns).text for u in urls]
    assert sorted(locs) == sorted(BASE + url for url in pages_of(shipped_app))
    assert locs == sorted(locs), "sorted, so the file is the same for the same pages"
    for url in urls:
        loc = url.find("s:loc", ns).text
        alternates = {a.get("hreflang"): a.get("href") for a in url.findall("x:link", ns)}
        assert all(a.get("rel") == "alternate" for a in url.findall("x:link", ns))
        assert list(alternates) == TAGS and loc in alternates.values()
        rest = urlsplit(loc).path.split("/", 2)[2]
        assert alternates == {tag: f"{BASE}/{tag}/{rest}" for tag in TAGS}
    # The same alternates the pages declare in their <head>.
    head = re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', (site / "vi" / "tests.html").read_text())
    assert [(tag, BASE + href) for tag, href in head] == [(tag, f"{BASE}/{tag}/tests") for tag in TAGS]


def test_robots_allows_everything_and_names_the_sitemap(published):
    _, site = published
    robots = (site / "robots.txt").read_text()
    assert "User-agent: *" in robots and "Disallow: /" not in robots
    assert f"Sitemap: {BASE}/sitemap.xml" in robots.splitlines()


def test_a_web_server_running_as_another_user_can_read_the_export(published):
    _, site = published
    for path in [site, *site.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o755 if path.is_dir() else 0o644), (path, oct(mode))


def test_the_command_says_what_it_wrote_in_one_line(shipped_app, tmp_path):
    runner = shipped_app.test_cli_runner()
    result = runner.invoke(args=["export-static", str(tmp_path / "export"), "--base-url", BASE + "/"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"{tmp_path / 'export'}: written: {len(pages_of(shipped_app))} pages in 5 languages, 5 not-found pages, "
        "1 static file(s), sitemap.xml and robots.txt."]
    assert f"Sitemap: {BASE}/sitemap.xml" in (tmp_path / "export" / "robots.txt").read_text()
    again = runner.invoke(args=["export-static", str(tmp_path / "export"), "--base-url", BASE])
    assert again.exit_code == 0 and "unchanged" in again.output


# --- (b) Only what the gate published ---------------------------------------------------------------

def test_only_approved_translations_reach_the_export(shipped_app, work, tmp_path):
    approve_some(work)
    work.translate("es", *UNAPPROVED, author="tina")
    work.translate("es", *REVOKED, author="tina")
    assert work.approve("es", REVOKED[0], "rita").report is not None
    target = tmp_path / "export"
    export_static(shipped_app, target, BASE)
    content = everything(target).decode()
    assert SPANISH_TITLE in content and REVOKED[1] in content  # approved: exported
    assert UNAPPROVED[1] not in content  # translated, never approved: nowhere
    assert REVOKED[1] in (target / "es" / "infections.html").read_text()

    revoke(work, "es", REVOKED[0], "rita")
    assert export_static(shipped_app, target, BASE).outcome == "replaced"
    content = everything(target).decode()
    assert REVOKED[1] not in content and UNAPPROVED[1] not in content
    assert SPANISH_TITLE in content
    # Families get English where nothing approved is left, marked as English, as on the portal.
    assert '<h1 lang="en" dir="ltr">Infections</h1>' in (target / "es" / "infections.html").read_text()
    assert (target / "es" / "infections.html").read_bytes() == portal(shipped_app, "/es/infections").data


def test_an_unpublished_approval_is_exported_only_once_published(shipped_app, work, tmp_path, monkeypatch):
    """The export renders what families would get: a locale behind its approvals (a publish that
    failed) is published on demand by the first page, as on the portal, and the export renders again
    so that no page is from the older catalog."""
    from portal.review import operations

    publish_spanish(work)
    work.translate("es", *REVOKED, author="tina")
    real = operations._publish_after_decision
    monkeypatch.setattr(operations, "_publish_after_decision", lambda session, locale: (None, "disk full"))
    work.approve("es", REVOKED[0], "rita")  # recorded; its publish failed
    monkeypatch.setattr(operations, "_publish_after_decision", real)
    export_static(shipped_app, tmp_path / "export", BASE)
    assert all(REVOKED[1] in (tmp_path / "export" / "es" / name).read_text()
               for name in ("infections.html", "tests.html", "index.html"))


# --- (c) Deterministic, and swapped in whole --------------------------------------------------------

def test_two_exports_of_the_same_catalogs_are_byte_identical(shipped_app, work, tmp_path):
    approve_some(work)
    (tmp_path / "out").mkdir()
    first, second = tmp_path / "out" / "first", tmp_path / "out" / "second"
    export_static(shipped_app, first, BASE)
    export_static(shipped_app, second, BASE)
    assert files_of(first) == files_of(second) and read_tree(first) == read_tree(second)
    before = {p: p.stat().st_mtime_ns for p in first.rglob("*")}
    assert export_static(shipped_app, first, BASE).outcome == "unchanged"
    assert {p: p.stat().st_mtime_ns for p in first.rglob("*")} == before, "an unchanged export is not touched"
    assert siblings(first) == ["second"]


def test_a_change_swaps_the_whole_folder_in_and_the_old_export_is_served_until_then(shipped_app, work, site):
    old = files_of(site)
    old_times = {name: (site / name).stat().st_mtime_ns for name in old}
    work.translate("es", *REVOKED, author="tina")
    work.approve("es", REVOKED[0], "rita")
    seen = {}

    def before_swap(new: Path):
        # The new export is complete, next to the old one, which is still all there.
        seen["new"] = new
        assert new.parent == site.parent and new.name.startswith(".export.export-")
        assert files_of(site) == old
        assert REVOKED[1] in (new / "es" / "infections.html").read_text()
        assert set(files_of(new)) == set(old)

    assert export_static(shipped_app, site, BASE, before_swap=before_swap).outcome == "replaced"
    new = files_of(site)
    assert REVOKED[1] in new["es/infections.html"].decode()
    assert siblings(site) == [], "the old export and the temporary folder are gone"
    assert not seen["new"].exists()
    # Files whose bytes did not change keep their time (nginx's ETag and Last-Modified stay).
    assert new["en/tests.html"] == old["en/tests.html"]
    assert (site / "en" / "tests.html").stat().st_mtime_ns == old_times["en/tests.html"]


def test_without_an_atomic_exchange_the_folder_is_still_replaced(shipped_app, work, site, monkeypatch):
    """Where renameat2(RENAME_EXCHANGE) is not available: two renames, and the same result."""
    monkeypatch.setattr(export, "_exchange", lambda a, b: False)
    work.translate("es", *REVOKED, author="tina")
    work.approve("es", REVOKED[0], "rita")
    assert export_static(shipped_app, site, BASE).outcome == "replaced"
    assert REVOKED[1] in (site / "es" / "infections.html").read_text()
    assert siblings(site) == []


def broken_page(monkeypatch):
    """The treatment page fails to render (a bug, or a fault while rendering)."""
    from portal.families import rendering

    real = rendering.Renderer.page

    def page(self, content_page):
        if content_page.slug == "treatment":
            raise RuntimeError("the template broke")
        return real(self, content_page)

    monkeypatch.setattr(rendering.Renderer, "page", page)


def one_error_line(result) -> str:
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), f"a traceback: {result.exception!r}"
    lines = result.output.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0]


@pytest.mark.parametrize("failure", ["a page fails to render", "the disk fills up", "the swap is refused"])
def test_a_failed_export_leaves_the_previous_one_as_it_was(shipped_app, work, site, monkeypatch, failure):
    before = read_tree(site)
    times = {p: p.stat().st_mtime_ns for p in site.rglob("*")}
    work.translate("es", *REVOKED, author="tina")
    work.approve("es", REVOKED[0], "rita")
    if failure == "a page fails to render":
        broken_page(monkeypatch)
        # English pages are still the ones built for the previous export (nothing of theirs changed):
        # the first page built anew is the Spanish one.
        expected = "Error: the portal answered /es/treatment with status 500 (expected 200; its log says why)."
    elif failure == "the disk fills up":
        real = export.write_tree

        def write_tree(folder, files):
            real(folder, dict(list(sorted(files.items()))[:10]))
            raise OSError(errno.ENOSPC, "No space left on device", str(folder / "es" / "tests.html"))

        monkeypatch.setattr(export, "write_tree", write_tree)
        expected = "Error: the disk is full ("
    else:
        def swap_in(new, target):
            raise OSError(errno.EXDEV, "Invalid cross-device link", str(target))

        monkeypatch.setattr(export, "swap_in", swap_in)
        expected = "Error: Could not write the export next to"
    result = shipped_app.test_cli_runner().invoke(args=["export-static", str(site), "--base-url", BASE])
    line = one_error_line(result)
    assert line.startswith(expected), line
    assert read_tree(site) == before and {p: p.stat().st_mtime_ns for p in site.rglob("*")} == times
    assert siblings(site) == [], "the temporary folder is gone"


def test_rendering_that_raises_is_one_line_and_the_pages_are_fetched_in_order():
    """The Flask-free part: whatever fetches the pages (here a function) raising is one line."""
    asked = []

    def fetch(url):
        asked.append(url)
        if url == "/es/tests":
            raise ValueError("no catalog\nsecond line")
        return (404 if url.endswith("/404.html") else 200), b'<link href="/static/a.css?v=1">'

    with pytest.raises(export.ExportError) as caught:
        export.render_site(fetch, ["en", "es"], ["tests"], BASE)
    assert str(caught.value) == "the portal could not render /es/tests (ValueError: no catalog)."
    assert asked == ["/en/", "/es/", "/en/tests", "/es/tests"]
    site = export.render_site(lambda url: ((404 if url.endswith("/404.html") else 200),
                                           b'<link href="/static/a.css?v=1">' if ".css" not in url
                                           else b"@font-face { src: url(fonts/x.woff2) } a { background: url('/static/i.png') }"),
                              ["en"], ["tests"], BASE)
    assert sorted(site.files) == ["en/404.html", "en/index.html", "en/tests.html", "robots.txt", "sitemap.xml",
                                  "static/a.css", "static/fonts/x.woff2", "static/i.png"]
    assert site.static == ["/static/a.css", "/static/fonts/x.woff2", "/static/i.png"]


def test_a_killed_export_leaves_nothing_the_next_one_does_not_remove(shipped_app, site):
    dead = 2 ** 22 + 12345
    while True:
        try:
            os.kill(dead, 0)
            dead += 1
        except ProcessLookupError:
            break
    left = site.parent / f".export.export-{dead}-abcd"
    (left / "es").mkdir(parents=True)
    running = site.parent / f".export.export-{os.getpid()}-efgh"  # an export still running: not touched
    running.mkdir()
    export_static(shipped_app, site, BASE)
    assert not left.exists() and running.exists()


@pytest.mark.parametrize("case", ["holds other files", "is a file", "is a symlink", "inside the instance folder",
                                  "a base URL with a path", "a base URL that is not one", "parent missing"])
def test_a_folder_or_address_that_cannot_be_used_is_refused_in_one_line(shipped_app, tmp_path, case):
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    target, base = tmp_path / "export", BASE
    if case == "holds other files":
        target.mkdir()
        (target / "notes.txt").write_text("mine")
    elif case == "is a file":
        target.write_text("mine")
    elif case == "is a symlink":
        (tmp_path / "real").mkdir()
        target.symlink_to(tmp_path / "real")
    elif case == "inside the instance folder":
        target = Path(shipped_app.instance_path) / "export"
    elif case == "a base URL with a path":
        base = BASE + "/families"
    elif case == "a base URL that is not one":
        base = "portal.example.org"
    else:
        target = tmp_path / "missing" / "export"
    before = sorted(p.name for p in target.parent.iterdir()) if target.parent.exists() else None
    contents = files_of(target) if target.is_dir() else None
    line = one_error_line(shipped_app.test_cli_runner().invoke(args=["export-static", str(target), "--base-url", base]))
    assert line.endswith("was left as it was."), line
    after = sorted(p.name for p in target.parent.iterdir()) if target.parent.exists() else None
    assert after == before and (files_of(target) if target.is_dir() else None) == contents


def test_a_database_that_cannot_be_reached_is_one_line_and_writes_nothing(tmp_path):
    shutil.copytree(ROOT / "translations", tmp_path / "translations")
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret",
                      "DATABASE_URL": f"sqlite:///{tmp_path}/no-such-folder/portal.sqlite3",
                      "TRANSLATIONS_DIR": str(tmp_path / "translations"), "PUBLISHED_DIR": str(tmp_path / "published"),
                      "UPLOAD_DIR": str(tmp_path / "uploads")})
    try:
        result = app.test_cli_runner().invoke(args=["export-static", str(tmp_path / "export"), "--base-url", BASE])
        assert one_error_line(result).startswith("Error: the database is not answering (")
        assert not (tmp_path / "export").exists()
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(".export")]
    finally:
        close_app(app)


def test_the_served_catalog_must_come_from_the_database(shipped_app, tmp_path, monkeypatch):
    """A database that does not say which catalog is published: no export (this process would render
    whatever it had, perhaps an older publish)."""
    served = shipped_app.extensions["served"]
    monkeypatch.setattr(served, "check", lambda locale: None)
    with pytest.raises(export.ExportError, match="did not say which catalog of es is published"):
        export_static(shipped_app, tmp_path / "export", BASE)
    assert not (tmp_path / "export").exists()


# --- (d) Served by nginx ---------------------------------------------------------------------------

ACCEPT_LANGUAGES = [
    "es", "es-MX,es;q=0.9,en;q=0.8", "ES", "es-419", "es_ES", "zh-CN,zh;q=0.9", "zh-CN", "zh-SG", "zh-Hans",
    "zh-hans-tw", "zh", "Zh-cN", "zh_CN", "zh-MY", "zh-TW,zh;q=0.9", "zh-TW", "zh-HK", "zh-MO", "zh-Hant",
    "zh-Hant-CN", "zh-US", "zh-min-nan, vi", "zh-yue, es", "zh-x-private", "ar", "ar-EG,ar;q=0.9,en;q=0.8", "arb",
    "vi-VN,vi;q=0.9,en-US;q=0.8,en;q=0.7", "en-US,en;q=0.9", "en-GB, es;q=0.5", "fr-FR,fr;q=0.9", "fr, es;q=0.5",
    "de;q=0.9, ar;q=0.8", "es;q=0, vi;q=0.5", "es;q=0.0, ar", "es;q=0.000,zh-TW,zh-SG;q=0.2", "*", "", "tlh",
    "i-klingon, vi", "x-pig-latin, ar", "eng, es", "fil, vi", "ast,es", " es ; q = 0.5 ", "pt-BR,pt;q=0.9",
]


@pytest.fixture(scope="module")
def served(published):
    """Debian's nginx serving the module's export with deploy/nginx-static.conf on a free port."""
    reason = why_no_nginx()
    if reason:
        pytest.skip(reason)
    app, export_folder = published
    port = free_port()
    with nginx(nginx_static_conf(export_folder, port), export_folder.parent / "nginx", port):
        yield app, Server(port), export_folder


class Server:
    def __init__(self, port: int):
        self.port = port

    def get(self, path: str, **headers):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request("GET", path, headers={k.replace("_", "-"): v for k, v in headers.items()})
            response = connection.getresponse()
            return response.status, response.headers, response.read()
        finally:
            connection.close()


def assert_security_headers(headers, portal_headers=None):
    expected = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
                "X-Frame-Options": "DENY", "Permissions-Policy": "camera=(), microphone=(), geolocation=()"}
    assert {name: headers.get(name) for name in SECURITY_HEADERS} == expected
    if portal_headers is not None:
        assert {name: portal_headers.get(name) for name in SECURITY_HEADERS} == expected
    for name in SECURITY_HEADERS:
        assert len(headers.get_all(name)) == 1, name


def test_nginx_serves_every_page_with_the_portals_body_and_headers(served):
    app, server, _ = served
    for url in pages_of(app):
        status, headers, body = server.get(url)
        response = portal(app, url)
        assert status == 200, url
        assert body == response.data, url
        assert headers["Content-Type"] == response.headers["Content-Type"] == "text/html; charset=utf-8"
        assert headers["Cache-Control"] == PAGE_CACHE_CONTROL
        assert headers.get("Set-Cookie") is None and headers.get("Vary") is None
        assert_security_headers(headers, response.headers)


def test_nginx_serves_the_static_files_for_a_year(served):
    app, server, export_folder = served
    refs = sorted(set().union(*(static_references(p.read_bytes()) for p in export_folder.rglob("*.html"))))
    for ref in refs:
        status, headers, body = server.get(ref)
        response = portal(app, ref)
        assert status == 200 and body == response.data
        assert headers["Content-Type"] == response.headers["Content-Type"]
        assert headers["Cache-Control"] == STATIC_CACHE_CONTROL
        assert_security_headers(headers)


def test_nginx_serves_the_sitemap_and_robots(served):
    _, server, export_folder = served
    for name, kind in (("sitemap.xml", "text/xml; charset=utf-8"), ("robots.txt", "text/plain; charset=utf-8")):
        status, headers, body = server.get("/" + name)
        assert status == 200 and body == (export_folder / name).read_bytes()
        assert headers["Content-Type"] == kind


@pytest.mark.parametrize("accept, expected", [("es", "es"), ("zh-CN", "zh-Hans"), ("ar", "ar"), ("vi", "vi"),
                                              ("en-US", "en"), ("fr", "en"), (None, "en")])
def test_root_picks_the_language_from_accept_language(served, accept, expected):
    app, server, _ = served
    status, headers, _ = server.get("/", **({"Accept-Language": accept} if accept is not None else {}))
    assert status == 302 and headers["Location"] == f"/{expected}/"
    assert headers["Vary"] == "Accept-Language, Cookie"
    assert "private" in headers["Cache-Control"] and "no-store" in headers["Cache-Control"]
    assert headers.get("Set-Cookie") is None
    assert_security_headers(headers)
    response = portal(app, "/", **({"Accept-Language": accept} if accept is not None else {}))
    assert response.status_code == 302 and response.headers["Location"] == headers["Location"]
    assert response.headers["Vary"] == headers["Vary"]


def test_root_chooses_as_the_portal_does_for_many_accept_language_headers(served):
    """Headers as browsers send them (best first): nginx's choice is the portal's."""
    app, server, _ = served
    differ = []
    for accept in ACCEPT_LANGUAGES:
        expected = (negotiate(parse_accept_language(accept)) or LOCALES[0]).tag
        assert portal(app, "/", Accept_Language=accept).headers["Location"] == f"/{expected}/"
        _, headers, _ = server.get("/", Accept_Language=accept)
        if headers["Location"] != f"/{expected}/":
            differ.append((accept, expected, headers["Location"]))
    assert differ == []


@pytest.mark.parametrize("cookie, expected", [("vi", "vi"), ("ar", "ar"), ("zh-Hans", "zh-Hans"), ("ZH_hans", "zh-Hans"),
                                              ("ES", "es"), ("en", "en"), ("fr", "es"), ("", "es")])
def test_root_picks_the_saved_language_before_the_browsers(served, cookie, expected):
    app, server, _ = served
    status, headers, _ = server.get("/", Cookie=f"lang={cookie}", Accept_Language="es")
    assert status == 302 and headers["Location"] == f"/{expected}/"
    client = app.test_client()
    client.set_cookie("lang", cookie)
    assert client.get("/", headers={"Accept-Language": "es"}).headers["Location"] == f"/{expected}/"


@pytest.mark.parametrize("tag, rest", [("vi", "/tests"), ("es", "/"), ("zh-Hans", "/glossary"), ("ar", "/outlook"),
                                       ("en", "/")])
def test_choose_language_saves_the_choice_and_goes_to_the_page(served, tag, rest):
    _, server, _ = served
    status, headers, _ = server.get(f"/choose-language/{tag}{rest}")
    assert status == 302 and headers["Location"] == f"/{tag}{rest}"
    assert headers.get_all("Set-Cookie") == [f"lang={tag}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly"]
    assert "private" in headers["Cache-Control"] and "public" not in headers["Cache-Control"]
    assert_security_headers(headers)
    # The browser then asks for the page, and the saved choice is what `/` picks from now on.
    assert server.get(headers["Location"])[0] == 200
    assert server.get("/", Cookie=f"lang={tag}", Accept_Language="ar" if tag != "ar" else "es")[1]["Location"] == f"/{tag}/"


@pytest.mark.parametrize("path", ["/choose-language/fr/tests", "/choose-language/xx/", "/choose-language/es",
                                  "/choose-language/", "/choose-language/es/%0d%0aSet-Cookie:%20x=1",
                                  "/choose-language/es/tests%0d%0aX:1"])
def test_choose_language_answers_only_for_the_five_languages(served, path):
    _, server, export_folder = served
    status, headers, body = server.get(path)
    assert status == 404 and body == (export_folder / "en" / "404.html").read_bytes()
    assert headers.get("Set-Cookie") is None and headers.get("X") is None
    assert_security_headers(headers)


@pytest.mark.parametrize("tag", TAGS)
def test_a_missing_page_gets_its_languages_404_page(served, tag):
    app, server, export_folder = served
    for path in (f"/{tag}/no-such-page", f"/{tag}/tests.html", f"/{tag}/index.html", f"/{tag}/404.html"):
        status, headers, body = server.get(path)
        response = portal(app, path)
        assert status == 404 == response.status_code, path
        assert body == response.data, path
        assert headers["Content-Type"] == "text/html; charset=utf-8"
        assert_security_headers(headers)
    # Deeper: the portal's router does not see a language there (its page is in the reader's); nginx
    # answers in the folder's language.
    for path in (f"/{tag}/tests/", f"/{tag}/a/b"):
        status, _, body = server.get(path)
        assert status == 404 and body == (export_folder / tag / "404.html").read_bytes(), path


def test_a_missing_page_outside_the_languages_gets_the_english_404_page(served):
    app, server, export_folder = served
    for path in ("/no-such-page", "/fr/", "/fr/tests", "/static/", "/static/no-such.css", "/admin/people"):
        status, headers, body = server.get(path)
        assert status == 404, path
        assert body == (export_folder / "en" / "404.html").read_bytes() == portal(app, "/en/no-such-page").data, path
        assert headers.get("Cache-Control") != STATIC_CACHE_CONTROL, "a missing file is not kept for a year"
        assert_security_headers(headers)


def test_a_language_without_its_slash_goes_to_its_list_of_pages(served):
    _, server, _ = served
    for tag in TAGS:
        status, headers, _ = server.get(f"/{tag}")
        assert status == 308 and headers["Location"] == f"/{tag}/"


def test_no_location_of_the_nginx_config_drops_the_security_headers():
    """nginx drops the server block's add_header in a location with an add_header of its own: the
    config keeps them all at the server level (the tests above check the answers; this, the file)."""
    text = (ROOT / "deploy" / "nginx-static.conf").read_text()
    code = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    blocks = re.findall(r"(?m)^\s*location\b[^{]*\{[^}]*\}", code)
    assert len(blocks) >= 5
    for block in blocks:
        assert "add_header" not in block, block
    assert f'"{CSP}"' in code
    assert f'"{PAGE_CACHE_CONTROL}"' in code and f'"{STATIC_CACHE_CONTROL}"' in code
