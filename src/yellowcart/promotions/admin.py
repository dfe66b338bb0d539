"""Managing promotions: create, read, list, change and move them through their lifecycle
(draft -> active <-> paused -> ended).

Who: operators set up platform promotions (every seller's listings, or one seller's) funded by the
platform or split with that seller; a seller sets up its own, funded by itself alone (a split needs the
platform to co-fund, so only an operator sets one up) and manages only those. Other sellers' promotions
read as missing; shoppers and creators are refused.

What may change: a draft anything; an active or paused promotion only its name, end, budget and limits
(never below what is used): discount terms of a running promotion never change (end it and make
another), and its hold-out share is fixed once active (changing it would break the measurement).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.catalog.models import Category, Product, Variant
from yellowcart.errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound
from yellowcart.promotions import flash
from yellowcart.promotions.models import Funder, Promotion, PromotionKind, PromotionShopper, PromotionStatus
from yellowcart.promotions.schemas import PromotionIn, PromotionPatch
from yellowcart.sellers.models import Seller

K, S = PromotionKind, PromotionStatus
#: The columns a request sets (everything else is the service's: status, counters, deal, audit).
TERMS = tuple(f for f in PromotionIn.model_fields)
#: What an active or paused promotion may still change (a flash deal: its name; the rest is its deal's).
LIVE_FIELDS = frozenset({"name", "ends_at", "budget_cents", "total_limit", "per_shopper_limit"})


class PromotionNotFound(NotFound):
    code, title = "promotion_not_found", "Promotion not found"


class WindowPassed(Conflict):
    code, title = "promotion_window_passed", "The promotion's window has passed"


class TermsFixed(Conflict):
    code, title = "promotion_terms_fixed", "A running promotion's terms do not change"


class FlashNotPausable(Conflict):
    code, title = "flash_deal_not_pausable", "A flash deal cannot be paused"


# ---- the rules (pure) --------------------------------------------------------------------------------


def _discount_problems(v: Mapping[str, Any]) -> dict[str, str]:
    kind, pct, amount = v["kind"], v["percent_off_bps"], v["amount_off_cents"]
    if kind is K.FREE_SHIPPING:
        given = "percent_off_bps" if pct is not None else "amount_off_cents" if amount is not None else None
        return {given: "free shipping takes no percent or amount off"} if given else {}
    if (pct is None) == (amount is None):
        return {"percent_off_bps": "give exactly one of percent_off_bps (1 to 9,000) or amount_off_cents"}
    return {}


def _kind_problems(v: Mapping[str, Any]) -> dict[str, str]:
    """Fields that only some kinds have."""
    kind, wrong = v["kind"], {}
    if kind is K.BUNDLE and v["min_quantity"] < 2:
        wrong["min_quantity"] = "a bundle needs at least 2 units"
    elif kind is not K.BUNDLE and v["min_quantity"] != 1:
        wrong["min_quantity"] = "only bundles have a minimum quantity"
    if v["min_spend_cents"] and kind not in (K.COUPON, K.FREE_SHIPPING):
        wrong["min_spend_cents"] = "only coupons and free shipping have a minimum spend"
    if v["claimable"] and kind is not K.COUPON:
        wrong["claimable"] = "only coupons are claimable"
    if v["exclusive"] and kind is not K.COUPON:
        wrong["exclusive"] = "only coupons are exclusive"
    if v["holdout_bps"] and kind is K.COUPON and not v["claimable"]:
        wrong["holdout_bps"] = "must be 0 for a code-only coupon: a code given out elsewhere cannot be held out"
    if kind is K.FLASH_DEAL:
        scope = v["variant_ids"] or []
        if len(scope) != 1 or v["product_ids"] is not None or v["category_id"] is not None:
            wrong["variant_ids"] = "a flash deal covers exactly one variant (no products, no category)"
        if v["quantity_cap"] is None:
            wrong["quantity_cap"] = "a flash deal needs a quantity cap"
        for field in ("budget_cents", "total_limit"):
            if v[field] is not None:
                wrong[field] = "a flash deal is limited by its quantity cap"
        if v["holdout_bps"]:
            wrong["holdout_bps"] = "must be 0 for a flash deal: it is sold to whoever has its deal id"
        if v["new_customer_only"]:
            wrong["new_customer_only"] = "a flash deal is sold to every shopper"
    elif v["quantity_cap"] is not None:
        wrong["quantity_cap"] = "only flash deals have a quantity cap"
    return wrong


def _funding_problems(v: Mapping[str, Any]) -> dict[str, str]:
    funder, share = v["funder"], v["seller_share_bps"]
    expected = {Funder.SELLER: share == 10_000, Funder.PLATFORM: share == 0, Funder.SPLIT: 0 < share < 10_000}
    if not expected[funder]:
        why = {Funder.SELLER: "10,000", Funder.PLATFORM: "0", Funder.SPLIT: "between 1 and 9,999"}[funder]
        return {"seller_share_bps": f"must be {why} when {funder.value} funds it"}
    if funder is not Funder.PLATFORM and v["seller_id"] is None:
        return {"seller_id": "a promotion a seller (co-)funds covers that seller's listings: give seller_id"}
    return {}


def term_problems(v: Mapping[str, Any]) -> dict[str, str]:
    """Field -> what is wrong with a promotion's terms (no I/O); empty when they hold together."""
    wrong = _discount_problems(v)
    if v["ends_at"] <= v["starts_at"]:
        wrong.setdefault("ends_at", "must be after starts_at")
    for field, why in {**_kind_problems(v), **_funding_problems(v)}.items():
        wrong.setdefault(field, why)
    return wrong


