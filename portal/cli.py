"""Command line: ``flask translate``, ``flask users``, ``flask review``, ``flask export-static``.

Thin: each command parses its arguments, calls one domain operation and
prints the outcome. Errors a person can cause exit with status 1 and say what
to do; so do the machine's (a full disk, a read-only folder, a database that does not
answer), for every command at once (``portal.faults``, applied in ``init_app``).
"""
from __future__ import annotations

import logging
import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy.engine import make_url

from portal import db, faults
from portal.current import current_paths, current_terms
from portal.db import get_session
from portal.locales import TRANSLATED_LOCALES, UnknownLocale, by_code
from portal.models import ROLES
from portal.people import accounts
from portal.review import exports, gate, operations
from portal.review.rules import ReviewError
from portal.translation import catalogs
from portal.translation import operations as translation_operations
from portal.translation.catalogs import CatalogError

log = logging.getLogger(__name__)


def _kept() -> None:
    """Commit the command's change before it says what it did: a commit that fails (a full disk)
    is then reported as the command's error, never printed as done. What is left of the command's
    unit of work (``portal.db.command_unit_of_work``) then commits nothing more."""
    db.commit(get_session())


def _locales(requested: tuple[str, ...]) -> list[str]:
    try:
        return [by_code(code).code for code in requested] or [loc.code for loc in TRANSLATED_LOCALES]
    except UnknownLocale as exc:
        raise click.ClickException(str(exc)) from None


translate_cli = AppGroup("translate", help="The template, the units, publishing, and .po files in and out.")


@translate_cli.command("extract")
def extract_command():
    """Rebuild translations/messages.pot from babel.cfg (Python, templates, content/)."""
    paths = current_paths()
    changed = catalogs.write_template(paths.root, paths.mapping_file, paths.template)
    click.echo(f"{paths.template}: {'updated' if changed else 'already current'}.")


@translate_cli.command("update")
@click.argument("locales", nargs=-1)
def update_command(locales):
    """Merge the template into the units of every locale (or those named), in one transaction:
    new messages, changed sources (fuzzy, previous source kept), messages gone (obsolete)."""
    try:
        results = translation_operations.update_locales(current_paths(), get_session(), _locales(locales),
                                                        current_terms())
    except CatalogError as exc:
        raise click.ClickException(f"{exc} Nothing was changed.") from None
    _kept()
    for result in results:
        click.echo(f"{result.locale}: {result.added} new, {result.fuzzy} carried over as fuzzy, "
                   f"{result.obsolete} no longer in the template.")


@translate_cli.command("import")
@click.argument("locales", nargs=-1)
@click.option("--replace", is_flag=True, help="Take the file's text where it differs from the portal's.")
def import_command(locales, replace):
    """Read the repository's .po files (translations/<locale>/LC_MESSAGES/messages.po) into the
    units, through the same checks as an upload; texts that differ are reported, not applied."""
    try:
        reports = translation_operations.import_locales(current_paths(), get_session(), _locales(locales),
                                                        current_terms(), replace=replace)
    except CatalogError as exc:
        raise click.ClickException(f"{exc} Nothing was imported, in any locale.") from None
    _kept()
    for report in reports:
        code = report.locale
        if report.missing_file:
            click.echo(f"{code}: no file at {current_paths().po(code)}; nothing imported.")
            continue
        click.echo(f"{code}: {report.applied} imported, {len(report.conflicts)} differ from the portal "
                   f"({'replaced' if replace else 'kept the portal' + chr(39) + 's'}), {len(report.failures)} "
                   f"refused by the checks, {len(report.unknown)} not in the template.")
        for msgid, problems in report.failures[:20]:
            click.echo(f"  refused {msgid[:60]!r}: {'; '.join(problems)}")


