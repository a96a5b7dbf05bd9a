"""The families' site as static files (``flask export-static DIR --base-url URL``), for nginx
(deploy/nginx-static.conf) or any static host or CDN.

Every page is the portal's own answer for its URL: a GET through the app's family routes (the
test client, in process), written byte for byte. So an export holds only what the gate published,
exactly as families read it from the portal, with nothing stripped or rewritten (the language
switcher's ``/choose-language/<tag>/<rest>`` links stay; the web server answers them).

The pages are requested with ``STATIC_EXPORT`` set (a WSGI environ key no HTTP client can set), so
the templates leave out the two forms only the portal can answer (``portal_forms_shown()``): the
search form, and the "Was this page clear?" form: it posts to the portal, and a static host (nginx with deploy/nginx-static.conf, a CDN) cannot take a POST, so
the form would only fail for the family who used it. Pointing it at the portal's own address
instead would need the pages' ``form-action 'self'`` policy and the form's same-origin check
(``portal.feedback.guard``) opened to another host; a site that wants the form can serve the
pages from the portal itself.

What the folder holds (for a host at the root of its domain: the pages link to ``/es/...``):

    <tag>/index.html     /<tag>/, for each of the five languages
    <tag>/<slug>.html    /<tag>/<slug>, every page in every language (the site's own too: about.html, how-we-checked.html)
    <tag>/404.html       the portal's page for a missing page in that language (status 404)
    static/...           every /static/ file the pages (and their stylesheets) reference, at its URL's path
    sitemap.xml          every page, each with its hreflang alternates (absolute: --base-url)
    robots.txt           allow all, and where the sitemap is

The same published catalogs give the same bytes: nothing depends on the time, and everything is
written in sorted order. The export is built in a new folder next to DIR and swapped in with one
rename (``renameat2(RENAME_EXCHANGE)`` on Linux), so a web server serving DIR sees the old export
or the new one, never a mix; until then, and whenever the export fails, DIR is left as it was.
When nothing changed, DIR is not touched at all; files whose bytes did not change keep their
modification time (and so nginx's ETag and Last-Modified).

The rendering needs Flask (``export_static``); everything else here is plain Python.
"""
from __future__ import annotations

import ctypes
import errno
import logging
import os
import posixpath
import re
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, unquote, urljoin, urlsplit
from xml.sax.saxutils import escape, quoteattr

from portal.families.content import SITE_PAGES
from portal.locales import LOCALES, TRANSLATED_LOCALES

log = logging.getLogger(__name__)

STATIC_PREFIX = "/static/"
NOT_FOUND = "404.html"  # each locale's page for a missing page: /<tag>/404.html, which no page can be
SITEMAP, ROBOTS = "sitemap.xml", "robots.txt"
FILE_MODE, DIR_MODE = 0o644, 0o755  # a web server running as another user reads the export
ATTEMPTS = 3  # renderings tried when a publish lands while the export renders

# The WSGI environ key the export's requests carry: pages rendered for the export leave out what
# needs the portal to answer (the search form). No HTTP client can set a key like this one.
STATIC_EXPORT = "portal.static_export"

Fetch = Callable[[str], "tuple[int, bytes]"]  # a URL of the portal -> its status and body


class ExportError(Exception):
    """The export could not be made; nothing was changed. The message is one line saying why."""


@dataclass
class Site:
    """A rendered site: file path (relative, '/'-separated) -> bytes, and what it holds."""

    files: dict[str, bytes] = field(default_factory=dict)
    pages: list[str] = field(default_factory=list)  # URL paths of the pages
    not_found: list[str] = field(default_factory=list)  # URL paths rendered as the 404 pages
    static: list[str] = field(default_factory=list)  # URL paths of the static files


@dataclass
class ExportReport:
    target: Path
    outcome: str  # "written" (a new folder), "replaced" (the previous export) or "unchanged"
    site: Site
    languages: int

    def summary(self) -> str:
        what = {"written": "written", "replaced": "replaced the previous export",
                "unchanged": "unchanged (the previous export is the same, byte for byte)"}[self.outcome]
        return (f"{self.target}: {what}: {len(self.site.pages)} pages in {self.languages} languages, "
                f"{len(self.site.not_found)} not-found pages, {len(self.site.static)} static file(s), "
                f"{SITEMAP} and {ROBOTS}.")


