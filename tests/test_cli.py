"""`flask users`, `flask review approve`, `flask translate publish|status`: rules and clear errors."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from portal.models import Approval, PublishedCatalog, User
from tests.conftest import served_mo

MEDICAL = "Tests when leukemia comes back"


def approvals(work) -> int:
    with work.session() as session:
        return session.scalar(select(func.count()).select_from(Approval))


def users(work) -> int:
    with work.session() as session:
        return session.scalar(select(func.count()).select_from(User))


def test_users_create_reviewer_with_printed_password(runner, work):
    result = runner.invoke(args=["users", "create", "rita", "--role", "reviewer", "--locale", "es"])
    assert result.exit_code == 0, result.output
    assert "Created rita (reviewer es)." in result.output
    password = result.output.split("Password: ")[1].strip()
    assert len(password) >= 12
    with work.session() as session:
        user = session.scalars(select(User).where(User.username == "rita")).one()
        assert user.has_role("reviewer", "es") and not user.has_role("reviewer", "ar")
        assert user.password_hash.startswith("scrypt:")
        assert password not in user.password_hash


@pytest.mark.parametrize("args, message", [
    (["users", "create", "x", "--role", "reviewer", "--locale", "fr"], "Unknown locale 'fr'"),
    (["users", "create", "x", "--role", "reviewer", "--locale", "en"], "source language"),
    (["users", "create", "x", "--role", "reviewer", "--locale", "es", "--password", ""], "password is empty"),
    (["users", "create", "x", "--role", "chief", "--locale", "es"], "Invalid value for '--role'"),
    (["users", "create", "x", "--role", "reviewer"], "--role and --locale together"),
    (["users", "create", "   ", "--password", "long enough pw"], "username is required"),
])
def test_bad_user_input_is_refused_and_changes_nothing(runner, work, args, message):
    result = runner.invoke(args=args)
    assert result.exit_code != 0
    assert message in result.output
    assert users(work) == 0


def test_duplicate_username_is_refused(runner, work):
    assert runner.invoke(args=["users", "create", "ana", "--password", "first password"]).exit_code == 0
    result = runner.invoke(args=["users", "create", "ana", "--password", "second password"])
    assert result.exit_code == 1 and "taken" in result.output
    assert users(work) == 1


def test_approve_one_message_publishes_it(runner, work, app, client):
    work.user("tina", "translator", "es")
    work.user("rita", "reviewer", "es")
    work.translate("es", MEDICAL, "Pruebas cuando la leucemia vuelve", author="tina")
    result = runner.invoke(args=["review", "approve", "es", "--reviewer", "rita", "--msgid", MEDICAL])
    assert result.exit_code == 0, result.output
    assert "Approved 1 message(s) for es as rita." in result.output
    assert served_mo(app, "es").find(MEDICAL).msgstr == "Pruebas cuando la leucemia vuelve"
    assert "<h1>Pruebas cuando la leucemia vuelve</h1>" in client.get("/es/tests").get_data(as_text=True)


def test_reviewer_cannot_approve_text_they_wrote(runner, work, client):
    """Invariant 3: four eyes."""
    work.user("rita", "reviewer", "es")
    work.translate("es", MEDICAL, "Pruebas cuando la leucemia vuelve", author="rita")
    result = runner.invoke(args=["review", "approve", "es", "--reviewer", "rita", "--msgid", MEDICAL])
    assert result.exit_code == 1
    assert "you wrote this text" in result.output
    assert approvals(work) == 0
    assert "Pruebas cuando" not in client.get("/es/tests").get_data(as_text=True)


def test_four_eyes_holds_even_when_someone_else_saved_the_same_text_later(runner, work):
    work.user("rita", "reviewer", "es")
    work.user("tina", "translator", "es")
    work.translate("es", MEDICAL, "Pruebas", author="rita")
    work.translate("es", MEDICAL, "Pruebas", author="tina")
    result = runner.invoke(args=["review", "approve", "es", "--reviewer", "rita", "--msgid", MEDICAL])
    assert result.exit_code == 1 and approvals(work) == 0


def test_approve_all_skips_own_text_and_approves_the_rest(runner, work):
    work.user("rita", "reviewer", "es")
    work.user("tina", "translator", "es")
    work.translate("es", MEDICAL, "Pruebas cuando la leucemia vuelve", author="rita")
    work.translate("es", "Infections", "Infecciones", author="tina")
    work.translate("es", "Glossary", "Glosario")  # author unknown: edited outside the portal
    result = runner.invoke(args=["review", "approve", "es", "--reviewer", "rita", "--all"])
    assert result.exit_code == 0, result.output
    assert "Approved 2 message(s)" in result.output
    assert "skipped 'Tests when leukemia comes back': you wrote this text" in result.output
    with work.session() as session:
        rows = {a.msgid: a for a in session.scalars(select(Approval))}
    assert set(rows) == {"Infections", "Glossary"}
    assert rows["Glossary"].author_known is False
    assert rows["Infections"].author_known is True


def test_reviewer_of_another_locale_cannot_approve(runner, work):
    work.user("vic", "reviewer", "vi")
    work.user("tina", "translator", "es")
    work.translate("es", MEDICAL, "Pruebas", author="tina")
    result = runner.invoke(args=["review", "approve", "es", "--reviewer", "vic", "--all"])
    assert result.exit_code == 1
    assert "no reviewer role for es" in result.output
    assert approvals(work) == 0


def test_translator_cannot_approve(runner, work):
    work.user("tina", "translator", "es")
    work.user("tom", "translator", "es")
    work.translate("es", MEDICAL, "Pruebas", author="tom")
    result = runner.invoke(args=["review", "approve", "es", "--reviewer", "tina", "--msgid", MEDICAL])
    assert result.exit_code == 1 and approvals(work) == 0


@pytest.mark.parametrize("args, message", [
    (["review", "approve", "es", "--reviewer", "rita"], "exactly one of --all or --msgid"),
    (["review", "approve", "es", "--reviewer", "rita", "--all", "--msgid", "x"], "exactly one of"),
    (["review", "approve", "es", "--reviewer", "nobody", "--all"], "No person called 'nobody'"),
    (["review", "approve", "fr", "--reviewer", "rita", "--all"], "Unknown locale 'fr'"),
    (["review", "approve", "es", "--reviewer", "rita", "--msgid", "Not a message"], "No message with msgid"),
    (["review", "approve", "es", "--reviewer", "rita", "--msgid", "Skip to main content"], "fails a blocking check"),
    (["review", "approve", "es", "--reviewer", "rita", "--msgid", "Infections"], "no translation yet"),
])
def test_bad_approve_requests_are_refused_clearly(runner, work, args, message):
    work.user("rita", "reviewer", "es")
    work.translate("es", "Skip to main content", "Saltar <b>ya</b>")  # blocked: raw HTML
    result = runner.invoke(args=args)
    assert result.exit_code != 0
    assert message in result.output
    assert approvals(work) == 0


def test_fuzzy_text_cannot_be_approved(runner, work):
    work.user("rita", "reviewer", "es")
    work.translate("es", MEDICAL, "Pruebas", fuzzy=True)
    result = runner.invoke(args=["review", "approve", "es", "--reviewer", "rita", "--msgid", MEDICAL])
    assert result.exit_code == 1 and "fuzzy" in result.output


def test_text_with_a_changed_link_cannot_be_approved(runner, work):
    work.user("rita", "reviewer", "es")
    source = "You may hear the word [recurrence](glossary:recurrence)."
    template_entry = next(e for e in work.app.extensions["content"]["what-is-relapse"].messages()
                          if "(glossary:recurrence)" in e.text)
    bad = template_entry.text.replace("glossary:recurrence", "https://example.org")
    work.translate("es", template_entry.text, bad)
    result = runner.invoke(args=["review", "approve", "es", "--reviewer", "rita", "--msgid", template_entry.text])
    assert result.exit_code == 1 and "blocking check" in result.output
    del source


def test_publish_prints_counts_and_time(runner):
    result = runner.invoke(args=["translate", "publish"])
    assert result.exit_code == 0, result.output
    for code in ("es", "zh_Hans", "vi", "ar"):
        assert f"{code}: " in result.output
    assert "Published in" in result.output and " ms" in result.output


def test_status_prints_a_row_per_locale(runner, work):
    work.translate("es", "Skip to main content", "Saltar")
    result = runner.invoke(args=["translate", "status"])
    assert result.exit_code == 0, result.output
    header = result.output.splitlines()[0].split()
    lines = {line.split()[0]: line for line in result.output.splitlines()[1:]}
    assert set(lines) == {"es", "zh_Hans", "vi", "ar"}
    assert header[:4] == ["locale", "untranslated", "fuzzy", "translated"]
    # "Skip to main content" (4 words) is translated in es only.
    assert "1 / 4w" in lines["es"] and "1 / 4w" not in lines["vi"]


def repository_po(work, locale: str, texts: dict[str, str]) -> None:
    """Write the repository's .po of ``locale``: the units as they are, with ``texts`` put in as
    if someone edited the file by hand (not imported)."""
    from portal.translation.files import catalog
    from portal.translation.pofile import dumps

    with work.session() as session:
        po = catalog(session, locale)
    for msgid, text in texts.items():
        po.find(msgid).msgstr = text
    path = work.paths.po(locale)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps(po), encoding="utf-8")


def test_publish_builds_the_served_catalog_from_the_database(runner, work, app, client):
    """`flask translate publish` reads the units and approvals, never the repository's .po: a text
    approved in the database is served; a different text written into the file is not; each
    publish stores a new version of the locale's row."""
    from portal.people.accounts import find_user
    from portal.review import rules
    from portal.translation import units

    work.user("tina", "translator", "es")
    work.user("rita", "reviewer", "es")
    work.translate("es", MEDICAL, "Pruebas cuando la leucemia vuelve", author="tina")
    with work.session() as session:  # approved, but not published yet
        rules.approve(session, units.find(session, "es", MEDICAL)[0], find_user(session, "rita"))
        session.commit()
    repository_po(work, "es", {MEDICAL: "Texto del archivo", "Infections": "Infecciones"})
    with work.session() as session:
        assert session.get(PublishedCatalog, "es") is None
    result = runner.invoke(args=["translate", "publish", "es"])
    assert result.exit_code == 0, result.output
    assert "es: 1 served (1 approved, 0 previously approved, 0 staff only)" in result.output
    assert "version 1," in result.output
    served = served_mo(app, "es")
    assert served.find(MEDICAL).msgstr == "Pruebas cuando la leucemia vuelve"
    assert served.find("Infections") is None
    assert "<h1>Pruebas cuando la leucemia vuelve</h1>" in client.get("/es/tests").get_data(as_text=True)
    again = runner.invoke(args=["translate", "publish", "es"])
    assert again.exit_code == 0 and "version 2," in again.output
    with work.session() as session:
        assert session.get(PublishedCatalog, "es").version == 2
        assert session.get(PublishedCatalog, "vi") is None  # only the locale named


