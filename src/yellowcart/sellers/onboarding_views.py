"""Rows -> response shapes for onboarding. The one place numbers are rendered: always masked."""

from __future__ import annotations

from yellowcart.sellers import identity
from yellowcart.sellers.models import MarketPolicy, SellerApplication
from yellowcart.sellers.onboarding_schemas import (
    ApplicationOut,
    DocumentOut,
    EntityOut,
    EvaluationOut,
    GmvSummaryOut,
    HistoryOut,
    PolicyOut,
    QueueItemOut,
    ReuseOut,
    RuleResultOut,
    ShippingOriginOut,
    SocialOut,
)
from yellowcart.sellers.review import Details, Reuse


def evaluation_out(application: SellerApplication) -> EvaluationOut:
    return EvaluationOut(
        eligible=application.eligible,
        evaluated_at=application.evaluated_at,
        policy_version=application.policy_version,
        rules=[RuleResultOut.model_validate(result) for result in application.evaluation or []],
    )


def _entity(application: SellerApplication) -> EntityOut | None:
    if application.entity_type is None or application.legal_name is None or application.entity_country is None:
        return None
    return EntityOut(
        entity_type=application.entity_type,
        legal_name=application.legal_name,
        country=application.entity_country,
        ein=identity.mask_ein(application.ein_last4) if application.ein_last4 else None,
        address=application.entity_address or {},
    )


def _reuse(reuse: Reuse | None) -> ReuseOut | None:
    return None if reuse is None else ReuseOut(document=reuse.document, ein=reuse.ein)


def application_out(details: Details) -> ApplicationOut:
    a, doc = details.application, details.document
    document = None
    if doc is not None:
        document = DocumentOut(
            type=doc.doc_type,
            number=identity.mask_document(doc.number_last4),
            expires_on=doc.expires_on,
            issuing_country=doc.issuing_country,
            issuing_state=doc.issuing_state,
        )
    origin = None
    if a.origin_country and a.origin_postal_code:
        origin = ShippingOriginOut(country=a.origin_country, postal_code=a.origin_postal_code)
    social = None
    if a.social_platform is not None and a.social_handle is not None and a.follower_count is not None:
        social = SocialOut(platform=a.social_platform, handle=a.social_handle, follower_count=a.follower_count)
    g = details.gmv
    return ApplicationOut(
        id=a.id, seller_id=a.seller_id, seller_name=details.seller_name, market_code=a.market_code,
        status=a.status, entity=_entity(a), document=document,
        phone=identity.mask_phone(a.phone_e164) if a.phone_e164 else None,
        shipping_origin=origin, social=social,
        gmv=GmvSummaryOut(imported_days=g.imported_days, platform_days=g.platform_days, first_day=g.first_day,
                          last_day=g.last_day),
        evaluation=evaluation_out(a), decision_reason=a.decision_reason, created_at=a.created_at,
        submitted_at=a.submitted_at, queued_at=a.queued_at, decided_at=a.decided_at,
        history=[HistoryOut.model_validate(h) for h in details.history], reuse=_reuse(details.reuse),
    )  # fmt: skip


def queue_item(application: SellerApplication, *, seller_name: str, reuse: Reuse | None) -> QueueItemOut:
    return QueueItemOut(
        id=application.id,
        seller_id=application.seller_id,
        seller_name=seller_name,
        market_code=application.market_code,
        status=application.status,
        eligible=application.eligible,
        evaluation=evaluation_out(application),
        submitted_at=application.submitted_at,
        queued_at=application.queued_at,
        reuse=_reuse(reuse),
    )


def policy_out(market: MarketPolicy, reevaluated: int | None = None) -> PolicyOut:
    return PolicyOut(
        code=market.code,
        name=market.name,
        version=market.version,
        rules=market.rules,
        updated_at=market.updated_at,
        reevaluated=reevaluated,
    )
