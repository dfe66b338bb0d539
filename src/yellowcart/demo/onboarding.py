"""Seller onboarding in the demo market: every seller but the platform's own store has an application.

Active and suspended sellers were approved when they joined (their stored evaluation is the one made
on the day of the decision, with the imported sales history they showed then); pending sellers are
the review queue an operator opens the demo to: some submitted and eligible, one sent back for more
information, drafts that still fail a rule (too few followers, too short a GMV streak).

Like the custody step it runs after the market is written, in its own transaction, with the seed
markets in place. Rows are built from a generator seeded from the demo seed and times are laid out
from each seller's creation or the reference instant, never the wall clock; the EIN and ID number
hashes depend on the configured key (``YC_PII_HASH_KEY``).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from yellowcart.catalog.modes import SellingMode
from yellowcart.db import Database
from yellowcart.demo.places import zip_picker
from yellowcart.demo.plan import Row, SellerPlan, rng_for
from yellowcart.sellers import assessment, identity
from yellowcart.sellers.models import (
    ApplicationStatus,
    DocumentType,
    EntityType,
    GmvSource,
    SellerApplication,
    SellerApplicationHistory,
    SellerGmvDay,
    SellerIdDocument,
    SellerStatus,
    SocialPlatform,
)
from yellowcart.sellers.policies import seed_markets
from yellowcart.settings import get_settings

A = ApplicationStatus
OPERATOR_USER_ID = 1  # the demo operator login (demo/people.py)
TARGET_CENTS = 25_000  # the seed market's daily GMV target
US_AREA_CODES = ("212", "213", "305", "312", "404", "415", "512", "602", "617", "702", "713", "206", "303", "615")
ENTITY_TYPES = (
    (EntityType.LLC, EntityType.CORPORATION, EntityType.SOLE_PROPRIETORSHIP, EntityType.PARTNERSHIP),
    (55, 20, 20, 5),
)
#: What the pending sellers' applications look like, dealt in this order.
PENDING_STORIES = ("submitted", "short_followers", "needs_info", "short_streak", "submitted")
NEEDS_INFO_REASON = "The legal name does not match the IRS record for this EIN; check the business entity."


@dataclass(frozen=True)
class OnboardingSummary:
    applications: int
    approved: int
    in_review: int


@dataclass(frozen=True, slots=True)
class Site:
    line1: str
    city: str
    state: str
    zip: str


def add_onboarding(
    db: Database, sellers: Sequence[SellerPlan], warehouses: Sequence[Row], *, seed: int, reference: dt.datetime
) -> OnboardingSummary:
    """One application per seller (not the platform store), evaluated, with its audit trail."""
    rng = rng_for(seed, "onboarding")
    key = identity.pii_key(get_settings().pii_hash_key)
    sites = {int(w["id"]): w for w in warehouses}
    platform = [w for w in warehouses if w["seller_id"] is None]
    pending = 0
    counts = {"approved": 0, "open": 0}
    with db.transaction() as session:
        seed_markets(session)
        for seller in sellers:
            if seller.mode is SellingMode.PLATFORM_OWNED:
                continue
            site = _site(rng, seller, sites, platform)
            if seller.status is SellerStatus.PENDING:
                story = PENDING_STORIES[pending % len(PENDING_STORIES)]
                pending += 1
                _pending(session, rng, seller, site, story, key, reference)
                counts["open"] += 1
            else:
                _approved(session, rng, seller, site, key)
                counts["approved"] += 1
    return OnboardingSummary(counts["approved"] + counts["open"], counts["approved"], counts["open"])


def _site(rng: random.Random, seller: SellerPlan, sites: dict[int, Row], platform: list[Row]) -> Site:
    """Where its orders ship from: its own warehouse, else the platform site it consigns to (full
    custody), else (a redirect store) a ZIP of its own."""
    if seller.warehouse_ids:
        w = sites[seller.warehouse_ids[0]]
    elif seller.mode is SellingMode.FULL_CUSTODY and platform:
        w = platform[rng.randrange(len(platform))]
    else:
        place = zip_picker().pick(rng)
        return Site(f"{rng.randint(10, 990)} Commerce St", place.city, place.state, place.zip)
    return Site(str(w["line1"]), str(w["city"]), str(w["state"]), str(w["zip"]))


def _phone(rng: random.Random) -> str:
    exchange = rng.choice([n for n in range(200, 1000) if n % 100 != 11 and n != 555])
    return f"+1{rng.choice(US_AREA_CODES)}{exchange}{rng.randint(0, 9999):04d}"


def _application(
    session: Session,
    rng: random.Random,
    seller: SellerPlan,
    site: Site,
    key: bytes,
    opened: dt.datetime,
    *,
    followers: int,
) -> SellerApplication:
    """A US application with every section filled in, as the seller entered it."""
    entity_type = rng.choices(*ENTITY_TYPES)[0]
    suffix = {EntityType.LLC: " LLC", EntityType.CORPORATION: " Inc.", EntityType.PARTNERSHIP: " LP"}
    ein = f"{rng.choice(sorted(identity.EIN_PREFIXES))}-{rng.randint(0, 9_999_999):07d}"
    application = SellerApplication(
        seller_id=seller.id,
        market_code="US",
        status=A.DRAFT,
        opened_by_user_id=seller.owner_user_id or None,
        entity_type=entity_type,
        legal_name=f"{seller.name}{suffix.get(entity_type, '')}",
        entity_country="US",
        entity_address={
            "line1": site.line1,
            "line2": None,
            "city": site.city,
            "state": site.state,
            "postal_code": site.zip,
        },
        ein_last4=ein[-4:],
        ein_hmac=identity.ein_hash(key, ein),
        phone_e164=_phone(rng),
        origin_country="US",
        origin_postal_code=site.zip,
        social_platform=SocialPlatform.TIKTOK,
        social_handle=seller.slug.replace("-", "")[:64],
        follower_count=followers,
        created_at=opened,
        updated_at=opened,
    )
    session.add(application)
    session.flush()
    number = f"{rng.choice('ABDFGHKMPSTW')}{rng.randint(0, 99_999_999):08d}"
    session.add(
        SellerIdDocument(
            application_id=application.id,
            doc_type=DocumentType.DRIVERS_LICENSE,
            number_last4=number[-4:],
            number_hmac=identity.document_hash(
                key, doc_type="drivers_license", country="US", state=site.state, number=number
            ),
            expires_on=(opened + dt.timedelta(days=rng.randint(900, 2900))).date(),
            issuing_country="US",
            issuing_state=site.state,
            recorded_at=opened,
        )
    )
    _history(session, application, None, A.DRAFT, seller.owner_user_id, "seller", opened)
    return application


def _history(
    session: Session,
    application: SellerApplication,
    was: ApplicationStatus | None,
    status: ApplicationStatus,
    user_id: int,
    role: str,
    at: dt.datetime,
    reason: str | None = None,
) -> None:
    session.add(
        SellerApplicationHistory(
            application_id=application.id,
            at=at,
            actor_user_id=user_id or None,
            actor_role=role,
            from_status=was,
            to_status=status,
            reason=reason,
        )
    )
    application.status, application.updated_at = status, at


def _imported_gmv(
    session: Session, rng: random.Random, application: SellerApplication, *, days: int, last: dt.date
) -> None:
    """The seller's own store's daily sales, each day above the target."""
    for back in range(days):
        cents = int(TARGET_CENTS * rng.uniform(1.05, 8.0))
        session.add(
            SellerGmvDay(
                application_id=application.id,
                day=last - dt.timedelta(days=back),
                source=GmvSource.IMPORTED,
                gmv_cents=cents,
            )
        )


def _submit(session: Session, application: SellerApplication, owner: int, at: dt.datetime) -> None:
    _history(session, application, application.status, A.SUBMITTED, owner, "seller", at)
    application.submitted_at = application.submitted_at or at
    application.queued_at = at


def _approved(session: Session, rng: random.Random, seller: SellerPlan, site: Site, key: bytes) -> None:
    opened = seller.created_at
    application = _application(
        session, rng, seller, site, key, opened, followers=int(rng.lognormvariate(10.5, 1.1)) + 5000
    )
    submitted = opened + dt.timedelta(days=rng.randint(1, 4), hours=rng.randint(0, 9))
    _imported_gmv(session, rng, application, days=rng.randint(31, 75), last=submitted.date() - dt.timedelta(days=1))
    _submit(session, application, seller.owner_user_id, submitted)
    decided = submitted + dt.timedelta(days=rng.randint(1, 3), hours=rng.randint(0, 9))
    session.flush()
    assessment.reevaluate(session, application=application, now=decided)  # as the reviewer saw it
    _history(session, application, A.SUBMITTED, A.APPROVED, OPERATOR_USER_ID, "operator", decided)
    application.decided_at = decided


def _pending(
    session: Session,
    rng: random.Random,
    seller: SellerPlan,
    site: Site,
    story: str,
    key: bytes,
    reference: dt.datetime,
) -> None:
    opened = reference - dt.timedelta(days=rng.randint(8, 20), hours=rng.randint(0, 12))
    followers = rng.randint(2000, 4800) if story == "short_followers" else rng.randint(6000, 90_000)
    application = _application(session, rng, seller, site, key, opened, followers=followers)
    submitted = opened + dt.timedelta(days=rng.randint(1, 5), hours=rng.randint(0, 9))
    days = rng.randint(12, 25) if story == "short_streak" else rng.randint(31, 60)
    _imported_gmv(session, rng, application, days=days, last=submitted.date() - dt.timedelta(days=1))
    if story in ("submitted", "needs_info"):
        _submit(session, application, seller.owner_user_id, submitted)
    if story == "needs_info":
        asked = submitted + dt.timedelta(days=1, hours=rng.randint(0, 6))
        _history(
            session, application, A.SUBMITTED, A.NEEDS_INFO, OPERATOR_USER_ID, "operator", asked, NEEDS_INFO_REASON
        )
        application.decision_reason = NEEDS_INFO_REASON
    session.flush()
    assessment.reevaluate(session, application=application, now=reference)  # undecided: as of today
