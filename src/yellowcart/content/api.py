"""Content endpoints: publish, read, edit."""

from __future__ import annotations

from fastapi import APIRouter

from yellowcart.content import service
from yellowcart.content.models import Content, ContentKind
from yellowcart.content.schemas import AnchorOut, ContentIn, ContentOut, ContentPatch
from yellowcart.http import App, Caller, Db, MaybeCaller, PathId, problems

router = APIRouter(tags=["content"])
PROBLEMS = problems()


def _out(content: Content) -> ContentOut:
    out = ContentOut.model_validate(content, from_attributes=True)
    out.anchors = [AnchorOut(product_id=a.product_id, position=a.position) for a in content.anchors]
    return out


@router.post(
    "/v1/content",
    response_model=ContentOut,
    status_code=201,
    responses=PROBLEMS,
    summary="Publish a video or schedule a live room (creators, sellers)",
)
def create_content(body: ContentIn, db: Db, who: Caller) -> ContentOut:
    with db.transaction() as session:
        return _out(service.create_content(session, principal=who, data=body))


@router.get("/v1/content/{content_id}", response_model=ContentOut, responses=PROBLEMS, summary="One piece of content")
def get_content(content_id: PathId, db: Db, who: MaybeCaller) -> ContentOut:
    with db.transaction() as session:
        return _out(service.get_content(session, principal=who, content_id=content_id))


@router.patch(
    "/v1/content/{content_id}",
    response_model=ContentOut,
    responses=PROBLEMS,
    summary="Edit, publish, unpublish or remove (owner, operator)",
)
def update_content(content_id: PathId, body: ContentPatch, db: Db, who: Caller, app: App) -> ContentOut:
    with db.transaction() as session:
        out = _out(service.update_content(session, principal=who, content_id=content_id, patch=body))
    if out.kind is ContentKind.LIVE:  # after the commit: viewers of the room see the change at once
        app.live.changed(out.id, "room")
    return out
