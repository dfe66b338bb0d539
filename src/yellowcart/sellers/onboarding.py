"""Seller onboarding, the seller's side: sign up (or open an application for an account an operator
opened), fill it in section by section, import GMV history, submit for review.

How a would-be seller starts: ``sign_up`` is the seller twin of shopper sign-up. It opens a PENDING
seller account, its first member (a user with the seller role: one role per user, as everywhere) and
a draft application, and returns a token. A seller account an operator opened (``POST /v1/sellers``
plus members) gets its application from ``open_application``. A PENDING seller cannot publish listings;
approval makes it ACTIVE.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from yellowcart.auth import service as auth
from yellowcart.auth.models import Role, User
from yellowcart.auth.service import Principal
from yellowcart.db import flush_guarded
from yellowcart.errors import Conflict, Forbidden, InvalidInput, NotFound
from yellowcart.events import emit
from yellowcart.sellers import assessment, gmv, identity, policies
from yellowcart.sellers import service as sellers
from yellowcart.sellers.lifecycle import EDITABLE, check_transition
from yellowcart.sellers.models import ApplicationStatus, Seller, SellerApplication, SellerApplicationHistory
from yellowcart.sellers.models import SellerIdDocument as IdDocument
from yellowcart.sellers.onboarding_schemas import (
    ApplicationPatch,
    DocumentIn,
    EntityIn,
    ShippingOriginIn,
    SocialIn,
)

log = structlog.get_logger(__name__)
SIGNUP_TOKEN_TTL = dt.timedelta(days=30)
SYSTEM = "system"


class ApplicationExists(Conflict):
    code, title = "application_exists", "This seller already has an application"


class ApplicationLocked(Conflict):
    code, title = "application_locked", "The application is under review or decided"


class NotEligible(Conflict):
    code, title = "application_not_eligible", "The application does not meet the market's policy"


class UnknownMarketCode(InvalidInput):
    code, title = "unknown_market", "Unknown market"


class SellerOnlyAction(Forbidden):
    code, title = "seller_only", "Only the seller's own members do this"


def may_see(principal: Principal, application: SellerApplication) -> bool:
    """Operators see every application; a seller's members their own; nobody else any."""
    own = principal.role is Role.SELLER and principal.seller_id == application.seller_id
    return principal.is_operator or own


def get_application(
    session: Session, *, principal: Principal, application_id: int, lock: bool = False
) -> SellerApplication:
    """Someone else's application is missing, not forbidden (it does not reveal that it exists)."""
    application = session.get(SellerApplication, application_id, with_for_update=lock)
    if application is None or not may_see(principal, application):
        raise NotFound(f"Seller application {application_id} does not exist.")
    return application


def _own_for_change(session: Session, principal: Principal, application_id: int) -> SellerApplication:
    application = get_application(session, principal=principal, application_id=application_id, lock=True)
    if principal.is_operator:
        raise SellerOnlyAction("Operators review applications; the seller fills them in.")
    return application


def _editable(session: Session, principal: Principal, application_id: int) -> SellerApplication:
    application = _own_for_change(session, principal, application_id)
    if application.status not in EDITABLE:
        raise ApplicationLocked(
            f"Application {application.id} is {application.status.value}; it can change only as a draft or when "
            "more information is requested.",
            status=application.status.value,
        )
    return application


def _market(session: Session, code: str) -> None:
    try:
        policies.get_market(session, code=code)
    except policies.UnknownMarket as exc:
        raise UnknownMarketCode(exc.detail, field="market_code") from exc


# ---- starting --------------------------------------------------------------------------------------


def record_transition(
    session: Session,
    *,
    application: SellerApplication,
    target: ApplicationStatus,
    actor: Principal | None,
    reason: str | None,
    now: dt.datetime,
) -> None:
    """The one place an application's status changes: the audit row and the outbox event come with it."""
    current = application.status
    check_transition(current, target)
    application.status, application.updated_at = target, now
    session.add(
        SellerApplicationHistory(
            application_id=application.id,
            at=now,
            actor_user_id=actor.user_id if actor else None,
            actor_role=actor.role.value if actor else SYSTEM,
            from_status=current,
            to_status=target,
            reason=reason,
        )
    )
    emit(
        session,
        "seller_application.status_changed",
        application_id=application.id,
        seller_id=application.seller_id,
        status=target.value,
        was=current.value,
    )
    log.info("seller_application.status", application_id=application.id, status=target.value)