@translate_cli.command("export")
@click.argument("locales", nargs=-1)
def export_command(locales):
    """Write the units to the repository's .po files: the same bytes for the same data."""
    session = get_session()
    for code in _locales(locales):
        try:
            changed = translation_operations.export_locale(current_paths(), session, code)
        except OSError as exc:
            if faults.is_fault(exc):
                raise  # a full disk, a read-only folder: reported with the files already written
            raise click.ClickException(f"Could not write {current_paths().po(code)}: {exc.strerror}.") from None
        click.echo(f"{current_paths().po(code)}: {'written' if changed else 'already current'}.")


@translate_cli.command("publish")
@click.argument("locales", nargs=-1)
def publish_command(locales):
    """Build the served catalogs through the gate (all locales, or those named). Says which were
    behind their approvals (an approval or revocation whose publish failed); a locale that fails
    to publish is reported, the others are published, and the command exits with status 1."""
    started = time.perf_counter()
    session = get_session()
    codes = _locales(locales)
    behind = gate.behind_locales(session)
    failed = []
    for code in codes:
        try:
            report = operations.publish_locale(session, code)
        except Exception as exc:  # reported, and the other locales are still published
            session.rollback()
            log.exception("publishing %s failed", code)
            failed.append(code)
            click.echo(f"{code}: publishing failed: {operations.failure_reason(exc)}. Families still see the "
                       f"previous catalog{'; it is still behind its approvals' if code in behind else ''}.")
            continue
        click.echo(f"{code}: {report.served} served ({report.approved} approved, {report.previous} "
                   f"previously approved, {report.unreviewed} staff only), {report.english} in English "
                   f"awaiting review, {report.untranslated} untranslated, {report.blocked} blocked by checks; "
                   f"version {report.version}, {report.seconds * 1000:.1f} ms")
        if code in behind:
            click.echo(f"{code}: was behind its approvals (a publish had failed or not run yet); "
                       "families now read them.")
    click.echo(f"Published in {(time.perf_counter() - started) * 1000:.1f} ms.")
    if failed:
        raise click.ClickException(f"Publishing failed for {', '.join(failed)} (the log has the details); "
                                   "run `flask translate publish` again once the cause is fixed.")


@translate_cli.command("status")
def status_command():
    """Progress per locale, in strings and words, as the workspace shows it."""
    from portal.translation import units
    from portal.translation.models import STATES

    session = get_session()
    click.echo(f"{'locale':8} " + " ".join(f"{s:>14}" for s in STATES) + f" {'warnings':>9}")
    for loc in TRANSLATED_LOCALES:
        progress = units.progress(session, loc.code)
        if not progress.total_strings:
            click.echo(f"{loc.code:8} no units (flask translate update)")
            continue
        cells = " ".join(f"{f'{progress.strings[s]} / {progress.words[s]}w':>14}" for s in STATES)
        click.echo(f"{loc.code:8} {cells} {progress.warnings:>9}")


@translate_cli.command("check")
@click.argument("locale")
@click.option("--warnings/--no-warnings", default=True, help="Also list warnings (they never fail the run).")
def check_command(locale, warnings):
    """Run the quality checks over every unit of a locale, as they are now; exit 1 if any
    translation has a blocking problem."""
    from portal.translation import units
    from portal.translation.checks import check_translation

    code = _locales((locale,))[0]
    terms = current_terms()
    blocking = warned = 0
    for unit in get_session().scalars(units.live(code)):
        result = check_translation(unit.msgid, unit.msgid_plural, unit.forms, code, terms)
        where = ", ".join(f"{path}:{line}" for path, line in unit.occurrences[:2])
        for problem in result.blocking:
            click.echo(f"BLOCKING {where}: {unit.msgid[:60]!r}: {problem}")
        if warnings:
            for problem in result.warnings:
                click.echo(f"warning  {where}: {unit.msgid[:60]!r}: {problem}")
        blocking += bool(result.blocking)
        warned += bool(result.warnings)
    click.echo(f"{code}: {blocking} message(s) with blocking problems, {warned} with warnings.")
    if blocking:
        raise SystemExit(1)


