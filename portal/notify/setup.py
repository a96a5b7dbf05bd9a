"""Wiring notifications into the app: the settings every session carries, sending right after a
request's change is committed, the `flask notify` commands, and what staff pages say about mail."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from portal.db import get_session
from portal.notify import digests, outbox
from portal.notify.kinds import SETTINGS
from portal.notify.mailer import MailSettings

DIGEST_HOURS = 20.0


def settings() -> MailSettings:
    return MailSettings.from_config(current_app.config)


def send_now(ids) -> None:
    """Send the messages a request just queued (its change is committed already). Never raises:
    a message that could not go stays in the outbox for `flask notify send-digests`."""
    ids = list(ids or ())
    if not ids:
        return
    session = get_session()
    try:
        outbox.send(session, settings(), ids=ids)
    except Exception:  # the person's change is saved; the mail waits in the outbox
        session.rollback()
        current_app.logger.exception("sending %d notification(s) failed; they stay in the outbox", len(ids))


def mail_status() -> dict:
    """For staff templates: whether mail is configured."""
    return {"mail_configured": settings().enabled}


notify_cli = AppGroup("notify", help="E-mail notifications: daily digests and the outbox.")


@notify_cli.command("send-digests")
def send_digests_command():
    """Queue each person's daily digest (what is new since their last one; at most one a person every
    FLASK_NOTIFY_DIGEST_HOURS, 20 by default), then send everything the outbox holds, retrying what
    failed before. Safe to run again at any time (cron: hourly or daily)."""
    mail = settings()
    if not mail.enabled:
        click.echo("E-mail is not configured (set FLASK_MAIL_SERVER): nothing was queued or sent.")
        return
    session = get_session()
    run = digests.build_all(session, float(current_app.config.get("NOTIFY_DIGEST_HOURS", DIGEST_HOURS)))
    report = outbox.send(session, mail)
    left, failing = outbox.counts(session)
    click.echo(f"Digests queued: {run.built}. Mails sent: {report.sent}. Not sent: {report.failed}. "
               f"Waiting in the outbox: {left}.")
    if report.errors:
        click.echo(f"The mail server said: {report.errors[-1]}. They stay in the outbox for the next run.", err=True)
    if failing and report.failed:
        raise SystemExit(1)


def init_app(app: Flask) -> None:
    mail = MailSettings.from_config(app.config)
    info = app.extensions["db"].kw.setdefault("info", {})
    info[SETTINGS] = {"enabled": mail.enabled, "base_url": str(app.config.get("PUBLIC_BASE_URL") or "")}
    app.context_processor(mail_status)
    app.cli.add_command(notify_cli)
