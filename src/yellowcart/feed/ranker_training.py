"""Training the ranker by replaying the past (see feed/ranker.py for what it predicts and why)."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sqlalchemy import func, select

from yellowcart.db import Database
from yellowcart.feed import service, sources
from yellowcart.feed.models import ModelVersion
from yellowcart.feed.ranker import POSITIVE, RANKER_KIND, Ranker, split_users
from yellowcart.feed.training import StaticModels, activate, co_engagement, engagement_matrix
from yellowcart.interactions.models import EventType, InteractionEvent

HORIZON = dt.timedelta(days=3)


def _as_of(db: Database, cutoff: dt.datetime) -> service.Signals:
    """Signals frozen at ``cutoff``: computed once, from events before it only."""
    with db.transaction() as session:
        matrix, item_ids = engagement_matrix(session, until=cutoff)
    model = co_engagement(matrix, item_ids) if matrix.nnz else None
    return service.Signals(
        sources.Refreshing(sources.trending_snapshot, ttl=1e12),
        sources.Refreshing(sources.newest_products, ttl=1e12),
        StaticModels(model),
    )


def _outcomes(db: Database, cutoff: dt.datetime, horizon: dt.timedelta) -> tuple[dict[int, set[int]], list[int]]:
    """What each shopper moved towards buying after the cutoff; and who was active before it."""
    positive = [EventType(kind) for kind in POSITIVE]
    with db.transaction() as session:
        rows = session.execute(
            sources.with_event_product(select(InteractionEvent.user_id, sources.EVENT_PRODUCT)).where(
                InteractionEvent.type.in_(positive),
                InteractionEvent.occurred_at > cutoff,
                InteractionEvent.occurred_at <= cutoff + horizon,
            )
        )
        outcomes: dict[int, set[int]] = defaultdict(set)
        for user_id, product_id in rows:
            outcomes[int(user_id)].add(int(product_id or 0))
        active = session.scalars(
            select(InteractionEvent.user_id).where(InteractionEvent.occurred_at <= cutoff).distinct()
        ).all()
    return dict(outcomes), [int(u) for u in active]


def _examples(
    db: Database, users: list[int], outcomes: dict[int, set[int]], signals: service.Signals, cutoff: dt.datetime
) -> tuple[list[dict[str, float]], list[int], list[int]]:
    rows, labels, owners = [], [], []
    for user in users:
        with db.transaction() as session:
            pool = service.candidate_pool(session, user_id=user, seen=[], signals=signals, now=cutoff)
        wanted = outcomes.get(user, set())
        for pid, parts in pool.parts.items():
            rows.append(parts)
            labels.append(1 if pid in wanted else 0)
            owners.append(user)
    return rows, labels, owners


def _matrix(rows: list[dict[str, float]]) -> np.ndarray:
    return np.array([[r.get(f, 0.0) for f in service.FEATURES] for r in rows], dtype=np.float64)


def train_ranker(
    db: Database, *, sample: int = 1500, seed: int = 0, step: Callable[[str], None] = lambda _: None
) -> ModelVersion | None:
    """Fit, check on held-out shoppers, and activate only if it beats the hand-set blend there."""
    with db.transaction() as session:
        last = session.scalar(select(func.max(InteractionEvent.occurred_at)))
    if last is None:
        return None
    cutoff = last - HORIZON
    step("ranker: replaying the past")
    signals = _as_of(db, cutoff)
    outcomes, active = _outcomes(db, cutoff, HORIZON)
    rng = random.Random(seed)
    buyers = [u for u in active if u in outcomes]
    others = [u for u in active if u not in outcomes]
    users = rng.sample(buyers, min(len(buyers), sample // 2)) + rng.sample(others, min(len(others), sample // 2))
    fit_users, held_users = split_users(users, 0.25, seed)
    step("ranker: building examples")
    rows, labels, owners = _examples(db, users, outcomes, signals, cutoff)
    y = np.asarray(labels)
    held = np.isin(np.asarray(owners), held_users)
    if y[~held].sum() < 5 or y[held].sum() < 5 or y.sum() == len(y):
        return None  # too little signal to learn from or to judge by
    x = _matrix(rows)
    step("ranker: fitting")
    model = LogisticRegression(class_weight="balanced", max_iter=2000).fit(x[~held], y[~held])
    auc = float(roc_auc_score(y[held], model.predict_proba(x[held])[:, 1]))
    blend_auc = float(roc_auc_score(y[held], [service.blend(r) for r, h in zip(rows, held, strict=True) if h]))
    ranker = Ranker(service.FEATURES, tuple(float(c) for c in model.coef_[0]), float(model.intercept_[0]))
    stats = {
        "cutoff": cutoff.isoformat(),
        "users": len(users),
        "fit_users": len(fit_users),
        "rows": len(rows),
        "positives": int(y.sum()),
        "auc": round(auc, 4),
        "blend_auc": round(blend_auc, 4),
        "coef": dict(zip(service.FEATURES, (round(c, 3) for c in ranker.coef), strict=True)),
    }
    if auc <= blend_auc:
        return ModelVersion(kind=RANKER_KIND, active=False, artifact=b"", stats={**stats, "activated": False})
    with db.transaction() as session:
        return activate(session, kind=RANKER_KIND, artifact=ranker.to_bytes(), stats={**stats, "activated": True})