users_cli = AppGroup("users", help="People and their roles.")


@users_cli.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), help="Role to give for --locale.")
@click.option("--locale", "locales", multiple=True, help="Locale the role applies to (repeatable).")
@click.option("--password", default=None, help="Leave out to get a random password printed once.")
@click.option("--name", "display_name", default="", help="Display name.")
@click.option("--admin", is_flag=True, help="Make this person an admin.")
@click.option("--email", default="", help="E-mail address for notifications (optional).")
def users_create(username, role, locales, password, display_name, admin, email):
    """Add a person, e.g. `flask users create ana --role reviewer --locale es`.

    USERNAME: letters, digits, '.', '_' and '-', starting with a letter or digit, at most 80
    characters; a name that differs from an existing one only in case is refused."""
    if bool(role) != bool(locales):
        raise click.ClickException("Give --role and --locale together (or neither).")
    printed = password is None
    password = accounts.new_password() if printed else password
    try:
        user = accounts.create_user(get_session(), username, password, display_name=display_name,
                                    roles=[(role, loc) for loc in locales], is_admin=admin, email=email)
    except (accounts.AccountError, UnknownLocale) as exc:
        raise click.ClickException(str(exc)) from None
    _kept()
    roles = ", ".join(f"{r.role} {r.locale}" for r in user.roles) or "no roles"
    click.echo(f"Created {user.username} ({roles}).")
    if printed:
        click.echo(f"Password: {password}")


@users_cli.command("set-role")
@click.argument("username")
@click.argument("role")
@click.argument("locale")
@click.option("--remove", is_flag=True, help="Take the role away instead.")
def users_set_role(username, role, locale, remove):
    """Give (or with --remove take away) ROLE for LOCALE, e.g. `flask users set-role ana reviewer es`."""
    session = get_session()
    try:
        user = accounts.get_user(session, username)
        accounts.set_role(session, user, role, locale, remove=remove)
    except (accounts.AccountError, UnknownLocale) as exc:
        raise click.ClickException(str(exc)) from None
    _kept()
    roles = ", ".join(f"{r.role} {r.locale}" for r in user.roles) or "no roles"
    click.echo(f"{user.username} now has: {roles}.")


@users_cli.command("set-credential")
@click.argument("username")
@click.argument("credential")
@click.option("--show/--hide", default=None,
              help="Show the display name and this line to families on \"How this translation was checked\" "
                   "(--show), or not (--hide). Left out: as before (new people are not shown).")
def users_set_credential(username, credential, show):
    """Set the line USERNAME tells families about themselves, e.g.
    `flask users set-credential ana "pediatric oncology nurse, native Spanish speaker" --show`.
    An empty CREDENTIAL ("") clears it."""
    session = get_session()
    try:
        user = accounts.get_user(session, username)
        accounts.set_credential(session, user, credential, show=show)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    _kept()
    shown = ("shown to families with their name" if user.show_to_families
             else "not shown to families (add --show to show it)")
    click.echo(f"{user.username}: credential {user.credential!r}, {shown}.")


def _set_active(username: str, active: bool) -> None:
    session = get_session()
    try:
        user = accounts.get_user(session, username)
        accounts.set_active(session, user, active)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    _kept()
    click.echo(f"{user.username} is {'enabled' if active else 'disabled; their sessions have ended'}.")


@users_cli.command("disable")
@click.argument("username")
def users_disable(username):
    """Stop USERNAME from logging in; they are logged out on their next request."""
    _set_active(username, False)


@users_cli.command("enable")
@click.argument("username")
def users_enable(username):
    """Let a disabled person log in again."""
    _set_active(username, True)


