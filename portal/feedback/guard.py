"""Cross-site request forgery protection for the families' feedback form. Pure: no Flask.

Why not Flask-WTF's CSRF token: that token lives in the reader's session, and families' pages have
none. A family page is built once per publish and served to every reader from the same bytes (a
browser's or CDN's cache included, ``portal.families.views.cached_page``), with no cookie, so no
per-reader secret can be put in it. The form is protected instead the way current frameworks
protect forms that have no session (Go's ``net/http.CrossOriginProtection``; OWASP's CSRF cheat
sheet, "Verifying origin with standard headers"):

1. **The browser says where the form came from** (``request_origin_problem``). Every current
   browser sends ``Sec-Fetch-Site`` with a POST: only ``same-origin`` (a page of this site) or
   ``none`` (typed by the reader, a bookmark) is accepted; ``same-site``, ``cross-site`` or anything
   else is refused. Older browsers without it send ``Origin`` on a POST: its host must be the host
   the request was sent to. Where neither is sent, a ``Referer`` (this site sends one to itself:
   ``Referrer-Policy: same-origin``) must name this host too. A request with none of the three
   does not come from a browser that a hostile page could drive (every browser that omits
   ``Sec-Fetch-Site`` sends ``Origin`` on a cross-site POST), so it is let through, as Go does:
   that is a script, which could just as well fetch the page and its form first.
2. **A signed field binds the form to its page** (``form_token``/``token_matches``): the locale
   and the page's slug, signed with the app's secret (itsdangerous). It carries no time and no
   reader, so every reader's page has the same bytes and every host (one secret) the same form.
   It is not a secret (anyone can read the page): it stops a form being sent about another page
   or in another language than the one it was shown on, and a made-up token or none at all.

The session-based CSRF check (``CSRFProtect``) is switched off for this one route only, because
of the above; every staff form keeps it.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from itsdangerous import BadSignature, Signer

TOKEN_SALT = "portal.family-feedback"
ALLOWED_FETCH_SITES = ("same-origin", "none")


def _host_of(url: str) -> str | None:
    """``host[:port]`` of an absolute http(s) URL, lower case; None for anything else ("null")."""
    try:
        parts = urlsplit(url.strip())
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            return None
        return parts.netloc.rsplit("@", 1)[-1].lower()
    except ValueError:
        return None


def _same_host(url_host: str | None, host: str, scheme: str) -> bool:
    """Whether a URL's ``host[:port]`` names the request's host, a default port written or not."""
    if url_host is None:
        return False
    default = ":443" if scheme == "https" else ":80"
    strip = (lambda h: h[: -len(default)] if h.endswith(default) else h)
    return strip(url_host) == strip(host.lower())


def request_origin_problem(sec_fetch_site: str | None, origin: str | None, referer: str | None,
                           host: str, scheme: str = "http") -> str | None:
    """Why this POST must be refused as cross-site, or None when it may go on (see the module)."""
    if sec_fetch_site:
        if sec_fetch_site.strip().lower() in ALLOWED_FETCH_SITES:
            return None
        return f"Sec-Fetch-Site is {sec_fetch_site!r}"
    if origin:
        return None if _same_host(_host_of(origin), host, scheme) else f"Origin {origin!r} is not this site"
    if referer:
        return None if _same_host(_host_of(referer), host, scheme) else "Referer is not this site"
    return None


def _signer(secret_key: str | bytes) -> Signer:
    return Signer(secret_key, salt=TOKEN_SALT)


def form_token(secret_key: str | bytes, locale: str, slug: str) -> str:
    """The hidden field of the form on ``slug`` in ``locale``: always the same for the same page."""
    return _signer(secret_key).sign(f"{locale}/{slug}".encode()).decode("ascii")


def token_matches(secret_key: str | bytes, token: str | None, locale: str, slug: str) -> bool:
    """Whether ``token`` is this app's signature for exactly this locale and page."""
    if not token or len(token) > 400:
        return False
    try:
        value = _signer(secret_key).unsign(token.encode("utf-8", "replace"))
    except BadSignature:
        return False
    return value == f"{locale}/{slug}".encode()
