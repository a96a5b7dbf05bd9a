"""After a publish, tell the CDN (or any shared cache) to drop the locale's family pages at once.

Family pages may be cached by anyone for a short time (``portal.families.pages.CACHE_CONTROL``);
a revoked medical text must not wait that long in a CDN. After every publish that committed, the
configured hook is called with the locale's page URLs:

* ``PURGE_COMMAND``: a command line, run with the URLs appended as arguments (for example a
  script that calls your CDN's API, or ``varnishadm``);
* ``PURGE_URL``: an HTTP POST of ``{"files": [URL, ...]}`` (Cloudflare's purge-by-URL body), with
  ``PURGE_AUTHORIZATION`` as its Authorization header if set.

URLs are absolute when ``PUBLIC_BASE_URL`` is set (CDN APIs need that). The hook has
``PURGE_TIMEOUT`` seconds (default 5); a failure is logged and never undoes or fails the publish.
"""
from __future__ import annotations

import json
import logging
import shlex
import subprocess
import urllib.request
from dataclasses import dataclass
from typing import Callable

log = logging.getLogger(__name__)


def page_urls(tag: str, slugs: list[str], base_url: str = "") -> list[str]:
    """Every family page of a locale: its list of pages, then each page."""
    base = base_url.rstrip("/")
    return [f"{base}/{tag}/"] + [f"{base}/{tag}/{slug}" for slug in slugs]


@dataclass
class PurgeHook:
    urls_for: Callable[[str], list[str]]  # locale code -> the URLs to drop
    command: str = ""
    url: str = ""
    authorization: str = ""
    timeout: float = 5.0

    def __call__(self, locale: str) -> None:
        urls = self.urls_for(locale)
        if self.command:
            try:
                done = subprocess.run(shlex.split(self.command) + urls, capture_output=True, timeout=self.timeout,
                                      stdin=subprocess.DEVNULL)
                if done.returncode != 0:
                    log.error("the purge command for %s exited with %s: %s", locale, done.returncode,
                              done.stderr.decode("utf-8", "replace")[-500:])
            except (OSError, subprocess.SubprocessError):
                log.exception("the purge command for %s could not run", locale)
        if self.url:
            headers = {"Content-Type": "application/json"}
            if self.authorization:
                headers["Authorization"] = self.authorization
            request = urllib.request.Request(self.url, data=json.dumps({"files": urls}).encode(), headers=headers,
                                             method="POST")
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    response.read()
            except OSError:
                log.exception("the purge request for %s failed", locale)