# ---- the catalogue and who funds ---------------------------------------------------------------------


def _owners(session: Session, ids: Sequence[int], query: Any) -> dict[int, int]:
    return {int(i): int(s) for i, s in session.execute(query).all()} if ids else {}


def _scope_problems(session: Session, v: Mapping[str, Any]) -> dict[str, str]:
    """The sellers, listings, variants and category named exist, and belong to the promotion's seller."""
    wrong: dict[str, str] = {}
    seller_id = v["seller_id"]
    if seller_id is not None and session.get(Seller, seller_id) is None:
        wrong["seller_id"] = f"there is no seller {seller_id}"
    if v["category_id"] is not None and session.get(Category, v["category_id"]) is None:
        wrong["category_id"] = f"there is no category {v['category_id']}"
    products, variants = v["product_ids"] or [], v["variant_ids"] or []
    scopes = {
        "product_ids": (products, select(Product.id, Product.seller_id).where(Product.id.in_(products))),
        "variant_ids": (
            variants,
            select(Variant.id, Product.seller_id)
            .join(Product, Product.id == Variant.product_id)
            .where(Variant.id.in_(variants)),
        ),
    }
    for field, (ids, query) in scopes.items():
        owners = _owners(session, ids, query)
        missing = sorted(set(ids) - set(owners))
        others = sorted(i for i, s in owners.items() if seller_id is not None and s != seller_id)
        if missing:
            wrong[field] = f"unknown ids {missing}"
        elif others:
            wrong[field] = f"ids {others} are not listings of seller {seller_id}"
    return wrong


def _resolve_funding(principal: Principal, v: dict[str, Any], given: set[str]) -> None:
    """Fill ``funder``, ``seller_share_bps`` and ``seller_id`` as the caller may set them (in place)."""
    if principal.role is Role.SELLER:
        if "funder" in given and v["funder"] is not Funder.SELLER:
            raise Forbidden(
                "A split or platform-funded promotion needs the platform to co-fund: an operator sets it up."
            )
        if "seller_id" in given and v["seller_id"] not in (None, principal.seller_id):
            raise Forbidden("A seller sets up promotions on its own listings only.")
        if "seller_share_bps" in given and v["seller_share_bps"] not in (None, 10_000):
            raise Forbidden("A seller's own promotion is funded by the seller alone (seller_share_bps 10,000).")
        v.update(funder=Funder.SELLER, seller_share_bps=10_000, seller_id=principal.seller_id)
        return
    if v["funder"] is None:
        v["funder"] = Funder.PLATFORM
    if v["funder"] is Funder.SELLER and "funder" in given:  # (an operator may still edit a seller's draft)
        raise InvalidInput(
            "funder: operators set up platform or split promotions; a seller-funded one is the seller's own.",
            field="funder",
        )
    if v["seller_share_bps"] is None or ("funder" in given and "seller_share_bps" not in given):
        v["seller_share_bps"] = 0 if v["funder"] is Funder.PLATFORM else v["seller_share_bps"] or 0


def _validate(session: Session, v: Mapping[str, Any], *, now: dt.datetime) -> None:
    wrong = term_problems(v)
    for field, why in _scope_problems(session, v).items():
        wrong.setdefault(field, why)
    if v["kind"] is K.FLASH_DEAL and not wrong:
        wrong = flash.problems(session, v, now=now)
    if wrong:
        field = next(iter(wrong))
        raise InvalidInput(f"{field} {wrong[field]}.", field=field, problems=wrong)


