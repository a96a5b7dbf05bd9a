"""How long browsers and shared caches (a CDN, a caching proxy) may keep what families read.

One definition for every server of the families' pages: deploy/nginx-static.conf sends these for
the static export, and tests/test_static_export.py checks that nginx sends exactly these values.

* A page may be served from a cache for a minute, and for 30 s more while the cache fetches the new
  one: a revoked text stays in a reader's browser 90 s at most. Shared caches (a CDN) are told at
  once after every publish by the purge hook (``portal.review.purge``), so they need not wait.
* A file under ``/static/`` is kept for a year and never revalidated: its URL must change whenever
  its bytes do (content-hashed names), or a change would not reach browsers that have the old one.

The portal sends the same (``portal.families.views.cached_page``, ``portal.http.security_headers``);
FAMILY_CACHE_CONTROL overrides the page value in the portal (change the nginx map to match).
"""
from __future__ import annotations

PAGE_CACHE_CONTROL = "public, max-age=60, stale-while-revalidate=30"
STATIC_CACHE_CONTROL = "public, max-age=31536000, immutable"
