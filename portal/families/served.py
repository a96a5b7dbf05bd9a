"""Served catalogs: what the gate published for each locale, reloaded when its version changes,
and served without waiting on a database that does not answer.

A catalog loaded once for the life of the process (as Flask-Babel does) cannot serve a portal
that publishes while it runs, on several hosts. The gate stores each locale's catalog in the
database with a version; each lookup here checks the version and reloads only when it changed.

A family page needs nothing from the database but that version (and, after a publish, the new
catalog). So the check runs in a thread of its own, and the request waits for it a bounded time:

* a new check: up to ``patience`` (2 s by default). A database that answers at all answers in
  milliseconds, so a publish or a revocation is served on the very next request (docs/design.md, invariant
  8) whenever the database is up;
* a check already running for longer than ``wait`` (100 ms by default): the database is late
  (stopped, frozen, locked), and the request waits at most ``wait`` more before serving the last
  catalog this worker loaded; once it has run past the patience, the database is not answering,
  and requests serve that catalog without waiting at all.

One check per locale is in flight at a time, so a frozen database holds at most one thread per
locale and per process, never the request threads, and only the first request of a freeze waits
``patience``; when the database answers again, the next request catches up.

Every catalog loaded is also written to this host's local copy (``local_dir``, one file per
locale holding the catalog and its review dates together), so a worker that starts while the
database is down serves what was last published instead of English.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import logging
import queue
import threading
import time
from pathlib import Path

from babel.support import NullTranslations, Translations
from sqlalchemy import select

from portal.review.gate import is_behind
from portal.review.models import PublishedCatalog

log = logging.getLogger(__name__)


class ServedCatalog:
    """One locale's published translations."""

    def __init__(self, translations: NullTranslations, reviewed: dict[str, str] | None = None, digest: str = ""):
        self.translations = translations
        self._catalog = getattr(translations, "_catalog", {})
        self._reviewed = reviewed or {}
        # What the catalog is, whatever database or copy it came from: pages built from it are
        # cached, and validated by browsers and CDNs, under this (``portal.families.pages``).
        self.digest = digest

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

    def lookup_plural(self, singular: str, number: int) -> str | None:
        """The served form of a plural message for ``number``, or None when families get English."""
        plural = getattr(self.translations, "plural", None)
        if plural is None:
            return None
        found = self._catalog.get((singular, plural(number)))
        return found if found else None

    def ngettext(self, singular: str, plural: str, number: int) -> str:
        return self.translations.ungettext(singular, plural, number)

    def __len__(self) -> int:
        return len(self._catalog)

    @classmethod
    def from_bytes(cls, mo: bytes, reviewed: dict) -> ServedCatalog:
        reviewed = {str(k): str(v) for k, v in reviewed.items()}
        digest = hashlib.sha256(mo + json.dumps(reviewed, sort_keys=True).encode()).hexdigest()[:32]
        return cls(Translations(io.BytesIO(mo)) if mo else NullTranslations(), reviewed, digest)


EMPTY = ServedCatalog(NullTranslations(), digest="english")

UNPUBLISHED = "unpublished"  # the database answered: nothing was ever published for the locale


class _Check:
    """One look at the database for a locale, in its own thread."""

    def __init__(self):
        self.started = time.monotonic()
        self.done = threading.Event()
        self.version: int | None | str = None  # a version, UNPUBLISHED, or None (no answer)
        self.behind = False  # review decisions were recorded after the catalog was built