# -- URLs and files ------------------------------------------------------------------------------

def check_base_url(value: str) -> str:
    """The site's address for the sitemap, as ``scheme://host[:port]``; ExportError if it is not one.

    The pages link to ``/<tag>/...`` from the root of their host, so the export is served at the
    root of a host: a base URL with a path would give a sitemap of addresses that do not work."""
    text = (value or "").strip()
    parts = urlsplit(text)
    if (parts.scheme.lower() not in ("http", "https") or not parts.hostname or parts.path not in ("", "/")
            or parts.query or parts.fragment or parts.username or parts.password or any(c.isspace() for c in text)):
        raise ExportError(f"--base-url {value!r} is not the address of a site's root; give one such as "
                          "https://portal.example.org (the pages link to /en/..., so the export is served at the "
                          "root of a host).")
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise ExportError(f"--base-url {value!r} has a port that is not a number.") from None
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def site_paths(tags: Iterable[str], slugs: Iterable[str]) -> dict[str | None, dict[str, str]]:
    """Every page's URL path, by page (None: the list of pages) and language tag."""
    tags, slugs = list(tags), list(slugs)
    pages: dict[str | None, dict[str, str]] = {None: {tag: f"/{tag}/" for tag in tags}}
    for slug in slugs:
        pages[slug] = {tag: f"/{tag}/{slug}" for tag in tags}
    return pages


def file_for(url_path: str) -> str:
    """Where the export keeps the answer for a URL path: ``/es/`` -> ``es/index.html``, ``/es/tests`` ->
    ``es/tests.html``, ``/static/portal.css`` -> ``static/portal.css``."""
    name = _safe_path(url_path)
    if url_path.endswith("/"):
        return name + "/index.html"
    if url_path.startswith(STATIC_PREFIX):
        return name
    return name + ".html"


def _safe_path(url_path: str) -> str:
    """A URL path as a relative file path inside the export; ExportError if it would leave it."""
    name = posixpath.normpath(unquote(url_path)).lstrip("/")
    if (not url_path.startswith("/") or not name or name == "." or name.startswith("..")
            or any(part in ("", ".", "..") for part in name.split("/")) or "\x00" in name or "\\" in name):
        raise ExportError(f"the portal links to {url_path!r}, which cannot be a file of the export.")
    return name


