"""The one place dependencies are wired: database, payment provider, event bus, checkout flow."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field

import structlog

from yellowcart.auth.cache import TokenCache
from yellowcart.checkout import handlers as payment_handlers
from yellowcart.checkout.flow import CheckoutFlow
from yellowcart.checkout.payments import PaymentProvider, TestPaymentProvider
from yellowcart.creators import handlers as creator_handlers
from yellowcart.db import Database, utcnow
from yellowcart.events import EventBus, OutboxWorker
from yellowcart.feed.service import Signals
from yellowcart.fulfillment import handlers as fulfillment_handlers
from yellowcart.fulfillment.carriers.base import Carrier
from yellowcart.fulfillment.carriers.simulated import SimulatedCarrier
from yellowcart.fulfillment.sla_jobs import SlaConfig, SlaRun, run_sla_jobs
from yellowcart.interactions import handlers as interaction_handlers
from yellowcart.inventory import holds
from yellowcart.ledger import handlers as ledger_handlers
from yellowcart.live import deal_jobs, room_handlers
from yellowcart.live.room_hubs import LiveRooms
from yellowcart.orders import service as orders
from yellowcart.privacy import jobs as privacy_jobs
from yellowcart.promotions import handlers as promotion_handlers
from yellowcart.promotions import jobs as promotion_jobs
from yellowcart.returns.jobs import ReturnRun, run_return_jobs
from yellowcart.returns.policy import Policy as ReturnPolicy
from yellowcart.returns.service import Config as ReturnsConfig
from yellowcart.risk import jobs as risk_jobs
from yellowcart.sellers import assessment as onboarding_assessment
from yellowcart.sellers import handlers as onboarding_handlers
from yellowcart.settings import Settings
from yellowcart.support.runtime import SupportRuntime

log = structlog.get_logger(__name__)


@dataclass
class Container:
    settings: Settings
    db: Database
    provider: PaymentProvider
    bus: EventBus
    checkout: CheckoutFlow
    worker: OutboxWorker | None = field(default=None)
    carriers: dict[str, Carrier] = field(default_factory=dict)  # by provider name; webhooks route here
    carrier: Carrier | None = None  # the one labels are bought from (YC_CARRIER_PROVIDER)
    tokens: TokenCache = field(default_factory=TokenCache)
    feed_signals: Signals = field(default_factory=Signals.create)  # bootstrap gives it the database
    live: LiveRooms = field(default_factory=LiveRooms.detached)  # live rooms' broker and hubs
    support: SupportRuntime = field(default_factory=SupportRuntime.detached)  # customer service: e-mail, hints, jobs
    _sla_last: dt.datetime | None = field(default=None, repr=False)

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

    def run_sla_jobs(self, now: dt.datetime | None = None) -> SlaRun:
        """Periodic job: late dispatch (notify, auto-cancel), lost parcels (reship or refund), late delivery."""
        config = SlaConfig(
            lost_after_days=self.settings.sla_lost_after_days,
            auto_cancel_business_days=self.settings.sla_auto_cancel_business_days,
        )
        return run_sla_jobs(self.db, provider=self.provider, now=now or utcnow(), config=config)

    def returns_config(self) -> ReturnsConfig:
        s = self.settings
        return ReturnsConfig(
            base=ReturnPolicy(
                window_days=s.return_window_days,
                guarantee_days=s.return_guarantee_days,
                returnless_below_cents=s.returnless_below_cents,
                returnless_label_share_bps=s.returnless_label_share_bps,
            ),
            response_hours=s.return_response_hours,
            refund_business_days=s.return_refund_business_days,
        )

    def run_return_jobs(self, now: dt.datetime | None = None) -> ReturnRun:
        """Periodic job: unanswered return requests (approve or escalate), the refund SLA, order completion."""
        return run_return_jobs(
            self.db, provider=self.provider, now=now or utcnow(), config=self.returns_config(), carrier=self.carrier
        )

    def sla_periodic(self) -> None:
        """The worker's entry: runs the SLA and return jobs at most every ``sla_job_every_seconds``."""
        now = utcnow()
        if self._sla_last is not None and (now - self._sla_last).total_seconds() < self.settings.sla_job_every_seconds:
            return
        self._sla_last = now
        self.run_sla_jobs(now)
        self.run_return_jobs(now)