@users_cli.command("list")
def users_list():
    """Everyone, with roles and status."""
    people = accounts.list_users(get_session())
    if not people:
        click.echo("Nobody yet. Add someone with `flask users create NAME` or try `flask demo`.")
    for user in people:
        roles = ", ".join(f"{r.role} {r.locale}" for r in user.roles) or "-"
        flags = ("admin " if user.is_admin else "") + ("active" if user.active else "disabled")
        click.echo(f"{user.username:24} {flags:14} {roles}")


review_cli = AppGroup("review", help="Medical review from the command line.")


@review_cli.command("approve")
@click.argument("locale")
@click.option("--reviewer", required=True, help="Username of the reviewer who reviewed offline.")
@click.option("--all", "approve_all", is_flag=True, help="Approve every approvable message (medical and site text).")
@click.option("--msgid", default=None, help="Approve the one message with this exact English text.")
def review_approve(locale, reviewer, approve_all, msgid):
    """Record approvals for LOCALE, then publish it. Refuses text the reviewer wrote. If the publish
    fails the approvals stay recorded, and the command says so and exits with status 1."""
    if approve_all == (msgid is not None):
        raise click.ClickException("Give exactly one of --all or --msgid TEXT.")
    code = _locales((locale,))[0]
    session = get_session()
    try:
        person = accounts.get_user(session, reviewer)
        outcome = operations.approve_messages(session, code, person, msgid=msgid,
                                              approve_all=approve_all)
    except (accounts.AccountError, ReviewError, CatalogError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Approved {len(outcome.approved)} message(s) for {code} as {reviewer}.")
    for text, reason in outcome.skipped:
        click.echo(f"  skipped {text[:60]!r}: {reason}")
    if outcome.report:
        click.echo(f"Published {code}: {outcome.report.approved} approved, "
                   f"{outcome.report.english} in English awaiting review.")
    if outcome.publish_error:
        raise click.ClickException(f"Publishing {code} failed: {outcome.publish_error}. The approvals are recorded; "
                                   f"families still see the previous text. Run `flask translate publish {code}` "
                                   "to publish them (the next family request also tries).")


def _portal_places() -> list[tuple[str, Path]]:
    """The folders (and database file) whose contents only the portal writes: an export never goes there."""
    config = current_app.config
    places = [("the translations folder", config["TRANSLATIONS_DIR"]), ("the content folder", config["CONTENT_DIR"]),
              ("the instance folder", current_app.instance_path), ("the published catalogs", config["PUBLISHED_DIR"]),
              ("the uploads folder", config["UPLOAD_DIR"])]
    url = make_url(config["DATABASE_URL"])
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        places.append(("the database", url.database))
    return [(name, Path(place)) for name, place in places]


@review_cli.command("export")
@click.option("--locale", "locales", multiple=True, help="Only this locale (repeat for several); default all.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--output", "-o", default=None,
              help="Write to this regular file (new, or replaced whole, atomically; mode 0600); "
                   "default: standard output.")
def review_export(locales, fmt, output):
    """Export the review trail: every approval, rejection, revocation and comment, oldest first,
    with reviewer (for a comment: who wrote it), time (UTC), locale, source, translation, reason
    (for a comment: its text) and author."""
    from portal.review import trail

    codes = _locales(locales)
    if any(by_code(code).is_source for code in codes):
        raise click.ClickException("English is the source language: it has no reviews. Give a translated "
                                   "locale: " + ", ".join(loc.code for loc in TRANSLATED_LOCALES) + ".")
    places = _portal_places()
    if output is not None:
        try:
            exports.check_target(Path(output), places)  # before reading anything: fail fast
        except exports.UnsafeOutput as exc:
            raise click.ClickException(str(exc)) from None
    session = get_session()
    found = [event for event in trail.events(session, comments=True) if event.locale in codes]
    data = trail.to_csv(found) if fmt == "csv" else trail.to_json(found)
    if output is None:
        click.echo(data, nl=False)
        return
    try:
        exports.write_export(Path(output), data.encode("utf-8"), places)
    except exports.UnsafeOutput as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        if faults.is_fault(exc):
            raise  # a full disk, a read-only folder: reported as every command does
        raise click.ClickException(f"Could not write {output}: {exc.strerror}. Choose another path.") from None
    click.echo(f"Wrote {len(found)} event(s) to {output}.", err=True)


@click.command("export-static")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--base-url", required=True, metavar="URL",
              help="The address families reach the export at, e.g. https://portal.example.org (for the sitemap).")
