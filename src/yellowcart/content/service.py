"""Content use cases: creators and sellers publish videos and live rooms tagged with listings."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.catalog.models import Product, ProductStatus
from yellowcart.content.models import Anchor, Content, ContentKind, ContentStatus, LiveState
from yellowcart.content.schemas import ContentIn, ContentPatch
from yellowcart.creators import showcase
from yellowcart.db import utcnow
from yellowcart.errors import Conflict, Forbidden, InvalidInput, NotFound
from yellowcart.events import emit
from yellowcart.risk import enforcement

AUTHORS = frozenset({Role.CREATOR, Role.SELLER})


def _anchors(session: Session, principal: Principal, product_ids: Sequence[int]) -> list[Anchor]:
    """Creators tag only listings in their affiliate showcase that offer them a rate; sellers only their own."""
    wanted = list(dict.fromkeys(product_ids))
    rows = {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(wanted)))}
    bad = [pid for pid in wanted if pid not in rows or rows[pid].status is not ProductStatus.ACTIVE]
    if bad:
        raise InvalidInput("Only active listings can be tagged.", field="product_ids", product_ids=bad)
    if principal.role is Role.SELLER:
        foreign = [pid for pid in wanted if rows[pid].seller_id != principal.seller_id]
        if foreign:
            raise Forbidden("A seller can only tag its own listings.", product_ids=foreign)
    if principal.role is Role.CREATOR:
        showcase.check_taggable(session, creator_id=principal.user_id, product_ids=wanted)
    return [Anchor(product_id=pid, position=i) for i, pid in enumerate(wanted)]


def create_content(session: Session, *, principal: Principal, data: ContentIn) -> Content:
    if principal.role not in AUTHORS:
        raise Forbidden("Only creators and sellers publish content.")
    if data.kind is ContentKind.VIDEO and data.duration_s is None:
        raise InvalidInput("A video needs duration_s.", field="duration_s")
    content = Content(
        kind=data.kind,
        owner_user_id=principal.user_id,
        seller_id=principal.seller_id if principal.role is Role.SELLER else None,
        title=data.title,
        description=data.description,
        hashtags=[h.lower() for h in data.hashtags],
        duration_s=data.duration_s,
        poster_ref=data.poster_ref,
        status=data.status,
        live_state=LiveState.SCHEDULED if data.kind is ContentKind.LIVE else None,
        scheduled_at=data.scheduled_at,
        published_at=utcnow() if data.status is ContentStatus.PUBLISHED else None,
        anchors=_anchors(session, principal, data.product_ids),
    )
    session.add(content)
    session.flush()
    return content


def get_content(session: Session, *, principal: Principal | None, content_id: int, manage: bool = False) -> Content:
    """Published content for anyone; drafts and removed only for the owner and operators."""
    content = session.scalar(select(Content).where(Content.id == content_id).options(selectinload(Content.anchors)))
    owner = (
        principal is not None
        and content is not None
        and (principal.role is Role.OPERATOR or content.owner_user_id == principal.user_id)
    )
    if content is None or (not owner and (manage or content.status is not ContentStatus.PUBLISHED)):
        raise NotFound(f"Content {content_id} does not exist.")
    return content


def update_content(session: Session, *, principal: Principal, content_id: int, patch: ContentPatch) -> Content:
    content = get_content(session, principal=principal, content_id=content_id, manage=True)
    if content.status is ContentStatus.REMOVED and principal.role is not Role.OPERATOR:
        raise Forbidden("Removed content can only be restored by an operator.")
    for name in ("title", "description"):
        value = getattr(patch, name)
        if value is not None:
            setattr(content, name, value)
    if patch.hashtags is not None:
        content.hashtags = [h.lower() for h in patch.hashtags]
    if patch.product_ids is not None:
        content.anchors = _anchors(session, principal, patch.product_ids)
    if patch.status is not None:
        if patch.status is ContentStatus.PUBLISHED and content.published_at is None:
            content.published_at = utcnow()
        content.status = patch.status
    before = (content.live_state, content.pinned_product_id)
    if patch.live_state is not None:
        if patch.live_state is LiveState.LIVE and content.live_state is not LiveState.LIVE:  # risk actions
            enforcement.require_not_restricted(
                session, seller_id=content.seller_id, user_id=content.owner_user_id, what="going live"
            )
        _move_live(content, patch.live_state)
    if "pinned_product_id" in patch.model_fields_set:
        _pin(content, patch.pinned_product_id)
    if (content.live_state, content.pinned_product_id) != before:  # live rooms keep their timeline from this
        emit(
            session,
            "content.live_changed",
            content_id=content.id,
            live_state=str(content.live_state),
            pinned_product_id=content.pinned_product_id,
            at=utcnow().isoformat(),
        )
    session.flush()
    return content


_LIVE_MOVES = {
    (LiveState.SCHEDULED, LiveState.LIVE),
    (LiveState.LIVE, LiveState.ENDED),
    (LiveState.SCHEDULED, LiveState.ENDED),
}


def _move_live(content: Content, state: LiveState) -> None:
    """A live room goes on air once (and is published then) and ends once; nothing goes back."""
    if content.kind is not ContentKind.LIVE:
        raise InvalidInput("Only live rooms have a live state.", field="live_state")
    if content.live_state is state:
        return
    if (content.live_state, state) not in _LIVE_MOVES:
        raise Conflict(f"A live room cannot go from {content.live_state} to {state}.", field="live_state")
    if content.status is ContentStatus.REMOVED:
        raise Conflict("Removed content cannot go on air.", field="live_state")
    content.live_state = state
    if state is LiveState.LIVE:
        content.status = ContentStatus.PUBLISHED
        content.published_at = content.published_at or utcnow()
    else:
        content.pinned_product_id = None


def _pin(content: Content, product_id: int | None) -> None:
    """One of the room's anchored listings, while it is on air (``None`` unpins)."""
    if product_id is None:
        content.pinned_product_id = None
        return
    if content.kind is not ContentKind.LIVE or content.live_state is not LiveState.LIVE:
        raise Conflict("Only a live room on air can pin a listing.", field="pinned_product_id")
    if product_id not in {a.product_id for a in content.anchors}:
        raise InvalidInput("Pin one of the room's anchored listings.", field="pinned_product_id")
    content.pinned_product_id = product_id
