"""POST /v1/events: the client's interaction batches."""

from __future__ import annotations

from fastapi import APIRouter

from yellowcart.http import Caller, Db, problems
from yellowcart.interactions import service
from yellowcart.interactions.schemas import EventBatchIn, EventBatchOut

router = APIRouter(tags=["interactions"])


@router.post(
    "/v1/events",
    response_model=EventBatchOut,
    responses=problems(),
    summary="Record a batch of interactions (up to 1,000); bad rows are reported, good rows kept",
)
def post_events(body: EventBatchIn, db: Db, who: Caller) -> EventBatchOut:
    with db.transaction() as session:
        done = service.record_events(session, user_id=who.user_id, rows=body.events)
    return EventBatchOut(
        accepted=done.accepted, duplicates=done.duplicates, rejected=done.rejected, received_at=done.received_at
    )