def _new_application(
    session: Session, *, seller_id: int, market_code: str, actor: Principal, now: dt.datetime
) -> SellerApplication:
    if session.scalar(select(SellerApplication.id).where(SellerApplication.seller_id == seller_id)) is not None:
        raise ApplicationExists(f"Seller {seller_id} already has an application.", field="seller_id")
    application = SellerApplication(
        seller_id=seller_id, market_code=market_code, status=ApplicationStatus.DRAFT, opened_by_user_id=actor.user_id,
        created_at=now, updated_at=now,
    )  # fmt: skip
    flush_guarded(
        session,
        lambda: session.add(application),
        lambda: ApplicationExists(f"Seller {seller_id} already has an application.", field="seller_id"),
    )
    session.add(
        SellerApplicationHistory(application_id=application.id, at=now, actor_user_id=actor.user_id,
                                 actor_role=actor.role.value, from_status=None, to_status=ApplicationStatus.DRAFT)
    )  # fmt: skip
    today = now.astimezone(dt.UTC).date()
    gmv.refresh_platform(
        session, application=application, first=today - dt.timedelta(days=gmv.HISTORY_DAYS), last=today
    )
    assessment.reevaluate(session, application=application, now=now)
    return application


def open_application(
    session: Session, *, principal: Principal, market_code: str, seller_id: int | None, now: dt.datetime
) -> SellerApplication:
    """A seller's member opens its account's application; an operator opens one for any seller."""
    if principal.role is Role.SELLER:
        if seller_id is not None and seller_id != principal.seller_id:
            raise NotFound(f"Seller {seller_id} does not exist.", field="seller_id")
        seller_id = principal.seller_id
    elif seller_id is None:
        raise InvalidInput("Operators name the seller the application is for.", field="seller_id")
    assert seller_id is not None
    if session.get(Seller, seller_id) is None:
        raise NotFound(f"Seller {seller_id} does not exist.", field="seller_id")
    _market(session, market_code)
    return _new_application(session, seller_id=seller_id, market_code=market_code, actor=principal, now=now)


@dataclass(frozen=True, slots=True)
class SignedUp:
    token: str
    user: User
    seller: Seller
    application: SellerApplication


def sign_up(
    session: Session,
    *,
    email: str,
    display_name: str,
    password: str,
    seller_name: str,
    market_code: str,
    now: dt.datetime,
) -> SignedUp:
    """A PENDING seller account, its first member, a draft application and a token, all or nothing."""
    _market(session, market_code)
    seller = sellers.create_seller(session, name=seller_name)
    user = auth.create_user(
        session, email=email, display_name=display_name, role=Role.SELLER, seller_id=seller.id, password=password
    )
    token, _ = auth.create_token(session, user_id=user.id, name="seller-signup", ttl=SIGNUP_TOKEN_TTL)
    actor = Principal(user_id=user.id, role=Role.SELLER, seller_id=seller.id)
    application = _new_application(session, seller_id=seller.id, market_code=market_code, actor=actor, now=now)
    return SignedUp(token=token, user=user, seller=seller, application=application)


# ---- filling in --------------------------------------------------------------------------------------


def update_application(
    session: Session, *, principal: Principal, application_id: int, patch: ApplicationPatch, key: bytes,
    now: dt.datetime,
) -> SellerApplication:  # fmt: skip
    """Replace the sections sent (each as a whole), then re-evaluate."""
    application = _editable(session, principal, application_id)
    if patch.market_code is not None:
        _market(session, patch.market_code)
        application.market_code = patch.market_code
    if patch.entity is not None:
        _set_entity(application, patch.entity, key)
    if patch.document is not None:
        _set_document(session, application, patch.document, key, now)
    if patch.phone is not None:
        application.phone_e164 = patch.phone.phone
    if patch.shipping_origin is not None:
        _set_origin(application, patch.shipping_origin)
    if patch.social is not None:
        _set_social(application, patch.social)
    application.updated_at = now
    assessment.reevaluate(session, application=application, now=now)
    log.info("seller_application.updated", application_id=application.id, sections=sorted(patch.model_fields_set))
    return application


