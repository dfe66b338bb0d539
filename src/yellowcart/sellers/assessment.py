"""Evaluating an application against its market's policy and storing the result.

An application is re-evaluated whenever anything it is judged on changes: its own data (entity,
document, phone, origin, social account, GMV), its market's policy, the platform orders that make its
GMV, and the calendar (an ID expires, a GMV streak slides out of the window: the daily job).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

import structlog
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from yellowcart.db import Database, utcnow
from yellowcart.fulfillment.geo import Place, place_of
from yellowcart.sellers import eligibility, gmv, policies
from yellowcart.sellers.lifecycle import OPEN
from yellowcart.sellers.models import SellerApplication, SellerIdDocument

log = structlog.get_logger(__name__)
#: The daily re-evaluation runs at most this often from the worker.
DAILY_JOB_EVERY = dt.timedelta(hours=1)


def _us_place(country: str | None, postal_code: str | None) -> Place | None:
    if country != "US" or not postal_code:
        return None
    return place_of(postal_code[:5])


def document_of(session: Session, application_id: int) -> SellerIdDocument | None:
    return session.scalar(select(SellerIdDocument).where(SellerIdDocument.application_id == application_id))


def facts_for(session: Session, application: SellerApplication, *, on: dt.date) -> eligibility.Facts:
    """What the policy may look at, ZIPs resolved through the fulfilment ZIP index."""
    entity = None
    if application.entity_type is not None and application.legal_name and application.entity_country:
        address = application.entity_address or {}
        entity = eligibility.Entity(
            entity_type=application.entity_type.value,
            legal_name=application.legal_name,
            country=application.entity_country,
            has_ein=application.ein_hmac is not None,
            state=address.get("state"),
            place=_us_place(application.entity_country, address.get("postal_code")),
        )
    doc = document_of(session, application.id)
    document = None
    if doc is not None:
        document = eligibility.Document(doc.doc_type, doc.expires_on, doc.issuing_country, doc.issuing_state)
    origin = None
    if application.origin_country and application.origin_postal_code:
        origin = eligibility.Origin(
            country=application.origin_country,
            postal_code=application.origin_postal_code,
            place=_us_place(application.origin_country, application.origin_postal_code),
        )
    since = on - dt.timedelta(days=gmv.HISTORY_DAYS)
    return eligibility.Facts(
        entity=entity,
        document=document,
        phone_e164=application.phone_e164,
        origin=origin,
        followers=application.follower_count,
        gmv_by_day=gmv.gmv_by_day(session, application_id=application.id, since=since),
    )


def reevaluate(session: Session, *, application: SellerApplication, now: dt.datetime) -> eligibility.Evaluation:
    """Evaluate against the market's current policy on ``now``'s (UTC) date and store the result."""
    market = policies.get_market(session, code=application.market_code)
    on = now.astimezone(dt.UTC).date()
    evaluation = eligibility.evaluate(policies.rules_of(market), facts_for(session, application, on=on), on=on)
    application.eligible = evaluation.eligible
    application.evaluation = [dataclasses.asdict(result) for result in evaluation.results]
    application.evaluated_at, application.policy_version = now, market.version
    session.flush()
    return evaluation


def reevaluate_market(session: Session, *, code: str, now: dt.datetime) -> int:
    """After a policy change: every undecided application of the market, locked in id order."""
    rows = session.scalars(
        select(SellerApplication)
        .where(SellerApplication.market_code == code, SellerApplication.status.in_(OPEN))
        .order_by(SellerApplication.id)
        .with_for_update()
    ).all()
    for application in rows:
        reevaluate(session, application=application, now=now)
    return len(rows)


def reevaluate_stale(db: Database, *, now: dt.datetime, batch: int = 200) -> int:
    """The daily job: undecided applications last evaluated before today (UTC), a transaction per batch."""
    today = dt.datetime.combine(now.astimezone(dt.UTC).date(), dt.time(), dt.UTC)
    done = 0
    while True:
        with db.transaction() as session:
            rows = session.scalars(
                select(SellerApplication)
                .where(
                    SellerApplication.status.in_(OPEN),
                    or_(SellerApplication.evaluated_at.is_(None), SellerApplication.evaluated_at < today),
                )
                .order_by(SellerApplication.id)
                .limit(batch)
                .with_for_update()
            ).all()
            for application in rows:
                reevaluate(session, application=application, now=now)
        done += len(rows)
        if len(rows) < batch:
            return done


def daily_job(db: Database) -> Callable[[], None]:
    """The worker's periodic entry: re-evaluates stale applications at most every ``DAILY_JOB_EVERY``."""
    last: list[dt.datetime] = []

    def run() -> None:
        now = utcnow()
        if last and now - last[0] < DAILY_JOB_EVERY:
            return
        last[:] = [now]
        count = reevaluate_stale(db, now=now)
        if count:
            log.info("seller_applications.reevaluated", count=count)

    return run