def _normalised(v: dict[str, Any]) -> dict[str, Any]:
    for field in ("product_ids", "variant_ids"):
        if v.get(field) is not None:
            v[field] = sorted(set(v[field]))
    for field in ("starts_at", "ends_at"):
        if isinstance(v.get(field), dt.datetime):
            try:
                v[field] = v[field].astimezone(dt.UTC)
            except OverflowError as exc:  # e.g. year 1 at UTC+1
                raise InvalidInput(f"{field} is out of range.", field=field) from exc
    return v


# ---- who may see and manage ----------------------------------------------------------------------------


def require_manager(principal: Principal) -> None:
    if principal.role not in (Role.SELLER, Role.OPERATOR):
        raise Forbidden("Promotions are managed by sellers and operators.")


def get_promotion(session: Session, *, principal: Principal, promotion_id: int, lock: bool = False) -> Promotion:
    """A promotion the caller may see: operators any, a seller those on its listings."""
    require_manager(principal)
    query = select(Promotion).where(Promotion.id == promotion_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    promotion = session.scalar(query)
    if promotion is None or (principal.role is Role.SELLER and promotion.seller_id != principal.seller_id):
        raise PromotionNotFound(f"Promotion {promotion_id} does not exist.")
    return promotion


def managed(session: Session, *, principal: Principal, promotion_id: int) -> Promotion:
    """A promotion the caller may change, locked: a seller only those it funds alone."""
    promotion = get_promotion(session, principal=principal, promotion_id=promotion_id, lock=True)
    if principal.role is Role.SELLER and promotion.funder is not Funder.SELLER:
        raise Forbidden("The platform (co-)funds this promotion: operators manage it.")
    return promotion


# ---- create, read, list ----------------------------------------------------------------------------------


def create(session: Session, *, principal: Principal, data: PromotionIn, now: dt.datetime) -> Promotion:
    require_manager(principal)
    v = _normalised(data.model_dump())
    v["starts_at"] = v["starts_at"] or now
    _resolve_funding(principal, v, set(data.model_fields_set))
    _validate(session, v, now=now)
    if v["ends_at"] <= now:
        raise InvalidInput("ends_at must be in the future.", field="ends_at")
    promotion = Promotion(**v, status=S.DRAFT, created_by=principal.user_id, redemptions=0, budget_used_cents=0)
    session.add(promotion)
    session.flush()
    return promotion


def list_promotions(
    session: Session,
    *,
    principal: Principal,
    status: PromotionStatus | None,
    kind: PromotionKind | None,
    seller_id: int | None,
    after_id: int | None,
    limit: int,
) -> Sequence[Promotion]:
    """Operators: all (filtered); a seller: those on its listings, whoever set them up."""
    require_manager(principal)
    query = select(Promotion)
    if principal.role is Role.SELLER:
        query = query.where(Promotion.seller_id == principal.seller_id)
    elif seller_id is not None:
        query = query.where(Promotion.seller_id == seller_id)
    if status is not None:
        query = query.where(Promotion.status == status)
    if kind is not None:
        query = query.where(Promotion.kind == kind)
    if after_id is not None:
        query = query.where(Promotion.id > after_id)
    return session.scalars(query.order_by(Promotion.id).limit(limit)).all()


# ---- change ----------------------------------------------------------------------------------------------


def _differs(current: Any, wanted: Any) -> bool:
    if isinstance(current, list) and isinstance(wanted, list):
        return sorted(current) != sorted(wanted)
    return bool(current != wanted)


def _max_uses(session: Session, promotion_id: int) -> int:
    return int(
        session.scalar(select(func.max(PromotionShopper.uses)).where(PromotionShopper.promotion_id == promotion_id))
        or 0
    )


def _live_problems(session: Session, p: Promotion, given: Mapping[str, Any], now: dt.datetime) -> dict[str, str]:
    """An active or paused promotion's end, budget and limits: never below what is already used."""
    wrong: dict[str, str] = {}
    ends_at: dt.datetime | None = given.get("ends_at")
    if ends_at is not None and (ends_at <= p.starts_at or ends_at <= now):
        wrong["ends_at"] = "must be after starts_at and in the future"
    used = {
        "budget_cents": p.budget_used_cents,
        "total_limit": p.redemptions,
        "per_shopper_limit": _max_uses(session, p.id) if "per_shopper_limit" in given else 0,
    }
    for field, floor in used.items():
        if given.get(field) is not None and given[field] < floor:
            wrong[field] = f"cannot go below what is already used ({floor})"
    return wrong


def update_promotion(
    session: Session, *, principal: Principal, promotion_id: int, patch: PromotionPatch, now: dt.datetime
) -> Promotion:
    p = managed(session, principal=principal, promotion_id=promotion_id)
    given = _normalised({f: getattr(patch, f) for f in patch.model_fields_set})
    if p.status is S.ENDED:
        raise InvalidTransition(f"Promotion {p.id} has ended; it does not change any more.")
    if p.status is S.DRAFT:
        v = {f: getattr(p, f) for f in TERMS} | given
        _resolve_funding(principal, v, set(given))
        _validate(session, v, now=now)
        changes = v
    else:
        allowed = {"name"} if p.kind is K.FLASH_DEAL else LIVE_FIELDS
        fixed = sorted(f for f, value in given.items() if f not in allowed and _differs(getattr(p, f), value))
        if fixed:
            raise TermsFixed(
                f"Once active, promotion {p.id} changes only {', '.join(sorted(allowed))}; "
                f"end it and make another to change {', '.join(fixed)}.",
                fields=fixed,
            )
        wrong = _live_problems(session, p, given, now)
        if wrong:
            field = next(iter(wrong))
            raise InvalidInput(f"{field} {wrong[field]}.", field=field, problems=wrong)
        changes = {f: value for f, value in given.items() if f in allowed}
        if "per_shopper_limit" in changes:  # each shopper's counter carries the cap its CHECK enforces
            session.execute(
                update(PromotionShopper)
                .where(PromotionShopper.promotion_id == p.id)
                .values(cap=changes["per_shopper_limit"])
                .execution_options(synchronize_session=False)
            )
    for field, value in changes.items():
        setattr(p, field, value)
    session.flush()
    return p


# ---- lifecycle -------------------------------------------------------------------------------------------


def _window_open(p: Promotion, now: dt.datetime) -> None:
    if p.ends_at <= now:
        raise WindowPassed(
            f"Promotion {p.id} ended at {p.ends_at.isoformat()}; make another.", ends_at=p.ends_at.isoformat()
        )


def activate(session: Session, *, principal: Principal, promotion_id: int, now: dt.datetime) -> Promotion:
    """Draft -> active (a flash deal's live deal is created, and started when its window has begun).
    The terms are checked again: the catalogue may have changed since the draft was written."""
    p = managed(session, principal=principal, promotion_id=promotion_id)
    if p.status is S.ACTIVE:
        return p
    if p.status is not S.DRAFT:
        hint = "; resume it" if p.status is S.PAUSED else ""
        raise InvalidTransition(f"Promotion {p.id} is {p.status.value}{hint}.", status=p.status.value)
    _window_open(p, now)
    _validate(session, {f: getattr(p, f) for f in TERMS}, now=now)
    if p.kind is K.FLASH_DEAL:
        flash.open_deal(session, p, now=now)
    p.status = S.ACTIVE
    session.flush()
    return p


def pause(session: Session, *, principal: Principal, promotion_id: int, now: dt.datetime) -> Promotion:
    p = managed(session, principal=principal, promotion_id=promotion_id)
    if p.status is S.PAUSED:
        return p
    if p.status is not S.ACTIVE:
        raise InvalidTransition(f"Promotion {p.id} is {p.status.value}.", status=p.status.value)
    if p.kind is K.FLASH_DEAL:
        raise FlashNotPausable("A flash deal's units are set aside for its window: end it instead.")
    p.status = S.PAUSED
    session.flush()
    return p


def resume(session: Session, *, principal: Principal, promotion_id: int, now: dt.datetime) -> Promotion:
    p = managed(session, principal=principal, promotion_id=promotion_id)
    if p.status is S.ACTIVE:
        return p
    if p.status is not S.PAUSED:
        raise InvalidTransition(f"Promotion {p.id} is {p.status.value}.", status=p.status.value)
    _window_open(p, now)
    p.status = S.ACTIVE
    session.flush()
    return p


def finish(session: Session, p: Promotion, *, reason: str, now: dt.datetime) -> None:
    """End a promotion for good (by hand, expired, budget or limit used up); a flash deal's deal ends
    with it. The caller holds the promotion's row lock."""
    if p.status is S.ENDED:
        return
    if p.kind is K.FLASH_DEAL:
        flash.close_deal(session, p, reason="promotion_ended" if reason == "ended" else reason, now=now)
    p.status, p.end_reason, p.ended_at = S.ENDED, reason, now
    session.flush()


def end(session: Session, *, principal: Principal, promotion_id: int, now: dt.datetime) -> Promotion:
    """Any state -> ended (``end_reason`` "ended"); ending an ended promotion changes nothing."""
    p = managed(session, principal=principal, promotion_id=promotion_id)
    finish(session, p, reason="ended", now=now)
    return p
