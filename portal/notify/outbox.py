"""Sending what the outbox holds. Each message is claimed, sent, and marked sent in transactions of
its own; a failure is recorded on the message (attempts, last_error) and it stays for the next try.

Pure domain code: no Flask."""
from __future__ import annotations

import datetime as dt
import logging
import smtplib
from dataclasses import dataclass, field

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from portal import db
from portal.db import utcnow
from portal.notify.mailer import Connection, MailSettings, message
from portal.notify.models import OutboxMessage

log = logging.getLogger(__name__)

BATCH = 200  # messages one run sends at most
CLAIM_SECONDS = 600  # a claim older than this (a sender that died mid-send) is taken over

# Refused for this one message; the server is fine and the others are still tried.
ONE_MESSAGE = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError, ValueError)


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:500]


def pending(session: Session, ids=None, limit: int = BATCH) -> list[int]:
    """Ids of unsent messages of their own ("each"), fewest attempts first (these ids only, if given)."""
    query = (select(OutboxMessage.id).where(OutboxMessage.sent_at.is_(None), OutboxMessage.deliver == "each")
             .order_by(OutboxMessage.attempts, OutboxMessage.id).limit(limit))
    if ids is not None:
        query = query.where(OutboxMessage.id.in_(set(ids)))
    return list(session.scalars(query))


def _claim(session: Session, ids: list[int], now: dt.datetime) -> list[int]:
    """Take these messages for this sender (each unsent and unclaimed, or claimed too long ago)."""
    taken = []
    stale = now - dt.timedelta(seconds=CLAIM_SECONDS)
    for message_id in ids:
        result = session.execute(update(OutboxMessage).where(
            OutboxMessage.id == message_id, OutboxMessage.sent_at.is_(None),
            or_(OutboxMessage.claimed_at.is_(None), OutboxMessage.claimed_at < stale)).values(claimed_at=now))
        if result.rowcount == 1:
            taken.append(message_id)
    db.commit(session)
    return taken


def _failed(session: Session, message_ids: list[int], error: str) -> None:
    session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(message_ids)).values(
        attempts=OutboxMessage.attempts + 1, last_error=error, claimed_at=None))
    db.commit(session)


def send(session: Session, settings: MailSettings, ids=None, limit: int = BATCH) -> SendReport:
    """Send unsent messages (all, up to ``limit``, or only ``ids``) through one connection. Never
    raises for a mail problem: a message the server refuses is marked and the rest go on; a
    server that cannot be reached marks every message still to go, for the next run."""
    report = SendReport()
    if not settings.enabled:
        return report
    taken = _claim(session, pending(session, ids, limit), utcnow())
    with Connection(settings) as connection:
        for position, message_id in enumerate(taken):
            row = session.get(OutboxMessage, message_id)
            try:
                connection.send(message(settings, row.to_address, row.subject, row.body))
            except ONE_MESSAGE as error:
                report.failed += 1
                report.errors.append(_describe(error))
                log.warning("the mail server refused notification %s: %s", message_id, error)
                _failed(session, [message_id], _describe(error))
                continue
            except (smtplib.SMTPException, OSError) as error:
                rest = taken[position:]
                report.failed += len(rest)
                report.errors.append(_describe(error))
                log.warning("could not send %d notification(s); they stay in the outbox: %s", len(rest), error)
                _failed(session, rest, _describe(error))
                break
            row.sent_at, row.claimed_at = utcnow(), None
            db.commit(session)
            report.sent += 1
    return report


def counts(session: Session) -> tuple[int, int]:
    """(waiting to be sent, of which tried and failed at least once)."""
    from sqlalchemy import func

    unsent = (OutboxMessage.sent_at.is_(None), OutboxMessage.deliver == "each")
    return (session.scalar(select(func.count()).where(*unsent)) or 0,
            session.scalar(select(func.count()).where(*unsent, OutboxMessage.attempts > 0)) or 0)
