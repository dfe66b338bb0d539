"""Seller onboarding endpoints: sign-up, the application and its GMV history (the seller), the review
queue and decisions (operators), market policies (public to read, operators to change)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Path, Query
from sqlalchemy.orm import Session

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.db import utcnow
from yellowcart.http import App, Db, PathId, decode_cursor, next_cursor, problems, require
from yellowcart.risk import signals as risk_signals
from yellowcart.sellers import assessment, gmv, identity, onboarding, policies, review
from yellowcart.sellers.models import ApplicationStatus, GmvSource, SellerApplication
from yellowcart.sellers.onboarding_schemas import (
    MARKET_PATTERN,
    ApplicationOpenIn,
    ApplicationOut,
    ApplicationPage,
    ApplicationPatch,
    DecisionIn,
    GmvChangeOut,
    GmvDayOut,
    GmvDaysOut,
    GmvImportIn,
    MarketList,
    PolicyIn,
    PolicyOut,
    SellerSignupIn,
    SignupOut,
)
from yellowcart.sellers.onboarding_views import application_out, policy_out, queue_item
from yellowcart.sellers.review import QueueKey

router = APIRouter(tags=["seller onboarding"])
PROBLEMS = problems(
    s403="Not allowed for this role (operators do not fill in applications; sellers do not review)",
    s404="Unknown application (or another seller's), seller or market",
    s409="Application locked or not eligible, illegal transition, name or email taken",
)
Manager = Annotated[Principal, require(Role.SELLER, Role.OPERATOR)]
SellerMember = Annotated[Principal, require(Role.SELLER)]
Operator = Annotated[Principal, require(Role.OPERATOR)]
MarketCodePath = Annotated[str, Path(pattern=MARKET_PATTERN, max_length=16)]
Cursor = Annotated[str | None, Query(max_length=128)]
Limit = Annotated[int, Query(ge=1, le=100)]
CSV_MAX_CHARS = 200_000  # two years of days with generous columns
CSV_EXAMPLE = 'date,gmv\n2026-10-30,612.40\n2026-10-31,"$1,204.00"\n'


def _out(session: Session, application: SellerApplication, who: Principal) -> ApplicationOut:
    return application_out(review.details(session, application=application, for_operator=who.is_operator))


# ---- the seller's side -----------------------------------------------------------------------------


@router.post(
    "/v1/seller-signups",
    response_model=SignupOut,
    status_code=201,
    responses=PROBLEMS,
    summary="Sign up as a seller: a PENDING seller account, its first member, a draft application and a token",
)
def sign_up(body: SellerSignupIn, db: Db) -> SignupOut:
    with db.transaction() as session:
        made = onboarding.sign_up(
            session, email=body.email, display_name=body.display_name, password=body.password,
            seller_name=body.seller_name, market_code=body.market_code, now=utcnow(),
        )  # fmt: skip
        application = application_out(review.details(session, application=made.application, for_operator=False))
        return SignupOut(token=made.token, user_id=made.user.id, seller_id=made.seller.id, application=application)


@router.post(
    "/v1/seller-applications",
    response_model=ApplicationOut,
    status_code=201,
    responses=PROBLEMS,
    summary="Open the application of my seller account (operators: of any seller, naming seller_id)",
)
def open_application(body: ApplicationOpenIn, db: Db, who: Manager) -> ApplicationOut:
    with db.transaction() as session:
        application = onboarding.open_application(
            session, principal=who, market_code=body.market_code, seller_id=body.seller_id, now=utcnow()
        )
        return _out(session, application, who)


@router.get(
    "/v1/seller-applications", response_model=ApplicationPage, responses=PROBLEMS, summary="Applications I may see"
)
def list_applications(
    db: Db,
    who: Manager,
    status: ApplicationStatus | None = None,
    market_code: Annotated[str | None, Query(pattern=MARKET_PATTERN, max_length=16)] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> ApplicationPage:
    """A seller: its own application; operators: all, newest first (the review queue is separate)."""
    with db.transaction() as session:
        rows = review.list_applications(
            session, principal=who, status=status, market_code=market_code, after_id=decode_cursor(cursor),
            limit=limit + 1,
        )  # fmt: skip
        page = list(rows[:limit])
        names = review.seller_names(session, page)
        reuse = review.reuse_of(session, page) if who.is_operator else {}
        items = [queue_item(a, seller_name=names.get(a.seller_id, ""), reuse=reuse.get(a.id)) for a in page]
    return ApplicationPage(items=items, next_cursor=next_cursor(items, len(rows) > limit))


@router.get(
    "/v1/seller-applications/{application_id}",
    response_model=ApplicationOut,
    responses=PROBLEMS,
    summary="An application: its data (numbers masked), each rule's result and what to fix, its history",
)
def get_application(application_id: PathId, db: Db, who: Manager) -> ApplicationOut:
    with db.transaction() as session:
        application = onboarding.get_application(session, principal=who, application_id=application_id)
        return _out(session, application, who)


@router.patch(
    "/v1/seller-applications/{application_id}",
    response_model=ApplicationOut,
    responses=PROBLEMS,
    summary="Fill in or replace sections (draft or needs_info); re-evaluated at once",
)
def update_application(
    application_id: PathId, body: ApplicationPatch, db: Db, app: App, who: SellerMember
) -> ApplicationOut:
    key = identity.pii_key(app.settings.pii_hash_key)
    with db.transaction() as session:
        application = onboarding.update_application(
            session, principal=who, application_id=application_id, patch=body, key=key, now=utcnow()
        )
        if body.phone is not None:  # risk: a contact change (keyed hash of the number only)
            risk_signals.phone_changed(
                session, principal=who, seller_id=application.seller_id, phone_e164=body.phone.phone
            )
        return _out(session, application, who)


@router.post(
    "/v1/seller-applications/{application_id}/submit",
    response_model=ApplicationOut,
    responses=PROBLEMS,
    summary="Submit for review (409 application_not_eligible lists the failing rules)",
)
def submit(application_id: PathId, db: Db, who: SellerMember) -> ApplicationOut:
    with db.transaction() as session:
        application = onboarding.submit(session, principal=who, application_id=application_id, now=utcnow())
        return _out(session, application, who)


@router.get(
    "/v1/seller-applications/{application_id}/gmv",
    response_model=GmvDaysOut,
    responses=PROBLEMS,
    summary="Daily GMV rows (imported and platform), oldest first",
)
def list_gmv(
    application_id: PathId, db: Db, who: Manager, source: GmvSource | None = None, since: dt.date | None = None
) -> GmvDaysOut:
    with db.transaction() as session:
        application = onboarding.get_application(session, principal=who, application_id=application_id)
        rows = gmv.list_days(session, application_id=application.id, source=source, since=since)
        return GmvDaysOut(items=[GmvDayOut.model_validate(r) for r in rows])


def _import(db: Db, who: Principal, application_id: int, days: list[gmv.GmvDay]) -> GmvChangeOut:
    with db.transaction() as session:
        application, count = onboarding.import_gmv(
            session, principal=who, application_id=application_id, days=days, now=utcnow()
        )
        return GmvChangeOut(days=count, application=_out(session, application, who))


@router.post(
    "/v1/seller-applications/{application_id}/gmv",
    response_model=GmvChangeOut,
    responses=PROBLEMS,
    summary="Import daily GMV of my own store (JSON); replaces the imported figure of the days sent",
)
def import_gmv(application_id: PathId, body: GmvImportIn, db: Db, who: SellerMember) -> GmvChangeOut:
    return _import(db, who, application_id, [gmv.GmvDay(d.date, d.gmv_cents) for d in body.days])


@router.post(
    "/v1/seller-applications/{application_id}/gmv/csv",
    response_model=GmvChangeOut,
    responses=PROBLEMS,
    summary="Import daily GMV as a CSV upload (Content-Type: text/csv; columns date and gmv or gmv_cents)",
)
def import_gmv_csv(
    application_id: PathId,
    db: Db,
    who: SellerMember,
    csv_text: Annotated[str, Body(media_type="text/csv", max_length=CSV_MAX_CHARS, examples=[CSV_EXAMPLE])],
) -> GmvChangeOut:
    return _import(db, who, application_id, gmv.parse_csv(csv_text))


@router.post(
    "/v1/seller-applications/{application_id}/gmv/platform-sync",
    response_model=GmvChangeOut,
    responses=PROBLEMS,
    summary="Recompute platform GMV from the seller's paid orders (the seller or operators)",
)
def sync_platform(application_id: PathId, db: Db, who: Manager) -> GmvChangeOut:
    with db.transaction() as session:
        application, count = onboarding.sync_platform_gmv(
            session, principal=who, application_id=application_id, now=utcnow()
        )
        return GmvChangeOut(days=count, application=_out(session, application, who))


# ---- the operators' side ---------------------------------------------------------------------------


@router.get(
    "/v1/operator/seller-applications",
    response_model=ApplicationPage,
    responses=PROBLEMS,
    summary="The review queue: submitted first, then waiting for the seller; oldest first; each rule's result",
)
def review_queue(
    db: Db,
    who: Operator,
    status: Literal["submitted", "needs_info"] | None = None,
    market_code: Annotated[str | None, Query(pattern=MARKET_PATTERN, max_length=16)] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> ApplicationPage:
    statuses = [ApplicationStatus(status)] if status else [ApplicationStatus.SUBMITTED, ApplicationStatus.NEEDS_INFO]
    after = QueueKey.decode(cursor) if cursor else None
    with db.transaction() as session:
        rows = review.review_queue(session, statuses=statuses, market_code=market_code, after=after, limit=limit + 1)
        page = rows[:limit]
        names, reuse = review.seller_names(session, page), review.reuse_of(session, page)
        items = [queue_item(a, seller_name=names.get(a.seller_id, ""), reuse=reuse.get(a.id)) for a in page]
        more = QueueKey.of(page[-1]).encode() if len(rows) > limit else None
    return ApplicationPage(items=items, next_cursor=more)


@router.post(
    "/v1/operator/seller-applications/{application_id}/decision",
    response_model=ApplicationOut,
    responses=PROBLEMS,
    summary="Approve (activates the seller), reject with a reason, or request more information with a reason",
)
def decide(application_id: PathId, body: DecisionIn, db: Db, who: Operator) -> ApplicationOut:
    with db.transaction() as session:
        application = review.decide(
            session, principal=who, application_id=application_id, decision=body.decision, reason=body.reason,
            now=utcnow(),
        )  # fmt: skip
        return _out(session, application, who)


# ---- markets -----------------------------------------------------------------------------------------


@router.get("/v1/markets", response_model=MarketList, responses=PROBLEMS, summary="Markets and their policies")
def list_markets(db: Db) -> MarketList:
    with db.transaction() as session:
        return MarketList(items=[policy_out(m) for m in policies.list_markets(session)])


@router.get(
    "/v1/markets/{code}/policy", response_model=PolicyOut, responses=PROBLEMS, summary="A market's onboarding policy"
)
def get_policy(code: MarketCodePath, db: Db) -> PolicyOut:
    with db.transaction() as session:
        return policy_out(policies.get_market(session, code=code))


@router.put(
    "/v1/markets/{code}/policy",
    response_model=PolicyOut,
    responses=PROBLEMS,
    summary="Replace a market's rules (or open a market); undecided applications are re-evaluated (operators)",
)
def put_policy(code: MarketCodePath, body: PolicyIn, db: Db, who: Operator) -> PolicyOut:
    now = utcnow()
    with db.transaction() as session:
        market, _ = policies.save_policy(session, code=code, name=body.name, rules=body.rules, user_id=who.user_id)
        count = assessment.reevaluate_market(session, code=code, now=now)
        return policy_out(market, reevaluated=count)
