"""Served catalogs: the published ``.mo`` files, reloaded when a publish replaces them.

Flask-Babel caches catalogs for the life of the process; a portal that
publishes while it runs cannot use that cache. Each lookup here stats the
published file (cheap) and reloads it when the publish's ``os.replace`` gave
it a new inode or mtime, so every worker serves a new publish on its next
request, without a restart.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import threading
from pathlib import Path

from babel.support import NullTranslations, Translations

from portal.review.gate import published_mo, reviewed_file


class ServedCatalog:
    """One locale's published translations."""

    def __init__(self, translations: NullTranslations, reviewed: dict[str, str] | None = None):
        self.translations = translations
        self._catalog = getattr(translations, "_catalog", {})
        self._reviewed = reviewed or {}

    def last_reviewed(self, msgids) -> dt.datetime | None:
        """When the newest approval among the served texts of these messages was given, or None."""
        found = [self._reviewed[m] for m in msgids if self._reviewed.get(m)]
        return dt.datetime.fromisoformat(max(found)) if found else None

    def lookup(self, msgid: str, msgctxt: str = "") -> str | None:
        """The served translation of a singular message, or None when families get English."""
        key = f"{msgctxt}\x04{msgid}" if msgctxt else msgid
        found = self._catalog.get(key)
        return found if found else None

    def gettext(self, msgid: str) -> str:
        return self.lookup(msgid) or msgid

    def ngettext(self, singular: str, plural: str, number: int) -> str:
        return self.translations.ungettext(singular, plural, number)

    def __len__(self) -> int:
        return len(self._catalog)


EMPTY = ServedCatalog(NullTranslations())


def _read_reviewed(path: Path) -> dict[str, str]:
    """The approval dates the gate wrote beside the catalog; none if missing or unreadable
    (the page then just does not show a date)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


class ServedCatalogs:
    """Per-process cache of served catalogs, keyed by the published file's identity."""

    def __init__(self, published_dir: Path):
        self.published_dir = Path(published_dir)
        self._cache: dict[str, tuple[tuple, ServedCatalog]] = {}
        self._lock = threading.Lock()

    def exists(self, locale: str) -> bool:
        return published_mo(self.published_dir, locale).exists()

    def get(self, locale: str) -> ServedCatalog:
        path = published_mo(self.published_dir, locale)
        try:
            handle = open(path, "rb")
        except FileNotFoundError:
            return EMPTY
        with handle:
            # fstat of the open file: the identity and the bytes read belong to the same file,
            # even if a publish replaces the path in between.
            stat = os.fstat(handle.fileno())
            identity = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
            cached = self._cache.get(locale)
            if cached and cached[0] == identity:
                return cached[1]
            catalog = ServedCatalog(Translations(handle), _read_reviewed(reviewed_file(self.published_dir, locale)))
        with self._lock:
            self._cache[locale] = (identity, catalog)
        return catalog
