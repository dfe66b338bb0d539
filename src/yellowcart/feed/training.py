"""``yellowcart train``: learn the feed's item-to-item co-engagement ("people who engaged with this
also engaged with that") from the interaction log, store it as a new model version, activate it.

Serving never stops: the API keeps answering from the previous version until the new one is
committed, then each process picks it up on its next check (``ActiveModels``).
"""

from __future__ import annotations

import datetime as dt
import io
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np
import scipy.sparse as sp
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from yellowcart.db import Database
from yellowcart.feed.models import ModelVersion
from yellowcart.feed.sources import EVENT_PRODUCT, WEIGHTS, with_event_product
from yellowcart.interactions.models import EventType, InteractionEvent

KIND = "item_neighbours"
NEIGHBOURS = 50
KEEP_VERSIONS = 3


@dataclass(frozen=True, slots=True)
class Neighbours:
    """Top neighbours per item: ``items[i]`` (product ids) with ``ids[i]`` / ``scores[i]`` rows."""

    items: np.ndarray
    ids: np.ndarray
    scores: np.ndarray

    def of(self, product_id: int) -> list[tuple[int, float]]:
        pos = np.searchsorted(self.items, product_id)
        if pos >= len(self.items) or self.items[pos] != product_id:
            return []
        return [(int(i), float(s)) for i, s in zip(self.ids[pos], self.scores[pos], strict=True) if s > 0]

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez_compressed(buffer, items=self.items, ids=self.ids, scores=self.scores)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Neighbours:
        with np.load(io.BytesIO(raw)) as data:
            return cls(data["items"], data["ids"], data["scores"])


def engagement_matrix(session: Session, until: dt.datetime | None = None) -> tuple[sp.csr_matrix, np.ndarray]:
    """users x products, each cell the summed interest weight (watch time raises a view's weight);
    ``until`` replays the past (ranker training must not see the future)."""
    rows = session.execute(
        with_event_product(
            select(InteractionEvent.user_id, EVENT_PRODUCT, InteractionEvent.type, InteractionEvent.completion)
        )
        .where(InteractionEvent.occurred_at <= until if until is not None else InteractionEvent.id.is_not(None))
        .execution_options(yield_per=50_000)
    )
    users, items, values = [], [], []
    for user_id, product_id, kind, completion in rows:
        weight = WEIGHTS.get(EventType(kind), 0.0)
        if kind == EventType.VIEW and completion is not None:
            weight *= 0.5 + float(completion)
        if weight > 0:
            users.append(user_id)
            items.append(product_id)
            values.append(weight)
    if not values:
        return sp.csr_matrix((0, 0), dtype=np.float32), np.array([], dtype=np.int64)
    item_ids, item_index = np.unique(np.asarray(items, dtype=np.int64), return_inverse=True)
    _, user_index = np.unique(np.asarray(users, dtype=np.int64), return_inverse=True)
    matrix = sp.csr_matrix(
        (np.asarray(values, dtype=np.float32), (user_index, item_index)),
        shape=(int(user_index.max()) + 1, len(item_ids)),
    )
    matrix.sum_duplicates()
    return matrix, item_ids


def co_engagement(matrix: sp.csr_matrix, item_ids: np.ndarray, k: int = NEIGHBOURS, shrink: float = 10.0) -> Neighbours:
    """Cosine similarity between item columns (log-damped weights), shrunk towards 0 for items with
    little support so two one-off co-occurrences do not look like a strong bond."""
    x = matrix.copy()
    x.data = np.log1p(x.data)
    x = x.tocsc()
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=0)).ravel()) + 1e-9
    support = np.diff(x.indptr).astype(np.float32)
    gram = (x.T @ x).tocsr()
    gram.setdiag(0)
    gram.eliminate_zeros()
    n = len(item_ids)
    ids = np.zeros((n, k), dtype=np.int64)
    scores = np.zeros((n, k), dtype=np.float32)
    for row in range(n):
        start, end = gram.indptr[row], gram.indptr[row + 1]
        cols, vals = gram.indices[start:end], gram.data[start:end]
        if not len(cols):
            continue
        sims = vals / (norms[row] * norms[cols]) * (support[cols] / (support[cols] + shrink))
        top = np.argsort(-sims)[:k]
        ids[row, : len(top)] = item_ids[cols[top]]
        scores[row, : len(top)] = sims[top]
    return Neighbours(item_ids, ids, scores)


