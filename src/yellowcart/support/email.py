"""Sending e-mail behind one small protocol, so nothing in the domain knows how mail leaves.

- :class:`LogEmailAdapter` (the default, ``YC_SUPPORT_EMAIL=log``): records what it would send, in
  memory, and logs the subject; it never opens a connection. Development, demos and tests.
- :class:`SmtpEmailAdapter` (``YC_SUPPORT_EMAIL=smtp``): the standard library's ``smtplib`` to
  ``YC_SMTP_HOST:YC_SMTP_PORT`` from ``YC_SMTP_FROM``, with STARTTLS and a login when configured.

Addresses are personal data: they are not logged (only the recipient's domain) and the password is a
secret that never appears in ``repr`` or errors.
"""

from __future__ import annotations

import smtplib
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

import structlog

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Mail:
    to: str
    subject: str
    body: str


class EmailError(Exception):
    """The message was not accepted; the job records it and tries again on its next run."""


class EmailAdapter(Protocol):
    def send(self, mail: Mail) -> None:
        """Hand ``mail`` over for delivery, or raise EmailError."""


class LogEmailAdapter:
    """Records instead of sending (thread-safe: the worker and request threads may share it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.sent: list[Mail] = []

    def send(self, mail: Mail) -> None:
        with self._lock:
            self.sent.append(mail)
        log.info("support.email_recorded", to_domain=mail.to.rpartition("@")[2], subject=mail.subject)


class SmtpEmailAdapter:
    """One SMTP session per message: support mail is a trickle, and a fresh session never goes stale."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        starttls: bool = False,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.host, self.port, self.sender, self.starttls = host, port, sender, starttls
        self.username, self._password, self.timeout = username, password, timeout

    def __repr__(self) -> str:
        return f"SmtpEmailAdapter(host={self.host!r}, port={self.port}, sender={self.sender!r})"

    def send(self, mail: Mail) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, mail.to, mail.subject
        message.set_content(mail.body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username and self._password:
                    smtp.login(self.username, self._password)
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            raise EmailError(f"SMTP {self.host}:{self.port} refused or failed: {type(exc).__name__}") from exc
