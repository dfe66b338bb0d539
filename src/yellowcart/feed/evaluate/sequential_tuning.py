"""Validation-split tuning for the sequential evaluation: small grids, chosen inside every run.

Why staged: the closed-form components are tuned one at a time (each grid point costs one fit), their
scores on a fixed sample of validation users are cached, and only the blend weights are searched jointly
(coordinate ascent over cached scores costs no refits). Nothing here knows which dataset it is given.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import numpy as np

from yellowcart.feed.evaluate.metrics import hit_and_ndcg, positive_ranks
from yellowcart.feed.evaluate.sequential_split import VALID, cases, masked
from yellowcart.feed.recommend.base import Interactions, Recommender
from yellowcart.feed.recommend.baselines import FACTOR_MODELS, FactorParams
from yellowcart.feed.recommend.sequential import SequentialParams, SequentialRecommender

FACTOR_GRIDS = {
    "als": [FactorParams(factors=f, regularization=0.1, alpha=a, iterations=15) for f in (64, 128) for a in (1, 10)],
    "bpr": [
        FactorParams(factors=f, learning_rate=lr, regularization=0.01, iterations=100)
        for f in (64, 128)
        for lr in (0.01, 0.05)
    ],
}
STATE_GRID = [(w, pd, sd) for w in (2, 4) for pd in (0.5, 0.8) for sd in (0.3, 0.7)]
EASE_LAMBDAS = (100.0, 500.0)
SLIT_LAMBDAS = (20.0, 100.0)
WEIGHT_VALUES = (0.0, 0.1, 0.25, 0.5, 1.0, 2.0)
SAMPLE_USERS = 6000


def tune_factor_model(
    kind: str, valid: Interactions, ndcg: Callable[[Recommender], float], *, seed: int = 0
) -> FactorParams:
    """Best grid point for `implicit` ALS or BPR by validation NDCG@10 (same budget for both)."""
    scored = []
    for params in FACTOR_GRIDS[kind]:
        model = FACTOR_MODELS[kind](replace(params, seed=seed))
        model.fit(valid)
        scored.append((ndcg(model), params))
    return max(scored, key=lambda pair: pair[0])[1]


class EngineTuner:
    """Chooses :class:`SequentialParams` on a fixed random sample of validation users."""

    steps = len(STATE_GRID) + len(EASE_LAMBDAS) + len(SLIT_LAMBDAS) + 2

    def __init__(
        self,
        valid: Interactions,
        sequences: list[np.ndarray],
        *,
        seed: int = 0,
        dense: bool = True,
        sample: int = SAMPLE_USERS,
    ) -> None:
        """``dense=False`` leaves out the dense item x item components (EASE, SLIT): catalogues too
        large for an items x items matrix in memory."""
        assert valid.sequences is not None
        self.dense = dense
        users, targets = cases(sequences, VALID)
        rng = np.random.default_rng(seed)
        pick = np.sort(rng.choice(len(users), size=min(sample, len(users)), replace=False))
        self.valid, self.targets = valid, targets[pick]
        self.histories = [valid.sequences[u] for u in users[pick]]
        self.best = SequentialParams(weights={"trans": 1.0})
        self.parts: dict[str, np.ndarray] = {}
        self.validation_ndcg = 0.0

    def ndcg(self, scores: np.ndarray) -> float:
        """Validation NDCG@10 of the sample, with the protocol's masking."""
        scores = masked(np.array(scores, dtype=np.float32), self.histories)
        return float(hit_and_ndcg(positive_ranks(scores, self.targets), 10)[1].mean()) if len(scores) else 0.0

    def _component(self, params: SequentialParams, name: str) -> tuple[float, np.ndarray]:
        model = SequentialRecommender(replace(params, weights={name: 1.0}))
        model.fit(self.valid)
        part = model.component_scores(self.histories)[name]
        return self.ndcg(part), part

    def _grid(self, name: str, candidates: list[SequentialParams]) -> Iterator[str]:
        """Fit one component per candidate, keep the best params and its cached sample scores."""
        best_score = -1.0
        for params in candidates:
            score, part = self._component(params, name)
            if score > best_score:
                best_score, self.best, self.parts[name] = score, params, part
            yield f"{name} {score:.4f}"

    def run(self) -> Iterator[str]:
        """Generator of progress labels; when exhausted, ``best`` holds the chosen parameters."""
        base = self.best
        states = [replace(base, pair_window=w, pair_decay=pd, state_decay=sd) for w, pd, sd in STATE_GRID]
        yield from self._grid("trans", states)
        if self.dense:
            yield from self._grid("ease", [replace(self.best, ease_lambda=lam) for lam in EASE_LAMBDAS])
            yield from self._grid("slit", [replace(self.best, slit_lambda=lam) for lam in SLIT_LAMBDAS])
        if self.valid.item_attributes:
            self.parts["attr"] = self._component(self.best, "attr")[1]
        model = SequentialRecommender(replace(self.best, weights={"pop": 1.0}))
        model.fit(self.valid)
        self.parts["pop"] = np.array(model.component_scores(self.histories[:1])["pop"][0])
        yield "side information"
        self.best = replace(self.best, weights=self._blend_weights())
        yield f"blend {self.validation_ndcg:.4f}"

    def _blend_score(self, weights: dict[str, float]) -> float:
        total = np.zeros((len(self.histories), self.valid.n_items), dtype=np.float32)
        for name, part in self.parts.items():
            if weights.get(name):
                total += np.float32(weights[name]) * part
        return self.ndcg(total)

    def _blend_weights(self) -> dict[str, float]:
        """Coordinate ascent over component weights on the cached sample scores (two passes)."""
        weights = {name: (1.0 if name in ("trans", "slit") else 0.0) for name in self.parts}
        best = self._blend_score(weights)
        for _ in range(2):
            for name in self.parts:
                for value in WEIGHT_VALUES:
                    trial = {**weights, name: value}
                    score = self._blend_score(trial) if any(trial.values()) else -1.0
                    if score > best:
                        best, weights = score, trial
        self.validation_ndcg = best
        return {k: v for k, v in weights.items() if v}

    def describe(self) -> str:
        p = self.best
        weights = " ".join(f"{k}={v:g}" for k, v in p.weights.items())
        return (
            f"{weights} | ease_l={p.ease_lambda:g} slit_l={p.slit_lambda:g} window={p.pair_window} "
            f"pair_decay={p.pair_decay:g} state_decay={p.state_decay:g} | valid ndcg@10={self.validation_ndcg:.4f}"
        )

    def summary(self) -> dict[str, Any]:
        return {"weights": self.best.weights, "validation_ndcg@10": self.validation_ndcg}