class ServedCatalogs:
    """Per-process cache of the published catalogs, by version (see the module docstring).

    ``session_factory`` gives a short-lived session of its own: a family page never holds the
    request's session on a publish. ``prepare`` runs in the checking thread before its first
    query (the app's schema check). ``wait`` and ``patience``: see the module docstring.
    """

    def __init__(self, session_factory, local_dir: str | Path | None = None, *, prepare=None,
                 wait: float = 0.1, patience: float = 2.0):
        self._sessions = session_factory
        self._local_dir = Path(local_dir) if local_dir else None
        self._prepare = prepare
        self.wait, self.patience = wait, patience
        self._cache: dict[str, tuple[int, ServedCatalog]] = {}
        self._checks: dict[str, _Check] = {}
        self._tried_local: set[str] = set()
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._idle = self._threads = 0  # checking threads waiting for a check; all of them
        self._from_database: set[str] = set()  # locales whose cached catalog the database gave
        self._lock = threading.Lock()

    # -- what requests call ------------------------------------------------------------------

    def get(self, locale: str) -> ServedCatalog:
        """The locale's served catalog: the newest one when the database answers in time, else the
        last one this worker had (or its local copy; or none: English). Never raises."""
        self.check(locale)
        return self.cached(locale)

    def cached(self, locale: str) -> ServedCatalog:
        """The catalog this worker has now, without asking the database (after a ``check``)."""
        cached = self._cache.get(locale)
        return cached[1] if cached else EMPTY

    def needs_publish(self, locale: str) -> bool:
        """Whether the database answered, in time, that the locale was never published or that its
        catalog is behind its review decisions (``gate.is_behind``): a publish on demand is due.
        False when it did not answer: nothing is published against a database that is not there."""
        check = self._check(locale)
        return check is not None and (check.version == UNPUBLISHED or check.behind)

    def check(self, locale: str) -> int | str | None:
        """Bring the cache up to the database, waiting at most the bound. The version the database
        gave (or UNPUBLISHED), or None when it did not answer in time."""
        check = self._check(locale)
        return check.version if check is not None else None

    def _check(self, locale: str) -> _Check | None:
        """The finished check of this request (None: the database did not answer in time)."""
        self._local(locale)
        with self._lock:
            check = self._checks.get(locale)
            if check is None:
                check = self._checks[locale] = _Check()
                self._start(locale, check)
        running = time.monotonic() - check.started
        if locale not in self._cache or running <= self.wait:
            bound = self.patience  # a new check, or nothing to serve without it
        elif running <= self.patience:
            bound = self.wait  # late: the database may still answer
        else:
            bound = 0.0  # past the patience: the database is not answering; do not wait on it
        if not check.done.wait(bound):
            log.warning("the database did not say in %.2f s which catalog of %s is published; serving "
                        "what this worker has", bound, locale)
            return None
        return check

    # -- the checking threads --------------------------------------------------------------

    def _start(self, locale: str, check: _Check) -> None:
        """Hand the check to an idle checking thread, or start one (called under the lock). The
        threads stay for the next checks: starting a thread per request cost more than the check.
        They are daemons, so one waiting on a frozen database never holds up the process's exit;
        there are never more than the checks in flight at once (one per locale)."""
        self._jobs.put((locale, check))
        if self._idle:
            self._idle -= 1  # taken: the next check finds no idle thread until this one is back
            return
        self._threads += 1
        threading.Thread(target=self._work, daemon=True, name=f"served-catalogs-{self._threads}").start()

    def _work(self) -> None:
        while True:
            locale, check = self._jobs.get()
            self._run(locale, check)
            with self._lock:
                self._idle += 1

    def _run(self, locale: str, check: _Check) -> None:
        try:
            check.version, check.behind = self._load(locale)
        except Exception:  # the database is down, locked, not migrated: serve what we have
            log.warning("the served catalog of %s could not be read; serving what this worker has", locale,
                        exc_info=True)
        finally:
            with self._lock:
                if self._checks.get(locale) is check:
                    del self._checks[locale]
            check.done.set()

    def _load(self, locale: str) -> tuple[int | str, bool]:
        if self._prepare is not None:
            self._prepare()
        with self._sessions() as session:
            version = session.scalar(select(PublishedCatalog.version).where(PublishedCatalog.locale == locale))
            if version is None:
                return UNPUBLISHED, False
            behind = is_behind(session, locale)
            cached = self._cache.get(locale)
            if cached and cached[0] == version and locale in self._from_database:
                return version, behind
            row = session.get(PublishedCatalog, locale)
            mo, reviewed, version = row.mo or b"", dict(row.reviewed), row.version  # may be newer than asked
        catalog = ServedCatalog.from_bytes(mo, reviewed)
        with self._lock:
            # Never replace a newer load with an older one (two checks that raced); a local copy is
            # always replaced: its version may be from another database altogether.
            if locale not in self._from_database or self._cache[locale][0] <= version:
                self._cache[locale] = (version, catalog)
                self._from_database.add(locale)
        self._save_local(locale, version, mo, reviewed)
        return version, behind

    # -- this host's local copy ------------------------------------------------------------

    def local_path(self, locale: str) -> Path | None:
        return self._local_dir / f"{locale}.json" if self._local_dir else None

    def _save_local(self, locale: str, version: int, mo: bytes, reviewed: dict) -> None:
        """Write the catalog and its review dates to one file (one atomic replace: never one without
        the other). A full or read-only disk only costs the copy: logged, and the page is served."""
        path = self.local_path(locale)
        if path is None:
            return
        from portal.translation.catalogs import atomic_write

        data = json.dumps({"locale": locale, "version": version, "mo": base64.b64encode(mo).decode("ascii"),
                           "reviewed": reviewed}, ensure_ascii=False).encode()
        try:
            atomic_write(path, data)
        except OSError:
            log.warning("could not write the local copy of the served catalog of %s to %s", locale, path,
                        exc_info=True)

    def _local(self, locale: str) -> None:
        """Once per locale and process, before the first check: start from the local copy."""
        if locale in self._cache or locale in self._tried_local:
            return
        self._tried_local.add(locale)
        path = self.local_path(locale)
        if path is None or not path.is_file():
            return
        try:
            saved = json.loads(path.read_bytes())
            if saved.get("locale") != locale:
                raise ValueError("the file is for another locale")
            catalog = ServedCatalog.from_bytes(base64.b64decode(saved["mo"]), saved.get("reviewed") or {})
            version = int(saved["version"])
        except Exception:  # a damaged copy is no copy: the database (or English) it is
            log.warning("the local copy %s of the served catalog is unreadable; ignoring it", path, exc_info=True)
            return
        with self._lock:
            self._cache.setdefault(locale, (version, catalog))
