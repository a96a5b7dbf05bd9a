"""One unit of work per request (docs/design.md, invariant 11): a page that only shows never writes
to the database, and each change commits in one place.

Every GET address the app has is requested here (the list comes from the URL map, so a new page is
covered the day it is added) by a person with every role, with the database's writes recorded.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import event

from portal.locales import TRANSLATED_LOCALES
from portal.translation.identity import message_id
from tests.conftest import login, person

WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|CREATE|DROP|ALTER)\b", re.IGNORECASE)
MESSAGE = "How well it works"


class Writes:
    """The statements that change the database, as the engine sends them."""

    def __init__(self, engine):
        self.engine = engine
        self.seen: list[str] = []
        event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        if WRITE.match(statement):
            self.seen.append(statement.split("\n")[0][:120])

    def stop(self):
        event.remove(self.engine, "before_cursor_execute", self._record)


@pytest.fixture
def everyone(app, work):
    """A person who may open every staff page of Spanish, with something on each: a saved text,
    an approval, a rejection, the trail."""
    person(work, "adam", [("translator", "es"), ("reviewer", "es")], display_name="Adam", is_admin=True)
    person(work, "tina", [("translator", "es")])
    person(work, "rita", [("reviewer", "es")])
    work.translate("es", MESSAGE, "Qué tan bien funciona", author="tina")
    work.translate("es", "Tests when leukemia comes back", "Pruebas cuando vuelve la leucemia", author="tina")
    work.approve("es", "Tests when leukemia comes back", "rita")
    for locale in TRANSLATED_LOCALES:
        work.publish(locale.code)
    client = app.test_client()
    assert login(client, "adam").status_code == 302
    return client


def get_addresses(app, work) -> list[str]:
    """Every GET address of the app, each argument filled with something that exists."""
    with work.session() as session:
        from portal.people.accounts import find_user

        adam = find_user(session, "adam").id
    values = {"tag": "es", "slug": "treatment", "locale": "es", "mid": message_id(("", MESSAGE, "")),
              "person_id": str(adam), "filename": "portal.css"}
    addresses = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        missing = set(rule.arguments) - set(values)
        assert not missing, f"{rule.rule}: give this test a value for {sorted(missing)} so the page is requested"
        addresses.append(re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: values[m.group(1)], rule.rule))
    return addresses


def test_no_page_writes_to_the_database_when_it_is_only_shown(app, work, everyone):
    addresses = get_addresses(app, work)
    assert {"/review/", "/review/es/", "/translate/es/", "/admin/people", "/es/treatment"} <= set(addresses)
    writes = Writes(app.extensions["db_engine"])
    try:
        for address in addresses:
            writes.seen.clear()
            with everyone.get(address) as response:
                assert response.status_code < 500, address
            assert writes.seen == [], f"GET {address} wrote to the database: {writes.seen}"
    finally:
        writes.stop()


def test_the_recorder_sees_a_write(app, work, everyone):
    """The check above is not blind: a POST that saves is seen writing."""
    from tests.test_review import save_text

    writes = Writes(app.extensions["db_engine"])
    try:
        save_text(everyone, MESSAGE, "Qué tan bien funciona ahora")
    finally:
        writes.stop()
    assert any(statement.startswith(("UPDATE units", "INSERT INTO edits")) for statement in writes.seen), writes.seen


def test_a_family_page_writes_only_when_the_gate_must_catch_up(app, work):
    """A family page is only shown, with one exception that is the gate's: when a language was never
    published (a fresh install) or its catalog is behind its approvals (a publish that failed), the
    first request publishes it (``portal.web.ensure_published``); once current, nothing is written."""
    family = app.test_client()
    writes = Writes(app.extensions["db_engine"])
    try:
        assert family.get("/es/treatment").status_code == 200
        assert writes.seen and all("published_catalogs" in s for s in writes.seen), writes.seen
        writes.seen.clear()
        for address in ("/es/treatment", "/es/", "/ar/glossary", "/en/tests"):
            assert family.get(address).status_code in (200, 404)
        assert [s for s in writes.seen if "published_catalogs" not in s] == []
        writes.seen.clear()
        assert family.get("/es/treatment").status_code == 200
        assert writes.seen == []
    finally:
        writes.stop()