def _set_entity(application: SellerApplication, entity: EntityIn, key: bytes) -> None:
    application.entity_type, application.legal_name = entity.entity_type, entity.legal_name
    application.entity_country = entity.country
    application.entity_address = entity.address.model_dump()
    if entity.ein is None:
        application.ein_last4 = application.ein_hmac = None
    else:
        application.ein_last4, application.ein_hmac = entity.ein[-4:], identity.ein_hash(key, entity.ein)


def _set_document(
    session: Session, application: SellerApplication, document: DocumentIn, key: bytes, now: dt.datetime
) -> None:
    """Only the last four characters and the keyed hash of the number are kept."""
    row = assessment.document_of(session, application.id)
    if row is None:
        row = IdDocument(application_id=application.id)
        session.add(row)
    row.doc_type, row.expires_on = document.type, document.expires_on
    row.issuing_country, row.issuing_state = document.issuing_country, document.issuing_state
    row.number_last4 = document.number[-4:]
    row.number_hmac = identity.document_hash(
        key, doc_type=document.type.value, country=document.issuing_country, state=document.issuing_state,
        number=document.number,
    )  # fmt: skip
    row.recorded_at = now
    session.flush()


def _set_origin(application: SellerApplication, origin: ShippingOriginIn) -> None:
    application.origin_country, application.origin_postal_code = origin.country, origin.postal_code


def _set_social(application: SellerApplication, social: SocialIn) -> None:
    application.social_platform, application.social_handle = social.platform, social.handle
    application.follower_count = social.follower_count


def import_gmv(
    session: Session, *, principal: Principal, application_id: int, days: list[gmv.GmvDay], now: dt.datetime
) -> tuple[SellerApplication, int]:
    """The seller's own daily sales history (replacing the imported figure of the days given)."""
    application = _editable(session, principal, application_id)
    gmv.check_days(days, today=now.astimezone(dt.UTC).date())
    count = gmv.import_days(session, application=application, days=days)
    application.updated_at = now
    assessment.reevaluate(session, application=application, now=now)
    return application, count


def sync_platform_gmv(
    session: Session, *, principal: Principal, application_id: int, now: dt.datetime
) -> tuple[SellerApplication, int]:
    """Recompute the platform GMV of the kept history from the orders (the seller or an operator)."""
    application = get_application(session, principal=principal, application_id=application_id, lock=True)
    today = now.astimezone(dt.UTC).date()
    first = today - dt.timedelta(days=gmv.HISTORY_DAYS)
    count = gmv.refresh_platform(session, application=application, first=first, last=today)
    if application.status not in (ApplicationStatus.APPROVED, ApplicationStatus.REJECTED):
        assessment.reevaluate(session, application=application, now=now)
    return application, count


def submit(session: Session, *, principal: Principal, application_id: int, now: dt.datetime) -> SellerApplication:
    """Into the review queue, only when every rule of the market passes today."""
    application = _own_for_change(session, principal, application_id)
    check_transition(application.status, ApplicationStatus.SUBMITTED)
    evaluation = assessment.reevaluate(session, application=application, now=now)
    if not evaluation.eligible:
        raise NotEligible(
            "Fix the failing rules before submitting.",
            failing=[{"kind": r.kind, "explanation": r.explanation, "fix": r.fix} for r in evaluation.failing()],
        )
    record_transition(
        session, application=application, target=ApplicationStatus.SUBMITTED, actor=principal, reason=None, now=now
    )
    application.submitted_at = application.submitted_at or now
    application.queued_at = now
    session.flush()
    return application
