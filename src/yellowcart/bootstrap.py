"""The one place dependencies are wired: database, payment provider, event bus, checkout flow."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import structlog

from yellowcart.auth.cache import TokenCache
from yellowcart.checkout import handlers as payment_handlers
from yellowcart.checkout.flow import CheckoutFlow
from yellowcart.checkout.payments import PaymentProvider, TestPaymentProvider
from yellowcart.db import Database, utcnow
from yellowcart.events import EventBus, OutboxWorker
from yellowcart.feed.service import Signals
from yellowcart.interactions import handlers as interaction_handlers
from yellowcart.inventory import holds
from yellowcart.orders import service as orders
from yellowcart.settings import Settings

log = structlog.get_logger(__name__)


@dataclass
class Container:
    settings: Settings
    db: Database
    provider: PaymentProvider
    bus: EventBus
    checkout: CheckoutFlow
    worker: OutboxWorker | None = field(default=None)
    tokens: TokenCache = field(default_factory=TokenCache)
    feed_signals: Signals = field(default_factory=Signals.create)  # bootstrap gives it the database

    def warm_feed(self) -> None:
        """Build the feed's snapshots and load its active models once, off the request path (a process
        that just started would otherwise make its first shoppers wait for them). Best effort."""
        from yellowcart.feed.service import build_feed

        try:
            with self.db.transaction() as session:
                build_feed(session, user_id=None, limit=1, seen=[], signals=self.feed_signals, now=utcnow())
                if self.feed_signals.engines is not None:
                    self.feed_signals.engines.get(session)
        except Exception:
            log.warning("feed_warmup_failed", exc_info=True)

    def expire_reservations(self, now: dt.datetime | None = None) -> list[int]:
        """Periodic job: cancel unpaid orders past their reservation TTL."""
        now = now or utcnow()
        with self.db.transaction() as session:
            holds.release_unattached(session, expired_before=now)
        with self.db.transaction() as session:
            return orders.expire_unpaid(session, now=now)


def make_provider(settings: Settings) -> PaymentProvider:
    if settings.payment_provider == "stripe":
        from yellowcart.checkout.stripe_provider import StripePaymentProvider  # optional at run time

        if not settings.stripe_api_key:
            raise RuntimeError("YC_PAYMENT_PROVIDER=stripe needs YC_STRIPE_API_KEY")
        return StripePaymentProvider(
            api_key=settings.stripe_api_key.get_secret_value(), timeout_seconds=settings.payment_timeout_seconds
        )
    return TestPaymentProvider()


def bootstrap(settings: Settings, *, db: Database | None = None, provider: PaymentProvider | None = None) -> Container:
    db = db or Database(settings.database_url, pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow)
    provider = provider or make_provider(settings)
    bus = EventBus()
    payment_handlers.register(bus, provider)
    interaction_handlers.register(bus)
    container = Container(
        feed_signals=Signals.create(db),
        settings=settings,
        db=db,
        provider=provider,
        bus=bus,
        checkout=CheckoutFlow(db, provider, settings),
    )
    container.worker = OutboxWorker(
        db, bus, poll_seconds=settings.worker_poll_seconds, periodic=[container.expire_reservations]
    )
    return container
