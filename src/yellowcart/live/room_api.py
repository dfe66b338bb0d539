"""Live room endpoints: the room's state and product list, viewer sessions, the SSE stream, the recap."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response
from starlette.concurrency import run_in_threadpool

from yellowcart.auth.service import Principal
from yellowcart.bootstrap import Container
from yellowcart.db import utcnow
from yellowcart.errors import NotFound
from yellowcart.http import App, Caller, MaybeCaller, PathId, problems
from yellowcart.live import recap, recap_chart, rooms
from yellowcart.live.room_schemas import ProductList, RecapOut, RoomStateOut, ViewerOut
from yellowcart.live.room_stream import EventStream, Viewer

router = APIRouter(tags=["live rooms"])
PROBLEMS = problems(s404="Unknown room (or a draft that is not yours)", s409="The room is not on air")
SessionKey = Annotated[str, Query(min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
EVENT_STREAM = {"content": {"text/event-stream": {"schema": {"type": "string"}}}}


@router.get(
    "/v1/live-rooms/{room_id}", response_model=RoomStateOut, responses=PROBLEMS, summary="A live room's state now"
)
def get_room(room_id: PathId, app: App, who: MaybeCaller) -> RoomStateOut:
    with app.db.transaction() as session:
        room = rooms.live_room(session, principal=who, room_id=room_id)
        return rooms.room_state(session, room=room, now=utcnow(), timeout_s=app.live.config.timeout_seconds)


@router.get(
    "/v1/live-rooms/{room_id}/products",
    response_model=ProductList,
    responses=PROBLEMS,
    summary="The room's yellow cart: its listings in order, price, deal price and units left",
)
def list_products(room_id: PathId, app: App, who: MaybeCaller) -> ProductList:
    with app.db.transaction() as session:
        room = rooms.live_room(session, principal=who, room_id=room_id)
        return ProductList(items=rooms.room_products(session, room=room, now=utcnow()))


def _join(app: Container, who: Principal | None, room_id: int, key: str) -> ViewerOut:
    timeout = app.live.config.timeout_seconds
    now = utcnow()
    with app.db.transaction() as session:
        room = rooms.live_room(session, principal=who, room_id=room_id)
        started = rooms.join(session, principal=who, room=room, key=key, now=now, timeout_s=timeout)
        count = rooms.viewers_now(session, room_id=room_id, now=now, timeout_s=timeout)
    if started:
        app.live.changed(room_id, "viewers")
    return ViewerOut(
        session=key,
        viewers=count,
        heartbeat_seconds=int(app.live.config.keepalive_seconds),
        timeout_seconds=int(timeout),
    )


@router.post(
    "/v1/live-rooms/{room_id}/viewers",
    response_model=ViewerOut,
    status_code=201,
    responses=PROBLEMS,
    summary="Join as a new viewer session (the server makes the session key)",
)
def join_new(room_id: PathId, app: App, who: MaybeCaller) -> ViewerOut:
    return _join(app, who, room_id, rooms.new_session_key())


@router.put(
    "/v1/live-rooms/{room_id}/viewers/{session}",
    response_model=ViewerOut,
    responses=problems(s403="Another account's session", s404="Unknown room", s409="The room is not on air"),
    summary="Join with this session, or heartbeat (idempotent; signed-in sessions stay their account's)",
)
def join_or_beat(room_id: PathId, session: str, app: App, who: MaybeCaller) -> ViewerOut:
    return _join(app, who, room_id, rooms.check_session_key(session))


@router.delete(
    "/v1/live-rooms/{room_id}/viewers/{session}",
    status_code=204,
    responses=problems(s403="Another account's session"),
    summary="Leave (idempotent)",
)
def leave(room_id: PathId, session: str, app: App, who: MaybeCaller) -> Response:
    key = rooms.check_session_key(session)
    with app.db.transaction() as db_session:
        left = rooms.leave(db_session, principal=who, room_id=room_id, key=key, now=utcnow())
    if left:
        app.live.changed(room_id, "viewers")
    return Response(status_code=204)


def _visible(app: Container, room_id: int) -> None:
    """Streams are public, like the room once published (a draft room has nothing to stream)."""
    with app.db.transaction() as session:
        rooms.live_room(session, principal=None, room_id=room_id)


@router.get(
    "/v1/live-rooms/{room_id}/stream",
    status_code=200,
    response_class=EventStream,
    responses={200: {"description": "Server-Sent Events: snapshot, then updates", **EVENT_STREAM}, 204: {}, **PROBLEMS},
    summary="Real-time room state (SSE): a snapshot, then changed keys at most every 250 ms; pings every 15 s",
)
async def stream(
    room_id: PathId,
    app: App,
    who: MaybeCaller,
    session: SessionKey | None = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=64)] = None,
) -> Response:
    """With ``session`` the stream is also the viewer's heartbeat: it joins while the room is on air
    and keeps the session counted as long as it is open."""
    hub = app.live.hubs.get(room_id)
    if hub is None or hub.state is None:
        await run_in_threadpool(_visible, app, room_id)  # 404 before any hub exists for it
        hub = await app.live.hub(room_id)
    if hub.state is None:
        raise NotFound(f"Live room {room_id} does not exist.")
    ended = hub.state.get("live_state") == "ended"
    if ended and last_event_id:
        return Response(status_code=204)  # EventSource stops reconnecting on 204
    viewer = Viewer(session, who.user_id if who else None)
    first = hub.attach(viewer, last_event_id)
    viewer.closed = ended  # an ended room: its final snapshot, then the stream ends
    return EventStream(hub, viewer, first)


@router.get(
    "/v1/live-rooms/{room_id}/recap",
    response_model=RecapOut,
    responses=PROBLEMS,
    summary="The host's recap: viewers per minute, cart taps, orders, GMV, conversion, top products",
)
def get_recap(room_id: PathId, app: App, who: Caller) -> RecapOut:
    with app.db.transaction() as session:
        return recap.room_recap(session, principal=who, room_id=room_id, now=utcnow())


@router.get(
    "/v1/live-rooms/{room_id}/recap.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}, **PROBLEMS},
    summary="The recap as a chart (SVG rendered on the server)",
)
def get_recap_chart(room_id: PathId, app: App, who: Caller) -> Response:
    with app.db.transaction() as session:
        found = recap.room_recap(session, principal=who, room_id=room_id, now=utcnow())
    return Response(recap_chart.render(found), media_type="image/svg+xml", headers={"Cache-Control": "no-store"})