def make_provider(settings: Settings) -> PaymentProvider:
    if settings.payment_provider == "stripe":
        from yellowcart.checkout.stripe_provider import StripePaymentProvider  # optional at run time

        if not settings.stripe_api_key:
            raise RuntimeError("YC_PAYMENT_PROVIDER=stripe needs YC_STRIPE_API_KEY")
        return StripePaymentProvider(
            api_key=settings.stripe_api_key.get_secret_value(), timeout_seconds=settings.payment_timeout_seconds
        )
    return TestPaymentProvider()


def make_carriers(settings: Settings) -> tuple[dict[str, Carrier], Carrier]:
    """Every carrier adapter that can receive webhooks, and the one labels are bought from. The
    simulated carrier is always there (demo, tests); EasyPost only when configured."""
    secret = settings.carrier_webhook_secret
    simulated = SimulatedCarrier(webhook_secret=secret.get_secret_value() if secret else secrets.token_hex(16))
    carriers: dict[str, Carrier] = {simulated.name: simulated}
    if settings.carrier_provider == "easypost":
        from yellowcart.fulfillment.carriers.easypost_adapter import EasyPostCarrier  # optional at run time

        if not (settings.easypost_api_key and settings.easypost_webhook_secret):
            raise RuntimeError("YC_CARRIER_PROVIDER=easypost needs YC_EASYPOST_API_KEY and YC_EASYPOST_WEBHOOK_SECRET")
        easypost = EasyPostCarrier(
            settings.easypost_api_key.get_secret_value(),
            webhook_secret=settings.easypost_webhook_secret.get_secret_value(),
        )
        carriers["easypost"] = easypost
    return carriers, carriers[settings.carrier_provider]


def bootstrap(
    settings: Settings,
    *,
    db: Database | None = None,
    provider: PaymentProvider | None = None,
    carrier: Carrier | None = None,
) -> Container:
    db = db or Database(settings.database_url, pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow)
    provider = provider or make_provider(settings)
    carriers, chosen = make_carriers(settings)
    if carrier is not None:
        carriers[carrier.name], chosen = carrier, carrier
    bus = EventBus()
    payment_handlers.register(bus, provider)
    fulfillment_handlers.register(bus, chosen)
    interaction_handlers.register(bus)
    ledger_handlers.register(bus)
    creator_handlers.register(bus, window=dt.timedelta(days=settings.creator_attribution_days))
    onboarding_handlers.register(bus)
    promotion_handlers.register(bus)
    live = LiveRooms.create(settings, db)
    room_handlers.register(bus, live)
    room_handlers.watch_sales(live, db)
    deal_jobs.register(bus)
    container = Container(
        live=live,
        support=SupportRuntime.create(settings, db, live.broker),
        feed_signals=Signals.create(db),
        settings=settings,
        db=db,
        provider=provider,
        bus=bus,
        checkout=CheckoutFlow(db, provider, settings),
        carriers=carriers,
        carrier=chosen,
    )
    container.worker = OutboxWorker(
        db,
        bus,
        poll_seconds=settings.worker_poll_seconds,
        periodic=[
            container.expire_reservations,
            container.sla_periodic,
            onboarding_assessment.daily_job(db),
            live.sweep,
            deal_jobs.periodic(db),
            promotion_jobs.periodic(db),
            container.support.periodic,
            risk_jobs.periodic(
                db, every_seconds=settings.risk_job_every_seconds, retention_days=settings.risk_retention_days
            ),
            privacy_jobs.periodic(db),
        ],
    )
    return container
