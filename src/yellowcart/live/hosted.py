"""The live rooms a seller's shop has run or scheduled, for the seller centre's list.

Read-only over content's rows (kind live, the shop's own) and the rooms' runs. Whether a room's recap may
be opened is the recap's own rule (:func:`yellowcart.live.recap.room_recap`: its host and operators), so
the list says which rooms the signed-in member hosted rather than deciding access itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.content.models import Content, ContentKind, ContentStatus, LiveState
from yellowcart.errors import Forbidden
from yellowcart.live.room_models import RoomRun

ROOM_LIMIT = 50


@dataclass(frozen=True, slots=True)
class HostedRoom:
    """One room of the shop: its state, when it was on air, and whether the caller hosted it."""

    id: int
    title: str
    live_state: LiveState | None
    status: ContentStatus
    scheduled_at: dt.datetime | None
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    hosted_by_caller: bool

    @property
    def has_aired(self) -> bool:
        """On air now or ended: there is something to recap."""
        return self.live_state in (LiveState.LIVE, LiveState.ENDED)


def seller_rooms(session: Session, *, principal: Principal, limit: int = ROOM_LIMIT) -> list[HostedRoom]:
    """The caller's shop's live rooms, newest first (removed ones are gone for good and not listed)."""
    if principal.role is not Role.SELLER or principal.seller_id is None:
        raise Forbidden("Only a seller account has a shop's live rooms.")
    rows = session.execute(
        select(Content, RoomRun)
        .outerjoin(RoomRun, RoomRun.content_id == Content.id)
        .where(
            Content.kind == ContentKind.LIVE,
            Content.seller_id == principal.seller_id,
            Content.status != ContentStatus.REMOVED,
        )
        .order_by(Content.id.desc())
        .limit(max(1, min(limit, ROOM_LIMIT)))
    ).all()
    return [
        HostedRoom(
            id=room.id,
            title=room.title,
            live_state=room.live_state,
            status=room.status,
            scheduled_at=room.scheduled_at,
            started_at=run.started_at if run else None,
            ended_at=run.ended_at if run else None,
            hosted_by_caller=room.owner_user_id == principal.user_id,
        )
        for room, run in rows
    ]