class _References(HTMLParser):
    """Every attribute value of a page that names a file under /static/ (href, src, srcset, ...)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if not value:
                continue
            candidates = ([c.strip().split()[0] for c in value.split(",") if c.strip()] if name == "srcset"
                          else [value.strip()])
            self.found.update(c for c in candidates if c.startswith(STATIC_PREFIX))

    handle_startendtag = handle_starttag


def static_references(html: bytes | str) -> set[str]:
    """The /static/ URLs a page references (as written, query included)."""
    parser = _References()
    parser.feed(html.decode("utf-8") if isinstance(html, bytes) else html)
    parser.close()
    return parser.found


_CSS_URL = re.compile(r"""url\(\s*(["']?)([^"')]+?)\1\s*\)|@import\s+(["'])([^"']+)\3""", re.IGNORECASE)


def css_references(css: bytes | str, css_url: str) -> set[str]:
    """The /static/ URLs a stylesheet references (fonts, images, imports), resolved against its URL."""
    text = css.decode("utf-8", "replace") if isinstance(css, bytes) else css
    found = set()
    for match in _CSS_URL.finditer(text):
        ref = (match.group(2) or match.group(4) or "").strip()
        if not ref or ref.startswith(("data:", "#")):
            continue
        resolved = urljoin(css_url, ref)
        if resolved.startswith(STATIC_PREFIX):
            found.add(resolved)
    return found


def sitemap_xml(base_url: str, pages: dict[str | None, dict[str, str]]) -> bytes:
    """A sitemap of every page, each listing every language's version (``xhtml:link`` hreflang
    alternates, itself included, as search engines ask), sorted by address."""
    entries = []
    for versions in pages.values():
        alternates = "".join(f'\n    <xhtml:link rel="alternate" hreflang={quoteattr(tag)} '
                             f'href={quoteattr(base_url + quote(path))}/>' for tag, path in versions.items())
        for path in versions.values():
            entries.append((path, f"  <url>\n    <loc>{escape(base_url + quote(path))}</loc>{alternates}\n  </url>\n"))
    body = "".join(entry for _, entry in sorted(entries))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">\n'
            f"{body}</urlset>\n").encode("utf-8")


def robots_txt(base_url: str) -> bytes:
    return f"User-agent: *\nAllow: /\n\nSitemap: {base_url}/{SITEMAP}\n".encode("ascii")


# -- Rendering ------------------------------------------------------------------------------------

def render_site(fetch: Fetch, tags: Iterable[str], slugs: Iterable[str], base_url: str) -> Site:
    """Every page in every language, each language's 404 page, the static files they reference, the
    sitemap and robots.txt, through ``fetch`` (the portal's own answers). ExportError when the portal
    does not answer a page with 200 (or the 404 page with 404)."""
    tags, site = list(tags), Site()
    pages = site_paths(tags, slugs)
    html: list[bytes] = []
    for versions in pages.values():
        for path in versions.values():
            site.files[file_for(path)] = _get(fetch, path, 200)
            site.pages.append(path)
            html.append(site.files[file_for(path)])
    for tag in tags:
        path = f"/{tag}/{NOT_FOUND}"
        if any(path == p for versions in pages.values() for p in versions.values()):
            raise ExportError(f"a page is called {NOT_FOUND!r}; the export keeps each language's not-found page there.")
        site.files[f"{tag}/{NOT_FOUND}"] = _get(fetch, path, 404)
        site.not_found.append(path)
        html.append(site.files[f"{tag}/{NOT_FOUND}"])
    wanted = sorted(set().union(*(static_references(page) for page in html)))
    seen: set[str] = set()
    while wanted:
        ref = wanted.pop(0)
        path = urlsplit(ref).path
        if path in seen:
            continue
        seen.add(path)
        body = _get(fetch, ref, 200)
        site.files[file_for(path)] = body
        site.static.append(path)
        if path.lower().endswith(".css"):
            wanted.extend(sorted(css_references(body, path) - {ref}))
    site.files[SITEMAP] = sitemap_xml(base_url, pages)
    site.files[ROBOTS] = robots_txt(base_url)
    site.static.sort()
    return site


def _get(fetch: Fetch, url: str, expected: int) -> bytes:
    try:
        status, body = fetch(url)
    except Exception as exc:  # a bug or a fault while rendering: one line here, the traceback in the log
        log.exception("rendering %s for the static export failed", url)
        raise ExportError(f"the portal could not render {url} ({_one_line(exc)}).") from exc
    if status != expected:
        raise ExportError(f"the portal answered {url} with status {status} (expected {expected}; its log says why).")
    return body


def _one_line(exc: BaseException) -> str:
    text = next((line.strip() for line in str(exc).splitlines() if line.strip()), "")
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__


# -- Where the export may go ----------------------------------------------------------------------

def _is_export(folder: Path) -> bool:
    """Whether a folder holds an export (so it may be replaced): robots.txt and sitemap.xml, and
    nothing else at the top but a static folder and language folders with their list of pages."""
    names = set(os.listdir(folder))
    if not {ROBOTS, SITEMAP} <= names:
        return False
    for name in names - {ROBOTS, SITEMAP}:
        entry = folder / name
        if entry.is_symlink() or not entry.is_dir():
            return False
        if name != "static" and not (entry / "index.html").is_file():
            return False
    return True


def check_target(target: Path, protected: Iterable[tuple[str, Path]] = ()) -> None:
    """ExportError unless ``target`` may become (or be replaced by) an export: a new folder in an
    existing one, an empty folder, or a previous export; never a symlink, a file, a folder holding
    anything else, or a folder inside (or holding) one of the portal's own (``protected``)."""
    try:
        found = os.lstat(target)
    except FileNotFoundError:
        found = None
    except OSError as exc:
        raise ExportError(f"cannot use {target}: {exc.strerror}.") from None
    if found is not None:
        if stat.S_ISLNK(found.st_mode):
            raise ExportError(f"{target} is a symbolic link; give the folder itself (the export replaces the "
                              "folder, never what a link points to).")
        if not stat.S_ISDIR(found.st_mode):
            raise ExportError(f"{target} is not a folder; give a new folder, or a previous export.")
        if os.listdir(target) and not _is_export(target):
            raise ExportError(f"{target} holds files that are not a static export, and the export replaces the "
                              "whole folder; give a new or empty folder.")
    parent = target.parent
    if not parent.is_dir():
        raise ExportError(f"the folder {parent} does not exist; create it first.")
    real = Path(os.path.realpath(parent)) / target.name
    for name, place in protected:
        place_real = Path(os.path.realpath(place))
        if real == place_real or place_real in real.parents or real in place_real.parents:
            raise ExportError(f"{target} is inside, or holds, {name} ({place}), whose files only the portal "
                              "writes; choose a folder outside it.")


# -- Writing and swapping -------------------------------------------------------------------------

def _temporary_prefix(target: Path) -> str:
    return f".{target.name}.export-"


def remove_leftovers(target: Path) -> None:
    """Remove the temporary folders that killed exports of ``target`` left next to it (those of a
    process still running on this host are its own, and stay). Never fails the export."""
    prefix = _temporary_prefix(target)
    try:
        siblings = [p for p in target.parent.iterdir() if p.name.startswith(prefix)]
    except OSError:
        return
    for sibling in siblings:
        pid = sibling.name[len(prefix):].split("-", 1)[0]
        if not pid.isdigit() or _running(int(pid)):
            continue
        shutil.rmtree(sibling, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but is another user's
        return True
    return True


def write_tree(folder: Path, files: dict[str, bytes]) -> None:
    """Write ``files`` under ``folder`` in sorted order, readable by a web server (files 0644,
    folders 0755, whatever the umask), each file on disk before the folder is swapped in."""
    for name in sorted(files):
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(files[name])
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(path, FILE_MODE)
    for dirpath, _dirnames, _filenames in os.walk(folder):
        os.chmod(dirpath, DIR_MODE)
        _fsync_folder(Path(dirpath))


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_tree(folder: Path) -> dict[str, tuple[int, bytes]]:
    """Every file under ``folder``: relative path -> (permission bits, bytes); folders as (mode, b"/")."""
    tree: dict[str, tuple[int, bytes]] = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        here = Path(dirpath)
        relative = here.relative_to(folder).as_posix()
        tree[relative + "/"] = (stat.S_IMODE(here.lstat().st_mode), b"/")
        for name in sorted(filenames):
            path = here / name
            key = path.relative_to(folder).as_posix()
            info = path.lstat()
            tree[key] = (stat.S_IMODE(info.st_mode), path.read_bytes() if stat.S_ISREG(info.st_mode) else b"\0link")
    return tree


def _keep_times(new: Path, old: Path, files: dict[str, bytes]) -> None:
    """Files whose bytes did not change keep the old export's modification time (nginx's ETag and
    Last-Modified stay, so browsers and CDNs revalidating them get 304s)."""
    for name, data in files.items():
        previous = old / name
        try:
            info = previous.lstat()
            if stat.S_ISREG(info.st_mode) and info.st_size == len(data) and previous.read_bytes() == data:
                os.utime(new / name, ns=(info.st_atime_ns, info.st_mtime_ns))
        except OSError:
            continue


_AT_FDCWD, _RENAME_EXCHANGE = -100, 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step (Linux ``renameat2(RENAME_EXCHANGE)``). False where the system or
    file system cannot (then nothing happened); OSError for any other refusal."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def swap_in(new: Path, target: Path) -> Path | None:
    """Put the folder ``new`` at ``target``: one rename when there is nothing there, else one exchange
    (readers see the old folder or the new one). Returns where the old folder now is (to remove),
    or None. Where the exchange is not available, two renames, with a moment between them in which
    ``target`` is missing; if the second fails the old folder is put back."""
    if not os.path.lexists(target):
        os.rename(new, target)
        return None
    if _exchange(new, target):
        return new
    aside = Path(tempfile.mkdtemp(prefix=_temporary_prefix(target) + f"{os.getpid()}-old-", dir=target.parent))
    os.rename(target, aside / "old")
    try:
        os.rename(new, target)
    except BaseException:
        os.rename(aside / "old", target)
        shutil.rmtree(aside, ignore_errors=True)
        raise
    return aside


def publish_tree(target: Path, files: dict[str, bytes], *, before_swap: Callable[[Path], None] | None = None) -> str:
    """Write ``files`` as the folder ``target``: "written", "replaced" or "unchanged" (``target`` was
    already exactly these files: left untouched). Built in a new folder next to ``target`` and
    swapped in whole; on any failure ``target`` is as it was and the new folder is gone.
    ``before_swap(new_folder)`` runs when the new folder is complete, just before the swap."""
    remove_leftovers(target)
    new = Path(tempfile.mkdtemp(prefix=f"{_temporary_prefix(target)}{os.getpid()}-", dir=target.parent))
    old = None
    try:
        write_tree(new, files)
        existed = target.is_dir() and bool(os.listdir(target))  # an empty folder is no previous export
        if existed:
            if read_tree(new) == read_tree(target):
                return "unchanged"
            _keep_times(new, target, files)
        if before_swap is not None:
            before_swap(new)
        old = swap_in(new, target)
        try:
            _fsync_folder(target.parent)  # the swap on disk; it has happened whatever this says
        except OSError:
            log.warning("could not flush the folder %s to disk after the swap", target.parent, exc_info=True)
        return "replaced" if existed else "written"
    finally:
        for leftover in (new, old):
            if leftover is not None and os.path.lexists(leftover) and leftover != target:
                shutil.rmtree(leftover, ignore_errors=True)


# -- The portal's side ----------------------------------------------------------------------------

def export_static(app, target: Path | str, base_url: str, protected: Iterable[tuple[str, Path]] = (), *,
                  before_swap: Callable[[Path], None] | None = None) -> ExportReport:
    """Render the families' site through ``app``'s own family routes from its published catalogs, and
    write it as the folder ``target`` (see the module docstring). ExportError (one line) or OSError
    when it cannot; then ``target`` is as it was."""

    target = Path(target)
    base = check_base_url(base_url)
    check_target(target, list(protected))
    fetch = _app_fetch(app)
    served = app.extensions["served"]
    codes = [loc.code for loc in TRANSLATED_LOCALES]
    slugs = list(app.extensions["content"]) + list(SITE_PAGES)  # the pages from content/, and the site's own
    for _attempt in range(ATTEMPTS):
        before = _published_versions(served, codes)
        site = render_site(fetch, [loc.tag for loc in LOCALES], slugs, base)
        if _published_versions(served, codes) == before:
            break
        # A publish (here, on demand, or on another host) landed while the pages were rendered:
        # pages from two catalogs. Render again.
    else:
        raise ExportError(f"the published catalogs changed while the site was rendered, {ATTEMPTS} times in a row; "
                          "run the export again.")
    check_target(target, list(protected))  # again, just before anything is written next to it
    outcome = publish_tree(target, site.files, before_swap=before_swap)
    return ExportReport(target, outcome, site, len(LOCALES))


def _app_fetch(app) -> Fetch:
    client = app.test_client(use_cookies=False)  # no saved language: a page is the same for every reader

    def fetch(url: str) -> tuple[int, bytes]:
        # A fresh app context for each request: inside a command's app context the request would
        # otherwise share its `g` (the request's locale and catalogs) with every other request.
        with app.app_context():
            response = client.get(url, buffered=True, environ_base={STATIC_EXPORT: True})
            try:
                return response.status_code, response.get_data()
            finally:
                response.close()

    return fetch


def _published_versions(served, codes: list[str]) -> dict[str, object]:
    """The version of each locale's published catalog, as this process's served catalogs have it
    from the database; ExportError when the database does not say (the pages would be rendered from
    whatever this process had, perhaps not the newest publish)."""
    versions = {}
    for code in codes:
        version = served.check(code)
        if version is None:
            raise ExportError(f"the database did not say which catalog of {code} is published (not within "
                              f"{served.patience:g} s, or with an error the log shows); run the export again when "
                              "it answers.")
        versions[code] = version
    return versions