def test_status_counts_the_units_in_the_database_not_the_files(runner, work):
    """`flask translate status` reads the units: a translation only in the repository's file does
    not count; an approval in the database does; a locale without units says so."""
    from sqlalchemy import delete

    from portal.translation.models import Unit

    work.user("tina", "translator", "es")
    work.user("rita", "reviewer", "es")
    work.translate("es", "Infections", "Infecciones", author="tina")
    work.approve("es", "Infections", "rita")
    repository_po(work, "vi", {"Skip to main content": "Chuyển đến nội dung chính"})
    with work.session() as session:
        session.execute(delete(Unit).where(Unit.locale == "ar"))
        session.commit()
    result = runner.invoke(args=["translate", "status"])
    assert result.exit_code == 0, result.output
    header = result.output.splitlines()[0].split()
    lines = {line.split()[0]: line for line in result.output.splitlines()[1:]}
    assert header[1:7] == ["untranslated", "fuzzy", "translated", "awaiting", "approved", "rejected"]
    cells = {code: dict(zip(header[1:7], re.findall(r"(\d+ / \d+)w", line))) for code, line in lines.items()}
    # es: "Infections" (1 word) approved; vi: nothing translated although its file has a text.
    assert cells["es"]["approved"] == "1 / 1" and cells["es"]["awaiting"] == "0 / 0"
    assert all(cells["vi"][state] == "0 / 0" for state in header[2:7])
    assert "no units (flask translate update)" in lines["ar"]


def test_db_upgrade_is_idempotent(runner):
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0


def test_demo_creates_people_for_every_language_once(runner, work):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    lines = [line.split() for line in result.output.splitlines() if line.startswith("  demo-")]
    assert len(lines) == 9 and all(len(password) >= 12 for _, password in lines)
    with work.session() as session:
        people = {u.username: u for u in session.scalars(select(User))}
        assert people["demo-admin"].is_admin
        for code in ("es", "zh_Hans", "vi", "ar"):
            assert people[f"demo-translator-{code}"].has_role("translator", code)
            assert people[f"demo-reviewer-{code}"].has_role("reviewer", code)
            assert not people[f"demo-translator-{code}"].has_role("reviewer", code)
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 1 and "already exist" in again.output
    assert users(work) == 9


def test_demo_refuses_a_shared_database_server(app):
    app.config["DATABASE_URL"] = "postgresql+psycopg://portal@db.example.org/portal"
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 1 and "local database" in result.output


def test_nothing_creates_people_by_itself(runner, work):
    """`make run` upgrades and publishes; neither adds anyone (demo people only on request)."""
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert runner.invoke(args=["translate", "publish"]).exit_code == 0
    assert users(work) == 0
