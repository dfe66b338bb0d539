"""Training the ranker by replaying the past (see feed/ranker.py for what it predicts and why).

Features are computed as of a cutoff from what was known before it (trending, statistics, content, the
co-engagement model and both engines fitted on events before the cutoff), labels are what each sampled
shopper moved towards buying in the window after it. Shoppers are split three ways: the models fit on
60%, the better of logistic regression and boosted trees is chosen on 15%, and the chosen one is judged
on the last 25% against the hand-set blend; it serves only if it beats the blend there. Limitation: the
catalogue's stock state is today's, not the cutoff's (stock has no history).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sqlalchemy import func, select

from yellowcart.db import Database
from yellowcart.feed import service, sources
from yellowcart.feed.catalogue import catalogue_snapshot, content_snapshot, product_stats
from yellowcart.feed.engines import fit_engines, read_log
from yellowcart.feed.models import ModelVersion
from yellowcart.feed.ranker import POSITIVE, RANKER_KIND, LogisticRanker, TreeRanker
from yellowcart.feed.training import StaticModels, StaticVersion, activate, co_engagement, engagement_matrix
from yellowcart.interactions.models import EventType, InteractionEvent

HORIZON = dt.timedelta(days=3)
FROZEN = 1e12  # a refresh period no replay outlives


def signals_as_of(db: Database, cutoff: dt.datetime) -> service.Signals:
    """Signals frozen at ``cutoff``: computed from events before it only."""
    with db.transaction() as session:
        matrix, item_ids = engagement_matrix(session, until=cutoff)
        log = read_log(session, until=cutoff)
    model = co_engagement(matrix, item_ids) if matrix.nnz else None
    return service.Signals(
        sources.Refreshing(sources.trending_snapshot, ttl=FROZEN),
        sources.Refreshing(catalogue_snapshot, ttl=FROZEN),
        sources.Refreshing(content_snapshot, ttl=FROZEN),
        sources.Refreshing(product_stats, ttl=FROZEN),
        StaticModels(model),
        None,
        StaticVersion(fit_engines(log) if len(log.rows) else None),
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


def examples(
    db: Database, users: list[int], outcomes: dict[int, set[int]], signals: service.Signals, cutoff: dt.datetime
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Feature rows (columns ``service.FEATURES``), labels and the shopper of each row."""
    xs, labels, owners = [], [], []
    for user in users:
        with db.transaction() as session:
            pool = service.candidate_pool(session, user_id=user, seen=[], signals=signals, now=cutoff)
        wanted = outcomes.get(user, set())
        xs.append(pool.features)
        labels.append(np.isin(pool.product_ids, np.fromiter(wanted, np.int64, len(wanted))))
        owners.append(np.full(len(pool.positions), user, dtype=np.int64))
    if not xs:
        return np.zeros((0, len(service.FEATURES))), np.zeros(0, bool), np.zeros(0, np.int64)
    return np.concatenate(xs), np.concatenate(labels), np.concatenate(owners)


def _auc(y: np.ndarray, scores: np.ndarray) -> float:
    return float(roc_auc_score(y, scores)) if 0 < y.sum() < len(y) else 0.5


def _fit_logistic(x: np.ndarray, y: np.ndarray) -> LogisticRanker:
    model = LogisticRegression(class_weight="balanced", max_iter=2000).fit(x, y)
    return LogisticRanker(service.FEATURES, tuple(float(c) for c in model.coef_[0]), float(model.intercept_[0]))


def _fit_trees(x: np.ndarray, y: np.ndarray, seed: int) -> TreeRanker:
    model = HistGradientBoostingClassifier(
        max_iter=200,
        learning_rate=0.05,
        max_leaf_nodes=15,
        min_samples_leaf=40,
        l2_regularization=1.0,
        random_state=seed,
    ).fit(x, y)
    return TreeRanker(service.FEATURES, model)


def train_ranker(
    db: Database, *, sample: int = 1500, seed: int = 0, step: Callable[[str], None] = lambda _: None
) -> ModelVersion | None:
    """Fit both kinds, choose one, check it on held-out shoppers, activate it only if it beats the blend."""
    with db.transaction() as session:
        last = session.scalar(select(func.max(InteractionEvent.occurred_at)))
    if last is None:
        return None
    cutoff = last - HORIZON
    step("ranker: replaying the past")
    signals = signals_as_of(db, cutoff)
    outcomes, active = _outcomes(db, cutoff, HORIZON)
    rng = random.Random(seed)
    buyers = [u for u in active if u in outcomes]
    others = [u for u in active if u not in outcomes]
    users = rng.sample(buyers, min(len(buyers), sample // 2)) + rng.sample(others, min(len(others), sample // 2))
    rng.shuffle(users)
    step("ranker: building examples")
    x, y, owners = examples(db, users, outcomes, signals, cutoff)
    part = np.asarray([hash((u, seed)) % 20 for u in owners]) if len(owners) else np.zeros(0, np.int64)
    fit, choose, held = part < 12, (part >= 12) & (part < 15), part >= 15
    if min(y[fit].sum(), y[choose].sum(), y[held].sum()) < 5:
        return None  # too little signal to learn from or to judge by
    step("ranker: fitting")
    contenders: dict[str, LogisticRanker | TreeRanker] = {
        "logistic": _fit_logistic(x[fit], y[fit]),
        "trees": _fit_trees(x[fit], y[fit], seed),
    }
    chosen_on = {kind: _auc(y[choose], r.score_matrix(x[choose], service.FEATURES)) for kind, r in contenders.items()}
    kind = max(chosen_on, key=lambda k: chosen_on[k])
    ranker = contenders[kind]
    auc = _auc(y[held], ranker.score_matrix(x[held], service.FEATURES))
    blend_auc = _auc(y[held], service.blend_matrix(x[held]))
    stats: dict[str, Any] = {
        "cutoff": cutoff.isoformat(),
        "kind": kind,
        "users": len(users),
        "rows": len(y),
        "positives": int(y.sum()),
        "choice_auc": {k: round(v, 4) for k, v in chosen_on.items()},
        "auc": round(auc, 4),
        "blend_auc": round(blend_auc, 4),
    }
    if isinstance(ranker, LogisticRanker):
        stats["coef"] = dict(zip(service.FEATURES, (round(c, 3) for c in ranker.coef), strict=True))
    if auc <= blend_auc:
        return ModelVersion(kind=RANKER_KIND, active=False, artifact=b"", stats={**stats, "activated": False})
    with db.transaction() as session:
        return activate(session, kind=RANKER_KIND, artifact=ranker.to_bytes(), stats={**stats, "activated": True})
