"""Served catalogs: what the gate published for each locale, reloaded when its version changes.

Flask-Babel caches catalogs for the life of the process; a portal that publishes while it
runs, on several hosts, cannot use that cache. The gate stores each locale's catalog in the
database with a version; each lookup here checks the version and reloads only when it changed.
"""
from __future__ import annotations

import datetime as dt
import io
import logging
import threading

from babel.support import NullTranslations, Translations
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from portal.review.models import PublishedCatalog

log = logging.getLogger(__name__)


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


class ServedCatalogs:
    """Per-process cache of the published catalogs, by version.

    Each lookup asks the database for the locale's version (one indexed query) and loads the
    catalog and its review dates again only when the version changed, so every worker on every
    host serves a new publish on its next request, without a restart (DESIGN invariant 8).
    ``session_factory`` gives a short-lived session of its own: a family page never holds the
    request's session on a publish.
    """

    def __init__(self, session_factory):
        self._sessions = session_factory
        self._cache: dict[str, tuple[int, ServedCatalog]] = {}
        self._lock = threading.Lock()

    def version(self, locale: str) -> int | None:
        with self._sessions() as session:
            return session.scalar(select(PublishedCatalog.version).where(PublishedCatalog.locale == locale))

    def exists(self, locale: str) -> bool:
        try:
            return self.version(locale) is not None
        except SQLAlchemyError:
            return True  # the database cannot say: do not try to publish now

    def get(self, locale: str) -> ServedCatalog:
        """The locale's served catalog; the last one this worker had (or none: English) when the
        database cannot say, so a family page never fails with the database."""
        try:
            return self._get(locale)
        except SQLAlchemyError:
            log.warning("the served catalog of %s could not be read; serving what this worker has", locale,
                        exc_info=True)
            cached = self._cache.get(locale)
            return cached[1] if cached else EMPTY

    def _get(self, locale: str) -> ServedCatalog:
        with self._sessions() as session:
            version = session.scalar(select(PublishedCatalog.version).where(PublishedCatalog.locale == locale))
            if version is None:
                return EMPTY
            cached = self._cache.get(locale)
            if cached and cached[0] == version:
                return cached[1]
            row = session.get(PublishedCatalog, locale)
            catalog = ServedCatalog(Translations(io.BytesIO(row.mo)) if row.mo else NullTranslations(),
                                    {str(k): str(v) for k, v in row.reviewed.items()})
            version = row.version  # the catalog read, which may be newer than the version asked first
        with self._lock:
            self._cache[locale] = (version, catalog)
        return catalog