@with_appcontext
def export_static_command(folder, base_url):
    """Write the families' site, from the published catalogs, as static files into FOLDER: every page
    in every language, a not-found page per language, the static files, sitemap.xml and robots.txt.

    FOLDER is built next to itself and swapped in whole (the previous export is served until then,
    and stays when the export fails); the same catalogs give the same bytes. Serve it with
    deploy/nginx-static.conf (README: "Serving families at scale")."""
    from portal.families import export

    get_session()  # the schema checked, the database answering: said in one line if not
    try:
        report = export.export_static(current_app._get_current_object(), folder, base_url, _portal_places())
    except export.ExportError as exc:
        raise click.ClickException(f"{exc} {folder} was left as it was.") from None
    except OSError as exc:
        if faults.is_fault(exc):
            raise  # a full disk, a read-only folder: reported as every command does
        raise click.ClickException(f"Could not write the export next to {folder}: {exc.strerror or exc}. "
                                   f"{folder} was left as it was.") from None
    click.echo(report.summary())


DEMO_ADMIN = "demo-admin"


def _is_local_database(url: str) -> bool:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return parsed.get_backend_name() == "sqlite" or parsed.host in ("localhost", "127.0.0.1", "::1")


@click.command("demo")
@with_appcontext
def demo_command():
    """Create demo people (an admin, and a translator and a reviewer per language) in the local
    database, each with a password printed once. Never runs by itself."""
    url = current_app.config["DATABASE_URL"]
    if not _is_local_database(url):
        raise click.ClickException("`flask demo` only writes to a local database (SQLite, or a server on "
                                   "localhost); demo people do not belong on a shared server.")
    session = get_session()
    if accounts.find_user(session, DEMO_ADMIN) is not None:
        raise click.ClickException("The demo people already exist; nothing was changed. "
                                   "`flask users list` shows them.")
    people = [(DEMO_ADMIN, "Demo admin", [], True)]
    for loc in TRANSLATED_LOCALES:
        people.append((f"demo-translator-{loc.code}", f"Demo translator ({loc.native_name})",
                       [("translator", loc.code)], False))
        people.append((f"demo-reviewer-{loc.code}", f"Demo reviewer ({loc.native_name})",
                       [("reviewer", loc.code)], False))
    passwords = {}
    try:
        for username, name, roles, admin in people:
            passwords[username] = accounts.new_password()
            accounts.create_user(session, username, passwords[username], display_name=name, roles=roles,
                                 is_admin=admin)
    except accounts.AccountError as exc:  # one of them made by hand meanwhile: none is made
        raise click.ClickException(f"{exc} No demo person was made.") from None
    _kept()
    click.echo("Demo people (local database only; passwords are shown once):")
    for username, password in passwords.items():
        click.echo(f"  {username:24} {password}")
    click.echo("Try: flask review approve es --reviewer demo-reviewer-es --all   (then reload /es/)")


def init_app(app: Flask) -> None:
    for group in (translate_cli, users_cli, review_cli):
        app.cli.add_command(group)
    app.cli.add_command(demo_command)
    app.cli.add_command(export_static_command)
    # Every command of the portal (these, and `flask db` added by portal.db before) reports a full
    # disk, a read-only folder or a database that does not answer in one line: one place, not each.
    for command in app.cli.commands.values():
        db.command_unit_of_work(command)  # inside the fault report: a commit that fails is reported too
        faults.report_faults(command)
