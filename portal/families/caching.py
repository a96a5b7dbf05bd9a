"""How long browsers and shared caches (a CDN, a caching proxy) may keep what families read.

One definition for every server of the families' pages: deploy/nginx-static.conf sends these for
the static export, and tests/test_static_export.py checks that nginx sends exactly these values.

* A page may be served from a cache for a minute, and for five more while the cache fetches the new
  one: a publish or a revocation reaches every family within about six minutes at most.
* A file under ``/static/`` is kept for a year and never revalidated: its URL must change whenever
  its bytes do (content-hashed names), or a change would not reach browsers that have the old one.

The portal itself does not send PAGE_CACHE_CONTROL yet: its pages save the reader's language in a
cookie (``portal.families.views.remember_locale``), and a response that sets a cookie must not be
kept in a shared cache.
"""
from __future__ import annotations

PAGE_CACHE_CONTROL = "public, max-age=60, stale-while-revalidate=300"
STATIC_CACHE_CONTROL = "public, max-age=31536000, immutable"
