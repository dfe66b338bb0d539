"""The brokers: a publish reaches subscribers (in-process), and through PostgreSQL LISTEN/NOTIFY it
crosses from one broker (one API process's) to another's; messages stay small; a burst of identical
hints is sent once."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from yellowcart.live.realtime import MemoryBroker, PostgresBroker, make_broker


async def _first(broker: object, channel: str, publish: object, timeout: float = 10.0) -> dict[str, object]:
    stream = broker.subscribe(channel)  # type: ignore[attr-defined]
    assert await broker.listening(channel)  # type: ignore[attr-defined]
    threading.Thread(target=publish).start()  # publish is called from sync code in another thread
    return await asyncio.wait_for(anext(stream), timeout)  # type: ignore[no-any-return]


def test_memory_broker_delivers_in_process() -> None:
    broker = MemoryBroker()
    got = asyncio.run(_first(broker, "rooms", lambda: broker.publish("rooms", {"room": 7, "ts": 1.0})))
    assert got == {"room": 7, "ts": 1.0}


def test_messages_must_fit_a_notify_payload() -> None:
    with pytest.raises(ValueError, match="8000"):
        MemoryBroker().publish("rooms", {"blob": "x" * 8000})


def test_settings_choose_the_broker(pg_url: str) -> None:
    assert isinstance(make_broker("auto", "sqlite:///x.db"), MemoryBroker)
    assert isinstance(make_broker("auto", pg_url), PostgresBroker)
    assert isinstance(make_broker("memory", pg_url), MemoryBroker)
    with pytest.raises(RuntimeError):
        make_broker("postgres", "sqlite:///x.db")


@pytest.mark.postgres
def test_postgres_publish_reaches_another_process_broker(pg_url: str) -> None:
    """Two brokers, two connections, nothing shared in memory: only PostgreSQL carries the message."""
    sender, receiver = PostgresBroker(pg_url), PostgresBroker(pg_url)

    async def run() -> dict[str, object]:
        try:
            return await _first(
                receiver, "yc_test_rooms", lambda: sender.publish("yc_test_rooms", {"room": 3, "ts": 5.0})
            )
        finally:
            await receiver.aclose()

    try:
        assert asyncio.run(run()) == {"room": 3, "ts": 5.0}
    finally:
        sender.close()


@pytest.mark.postgres
def test_postgres_burst_of_identical_hints_keeps_the_earliest(pg_url: str) -> None:
    sender, receiver = PostgresBroker(pg_url), PostgresBroker(pg_url)

    async def run() -> list[dict[str, object]]:
        stream = receiver.subscribe("yc_test_burst")
        assert await receiver.listening("yc_test_burst")

        def burst() -> None:
            for i in range(500):
                sender.publish("yc_test_burst", {"room": 1, "ts": 1000.0 + i})
            sender.publish("yc_test_burst", {"room": 2, "ts": 9.0})

        threading.Thread(target=burst).start()
        got: list[dict[str, object]] = []
        deadline = time.monotonic() + 10
        while not any(m["room"] == 2 for m in got) and time.monotonic() < deadline:
            got.append(await asyncio.wait_for(anext(stream), 10))
        await receiver.aclose()
        return got

    try:
        got = asyncio.run(run())
    finally:
        sender.close()
    ones = [m for m in got if m["room"] == 1]
    assert ones[0]["ts"] == 1000.0  # the earliest publish time survives the collapse
    assert 1 <= len(ones) < 500  # collapsed while the publisher was busy, never lost
    assert {"room": 2, "ts": 9.0} in got