def activate(session: Session, *, kind: str, artifact: bytes, stats: dict[str, Any]) -> ModelVersion:
    """Store a new version of ``kind`` and make it the active one, in the caller's transaction."""
    version = ModelVersion(kind=kind, active=False, artifact=artifact, stats=stats)
    session.add(version)
    session.flush()
    session.execute(update(ModelVersion).where(ModelVersion.kind == kind).values(active=False))
    version.active = True
    _prune(session, kind)
    return version


def train(db: Database, *, step: Callable[[str], None] = lambda _: None) -> ModelVersion:
    """Build, store and activate a new co-engagement version; returns it."""
    started = time.perf_counter()
    step("reading the interaction log")
    with db.transaction() as session:
        matrix, item_ids = engagement_matrix(session)
    step("computing co-engagement")
    model = co_engagement(matrix, item_ids)
    step("storing and activating")
    stats = {
        "users": int(matrix.shape[0]),
        "items": len(item_ids),
        "cells": int(matrix.nnz),
        "seconds": round(time.perf_counter() - started, 2),
    }
    with db.transaction() as session:
        return activate(session, kind=KIND, artifact=model.to_bytes(), stats=stats)


def _prune(session: Session, kind: str) -> None:
    old = session.scalars(
        select(ModelVersion.id).where(ModelVersion.kind == kind).order_by(ModelVersion.id.desc()).offset(KEEP_VERSIONS)
    ).all()
    for version_id in old:
        session.delete(session.get(ModelVersion, version_id))


class StaticModels:
    """A fixed co-engagement model (ranker training replays the past with one fitted before it)."""

    def __init__(self, model: Neighbours | None) -> None:
        self.model = model

    def neighbours(self, session: Session) -> Neighbours | None:
        return self.model

    def invalidate(self) -> None:
        return None


M = TypeVar("M")


class ActiveVersion(Generic[M]):
    """The serving side of one model kind: the active version, reloaded when another process trained
    a newer one (checked at most every ``check_every`` seconds)."""

    def __init__(self, kind: str, load: Callable[[bytes], M], check_every: float = 10.0) -> None:
        self.kind, self.load, self.check_every = kind, load, check_every
        self._lock = threading.Lock()
        self._loading = threading.Lock()
        self._checked = 0.0
        self._version: int | None = None
        self._model: M | None = None

    def get(self, session: Session) -> M | None:
        with self._lock:
            if time.monotonic() - self._checked < self.check_every:
                return self._model
            self._checked = time.monotonic()
        active = session.scalar(
            select(ModelVersion.id).where(ModelVersion.kind == self.kind, ModelVersion.active.is_(True))
        )
        if active is not None and active != self._version:
            # Single flight: one request loads the new version; the others keep the previous model
            # meanwhile (or wait for the first one a process ever loads).
            if not self._loading.acquire(blocking=self._model is None):
                return self._model
            try:
                if active != self._version:
                    raw = session.scalar(select(ModelVersion.artifact).where(ModelVersion.id == active))
                    model = self.load(raw) if raw else None
                    with self._lock:
                        self._version, self._model = active, model
            finally:
                self._loading.release()
        return self._model

    def invalidate(self) -> None:
        with self._lock:
            self._checked = 0.0


class ActiveModels(ActiveVersion[Neighbours]):
    """The active co-engagement model."""

    def __init__(self, check_every: float = 10.0) -> None:
        super().__init__(KIND, Neighbours.from_bytes, check_every)

    def neighbours(self, session: Session) -> Neighbours | None:
        return self.get(session)


class StaticVersion(Generic[M]):
    """A fixed model in place of the active version (ranker training replays the past with one)."""

    def __init__(self, model: M | None) -> None:
        self.model = model

    def get(self, session: Session) -> M | None:
        return self.model

    def invalidate(self) -> None:
        return None
