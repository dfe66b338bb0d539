"""The anomaly score: an isolation forest per subject kind over the feature vectors, unsupervised.

Trained by ``yellowcart train risk`` on every account with recent signals (bad actors included: it
needs no labels), stored like the feed's models (``model_versions``, kind ``risk_anomaly``) with its
feature names and version, and served from memory (reloaded when another process trains a newer one).
The score of an account is the share of training accounts that were less anomalous than it (0..1), so
0.98 reads "more unusual than 98% of accounts", whatever the forest's raw scale.

Counts are compressed with log1p before fitting: an isolation forest splits uniformly between a
feature's minimum and maximum, so without it one huge value (a carrier network with thousands of
accounts) would flatten every other difference on that feature.
"""

from __future__ import annotations

import datetime as dt
import pickle
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.ensemble import IsolationForest
from sqlalchemy import select, union
from sqlalchemy.orm import Session

from yellowcart.db import Database
from yellowcart.feed.models import ModelVersion
from yellowcart.feed.training import ActiveVersion, activate
from yellowcart.orders.models import Order
from yellowcart.risk.features import FEATURES, HISTORY, MONTH, Features, Subject, compute
from yellowcart.risk.signal_models import RiskSignal

KIND = "risk_anomaly"
VERSION = 1
MIN_SAMPLES = 20
MAX_SUBJECTS = 20_000


def transform(rows: Sequence[Sequence[float]]) -> np.ndarray:
    return np.log1p(np.maximum(np.asarray(rows, dtype=np.float64), 0.0))


@dataclass(frozen=True)
class KindModel:
    features: tuple[str, ...]
    forest: IsolationForest
    reference: np.ndarray  # sorted raw anomaly scores of the training accounts

    def score_rows(self, rows: Sequence[Sequence[float]]) -> np.ndarray:
        if not len(rows):
            return np.zeros(0)
        raw = -self.forest.score_samples(transform(rows))
        ranks: np.ndarray = np.searchsorted(self.reference, raw, side="left") / len(self.reference)
        return ranks


@dataclass(frozen=True)
class AnomalyModel:
    version: int
    trained_at: str
    kinds: dict[str, KindModel]

    def score(self, features: Features) -> float | None:
        """0..1 (share of training accounts less unusual), or None without a model for the kind."""
        model = self.kinds.get(features.subject.kind)
        if model is None:
            return None
        row = [float(features.values.get(name, 0.0)) for name in model.features]
        return float(model.score_rows([row])[0])

    def score_many(self, samples: Sequence[Features]) -> list[float | None]:
        """:meth:`score` for many accounts at once (one forest call per kind)."""
        out: list[float | None] = [None] * len(samples)
        by_kind: dict[str, list[int]] = {}
        for i, features in enumerate(samples):
            by_kind.setdefault(features.subject.kind, []).append(i)
        for kind, positions in by_kind.items():
            model = self.kinds.get(kind)
            if model is None:
                continue
            rows = [[float(samples[i].values.get(n, 0.0)) for n in model.features] for i in positions]
            for i, value in zip(positions, model.score_rows(rows), strict=True):
                out[i] = float(value)
        return out

    def to_bytes(self) -> bytes:
        """Pickled: written by ``yellowcart train risk`` into our own database, loaded only from there."""
        return b"PICKLE" + pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def from_bytes(cls, raw: bytes) -> AnomalyModel:
        if not raw.startswith(b"PICKLE"):
            raise TypeError("not a risk anomaly artifact")
        model = pickle.loads(raw[6:])
        if not isinstance(model, AnomalyModel) or model.version != VERSION:
            raise TypeError("not a risk anomaly artifact of this version")
        return model


def fit(samples: Iterable[Features], *, seed: int = 0, trees: int = 200) -> AnomalyModel:
    """One forest per subject kind with at least ``MIN_SAMPLES`` accounts."""
    by_kind: dict[str, list[list[float]]] = {}
    for features in samples:
        by_kind.setdefault(features.subject.kind, []).append(features.vector())
    kinds = {}
    for kind, rows in by_kind.items():
        if len(rows) < MIN_SAMPLES:
            continue
        x = transform(rows)
        forest = IsolationForest(n_estimators=trees, max_samples=min(256, len(rows)), random_state=seed, n_jobs=1)
        forest.fit(x)
        reference = np.sort(-forest.score_samples(x))
        kinds[kind] = KindModel(FEATURES[kind], forest, reference)
    return AnomalyModel(VERSION, dt.datetime.now(dt.UTC).isoformat(), kinds)


def recent_subjects(session: Session, *, now: dt.datetime, limit: int = MAX_SUBJECTS) -> list[Subject]:
    """Accounts with signals in the history window, and sellers with orders this month."""
    since = now - HISTORY
    users = session.scalars(
        select(RiskSignal.user_id)
        .distinct()
        .where(RiskSignal.at >= since, RiskSignal.user_id.is_not(None))
        .order_by(RiskSignal.user_id)
        .limit(limit)
    ).all()
    sellers = session.scalars(
        union(
            select(RiskSignal.seller_id).where(RiskSignal.at >= since, RiskSignal.seller_id.is_not(None)),
            select(Order.seller_id).where(Order.placed_at >= now - MONTH),
        ).limit(limit)
    ).all()
    return [Subject("user", u) for u in users if u is not None] + [
        Subject("seller", s) for s in sorted(s for s in sellers if s is not None)
    ]


def train(
    db: Database, *, now: dt.datetime, step: Callable[[str], None] = lambda _: None, seed: int = 0
) -> ModelVersion | None:
    """Compute every recent account's features, fit, store and activate; None with too few accounts."""
    started = time.perf_counter()
    step("finding accounts with recent signals")
    with db.transaction() as session:
        subjects = recent_subjects(session, now=now)
    step(f"computing features of {len(subjects)} accounts")
    samples = []
    with db.transaction() as session:
        for subject in subjects:
            samples.append(compute(session, subject=subject, now=now))
    step("fitting isolation forests")
    model = fit(samples, seed=seed)
    if not model.kinds:
        return None
    step("storing and activating")
    stats = {
        "version": VERSION,
        "accounts": {kind: len(m.reference) for kind, m in model.kinds.items()},
        "features": {kind: list(m.features) for kind, m in model.kinds.items()},
        "seconds": round(time.perf_counter() - started, 2),
    }
    with db.transaction() as session:
        version = activate(session, kind=KIND, artifact=model.to_bytes(), stats=stats)
    ACTIVE.invalidate()
    return version


ACTIVE: ActiveVersion[AnomalyModel] = ActiveVersion(KIND, AnomalyModel.from_bytes, check_every=30.0)


def active(session: Session) -> AnomalyModel | None:
    return ACTIVE.get(session)
