"""Sending mail through the configured SMTP server, with the standard library only.

Settings (``app.config``, so FLASK_MAIL_SERVER and so on, like every other setting):
MAIL_SERVER (empty: mail is off, nothing is queued or sent), MAIL_PORT, MAIL_USE_TLS (STARTTLS),
MAIL_USE_SSL (TLS from the start), MAIL_USERNAME, MAIL_PASSWORD, MAIL_DEFAULT_SENDER, and
MAIL_TIMEOUT (seconds for each step with the server).
"""
from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from portal.notify.kinds import one_line


def _flag(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


@dataclass(frozen=True)
class MailSettings:
    server: str = ""
    port: int = 25
    use_tls: bool = False
    use_ssl: bool = False
    username: str = ""
    password: str = ""
    sender: str = ""
    timeout: float = 10.0

    @classmethod
    def from_config(cls, config) -> "MailSettings":
        server = str(config.get("MAIL_SERVER") or "").strip()
        use_ssl = _flag(config.get("MAIL_USE_SSL", False))
        port = config.get("MAIL_PORT") or (465 if use_ssl else 25)
        return cls(server=server, port=int(port), use_tls=_flag(config.get("MAIL_USE_TLS", False)),
                   use_ssl=use_ssl, username=str(config.get("MAIL_USERNAME") or ""),
                   password=str(config.get("MAIL_PASSWORD") or ""),
                   sender=str(config.get("MAIL_DEFAULT_SENDER") or "") or f"portal@{server or 'localhost'}",
                   timeout=float(config.get("MAIL_TIMEOUT", 10)))

    @property
    def enabled(self) -> bool:
        return bool(self.server)


def message(settings: MailSettings, to: str, subject: str, body: str) -> EmailMessage:
    """A plain-text mail. EmailMessage refuses a header with a line break; ``one_line`` has
    already made the subject a single line, whatever a translator or reviewer wrote into it."""
    mail = EmailMessage()
    mail["From"] = settings.sender
    mail["To"] = to
    mail["Subject"] = one_line(subject)
    mail["Date"] = formatdate(localtime=False, usegmt=True)
    mail["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(body)  # text/plain; charset utf-8
    return mail


class Connection:
    """One conversation with the SMTP server (a context manager), opened on first use."""

    def __init__(self, settings: MailSettings):
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        if s.use_ssl:
            smtp = smtplib.SMTP_SSL(s.server, s.port, timeout=s.timeout, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(s.server, s.port, timeout=s.timeout)
            if s.use_tls:
                smtp.starttls(context=ssl.create_default_context())
        if s.username:
            smtp.login(s.username, s.password)
        return smtp

    def send(self, mail: EmailMessage) -> None:
        if self._smtp is None:
            self._smtp = self._open()
        self._smtp.send_message(mail)

    def __enter__(self):
        return self

    def __exit__(self, *_exc):
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
        return False
