"""Families' pages built once per publish, and cacheable by browsers and CDNs.

A family page is the same for every reader of a language until the next publish or deploy. So:

* its body is built once per (address, validator) and kept in a bounded per-process cache;
* the validator, a strong ``ETag``, is derived from what the page is built from: the address (its
  locale and page), the served catalog's digest (its bytes and review dates, wherever they came
  from) and the build (the content, templates and static files this code ships). A publish, a
  revocation or a deploy changes it, so the next request builds the page again and every browser
  and CDN that revalidates gets the new one;
* ``Cache-Control`` lets anyone cache it briefly (``portal.families.caching``), and a publish calls the purge hook (``portal.review.purge``) so a CDN drops the pages
  at once rather than at the end of that time.

Pure domain code: no Flask.
"""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from pathlib import Path


def build_id(*folders: Path, extra: str = "") -> str:
    """A digest of every file under ``folders`` (names and bytes), and of ``extra`` (settings shown
    on every page, such as the publisher's contact): what this code serves."""
    digest = hashlib.sha256(extra.encode())
    for folder in folders:
        folder = Path(folder)
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(str(path.relative_to(folder)).encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def etag(build: str, address: str, catalog_digest: str) -> str:
    """The strong validator of the page at ``address`` built from a catalog and this build."""
    return hashlib.sha256(f"{build}\0{address}\0{catalog_digest}".encode()).hexdigest()[:32]


class PageCache:
    """The body of each address's page, with the validator it was built for; at most ``size``
    addresses, the least recently read dropped first. A new publish replaces an address's body, so
    the cache holds one version per address: 20 locales x 100 pages fit the default."""

    def __init__(self, size: int = 2000):
        self.size = size
        self._pages: OrderedDict[str, tuple[str, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, address: str, tag: str) -> bytes | None:
        with self._lock:
            found = self._pages.get(address)
            if found is None or found[0] != tag:
                return None
            self._pages.move_to_end(address)
            return found[1]

    def put(self, address: str, tag: str, body: bytes) -> None:
        with self._lock:
            self._pages[address] = (tag, body)
            self._pages.move_to_end(address)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)

    def __len__(self) -> int:
        return len(self._pages)

    def bytes(self) -> int:
        with self._lock:
            return sum(len(body) for _, body in self._pages.values())
