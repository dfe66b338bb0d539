"""Global feed signals refresh in the background: no request waits for a recomputation."""

from __future__ import annotations

import datetime as dt
import threading
import time
from contextlib import contextmanager
from typing import Any

from support import LiveServer, Market
from yellowcart.feed.sources import Refreshing


def test_stale_value_served_while_one_background_refresh_runs() -> None:
    calls: list[int] = []
    gate = threading.Event()

    def compute(_session: Any, _now: dt.datetime) -> int:
        calls.append(1)
        if len(calls) > 1:
            gate.wait(5)  # a slow refresh
        return len(calls)

    @contextmanager
    def sessions():  # type: ignore[no-untyped-def]
        yield None

    signal = Refreshing(compute, ttl=0.05, sessions=sessions)
    now = dt.datetime.now(dt.UTC)
    assert signal.get(None, now) == 1  # type: ignore[arg-type]  # the first call computes inline
    time.sleep(0.06)
    started = time.perf_counter()
    assert [signal.get(None, now) for _ in range(20)] == [1] * 20  # type: ignore[arg-type]
    assert time.perf_counter() - started < 1.0  # nobody waited for the slow refresh
    gate.set()
    deadline = time.time() + 5
    while signal.get(None, now) != 2 and time.time() < deadline:  # type: ignore[arg-type]
        time.sleep(0.01)
    assert signal.get(None, now) == 2  # type: ignore[arg-type]
    assert len(calls) == 2  # one refresh, not one per request
    signal.invalidate()
    assert signal.get(None, now) == 3  # type: ignore[arg-type]  # invalidate forces an inline recompute


def test_concurrent_first_calls_compute_once() -> None:
    calls: list[int] = []

    def compute(_session: Any, _now: dt.datetime) -> int:
        calls.append(1)
        time.sleep(0.2)  # a slow first snapshot
        return len(calls)

    signal = Refreshing(compute, ttl=60)
    now = dt.datetime.now(dt.UTC)
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(signal.get(None, now))) for _ in range(8)]  # type: ignore[arg-type]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [1] * 8 and len(calls) == 1 and signal.ready


def test_process_start_warms_the_feed(server: LiveServer, market: Market) -> None:
    market.product(market.seller("s"))
    signals = server.container.feed_signals
    signals.invalidate()
    assert not signals.catalogue.ready
    server.container.warm_feed()  # what the app's lifespan starts in the background
    assert signals.catalogue.ready and signals.trending.ready and signals.content.ready and signals.stats.ready
