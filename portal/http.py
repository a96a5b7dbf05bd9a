"""HTTP answers every part of the portal shares: the security headers (with the Content Security
Policy) and the static files' caching, and the 400 whose words are for the person. Imported by the
web wiring (``portal.web``) and by the error pages alike, so neither imports the other."""
from __future__ import annotations

import hashlib
from pathlib import Path

from flask import current_app, request
from werkzeug.exceptions import BadRequest

from portal.families.caching import STATIC_CACHE_CONTROL

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


class RefusedInput(BadRequest):
    """400 whose description is for the person: what was wrong with what they sent, what to do."""


def security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.path.startswith("/static/") and response.status_code in (200, 304):
        # Set, not setdefault: Flask has already said "no-cache". A URL with the file's own hash
        # never changes meaning, so it is kept for a year; any other (an old hash) only briefly.
        current = static_hash(request.path.removeprefix("/static/"))
        fresh = current is not None and request.args.get("v") == current
        response.headers["Cache-Control"] = STATIC_CACHE_CONTROL if fresh else "public, max-age=300"
    return response


_static_hashes: dict[tuple[str, str], str | None] = {}


def static_hash(filename: str) -> str | None:
    """The content hash of a static file (read once per process), or None if there is none."""
    folder = current_app.static_folder
    key = (folder, filename)
    if key not in _static_hashes:
        path = Path(folder) / filename
        try:
            inside = path.resolve().is_relative_to(Path(folder).resolve())
            _static_hashes[key] = hashlib.sha256(path.read_bytes()).hexdigest()[:12] if inside else None
        except OSError:
            _static_hashes[key] = None
    return _static_hashes[key]
