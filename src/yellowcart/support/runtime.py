"""Customer service wiring for one process: its settings, the e-mail adapter, the broker hints and the
periodic jobs. Bootstrap builds one per container (``Container.support``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from yellowcart.db import Database, utcnow
from yellowcart.live.realtime import Broker, MemoryBroker
from yellowcart.settings import Settings
from yellowcart.support import jobs, stream
from yellowcart.support.email import EmailAdapter, LogEmailAdapter, SmtpEmailAdapter
from yellowcart.support.rules import SupportConfig


def config_from(settings: Settings) -> SupportConfig:
    return SupportConfig(
        first_response_hours=settings.support_first_response_hours,
        auto_close_days=settings.support_auto_close_days,
        retention_days=settings.support_retention_days,
        email_after_minutes=settings.support_email_after_minutes,
    )


def make_email(settings: Settings) -> EmailAdapter:
    """``log`` (default: records, never sends) or ``smtp`` (the configured server)."""
    if settings.support_email == "smtp":
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        return SmtpEmailAdapter(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from,
            starttls=settings.smtp_starttls,
            username=settings.smtp_username,
            password=password,
        )
    return LogEmailAdapter()


@dataclass
class SupportRuntime:
    db: Database | None
    broker: Broker
    config: SupportConfig = field(default_factory=SupportConfig)
    email: EmailAdapter = field(default_factory=LogEmailAdapter)
    every_seconds: float = 60.0
    _last: dt.datetime | None = field(default=None, repr=False)

    @classmethod
    def create(cls, settings: Settings, db: Database, broker: Broker) -> SupportRuntime:
        return cls(
            db=db,
            broker=broker,
            config=config_from(settings),
            email=make_email(settings),
            every_seconds=settings.support_job_every_seconds,
        )

    @classmethod
    def detached(cls) -> SupportRuntime:
        """No database: hints go nowhere and jobs cannot run. For containers built by hand."""
        return cls(db=None, broker=MemoryBroker())

    def changed(self, conversation_id: int, kind: str) -> None:
        """Hint every process's open streams; call after the change committed."""
        stream.publish(self.broker, conversation_id, kind)

    def run_jobs(self, now: dt.datetime | None = None) -> jobs.SupportRun:
        if self.db is None:
            raise RuntimeError("this SupportRuntime has no database")
        return jobs.run_support_jobs(
            self.db, now=now or utcnow(), config=self.config, email=self.email, push=self.changed
        )

    def periodic(self) -> None:
        """The worker's entry: the jobs at most every ``every_seconds``."""
        now = utcnow()
        if self._last is not None and (now - self._last).total_seconds() < self.every_seconds:
            return
        self._last = now
        self.run_jobs(now)
