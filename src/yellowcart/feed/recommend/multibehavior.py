"""Our engine for "what will this shopper buy next", learning from every behaviour, not only purchases.

Why this shape: a purchase is mostly the end of a funnel the shopper has already started. What they
viewed, carted or collected and have not bought yet is by far the strongest signal, so each auxiliary
behaviour is its own component ("own:view", "own:cart", ...). Among those items (and for shoppers with
little history) three collaborative signals order the rest: item-to-item co-engagement over all
behaviours propagated from the shopper's history ("knn"), a factor model on the weighted union of
behaviours ("als"), item popularity and item conversion (bought / engaged). Every component is scaled to
[0, 1] per shopper so a blend weight means the same for everyone; the weights are chosen on a validation
split by the caller (``yellowcart eval multibehavior``), never hard-coded per dataset. Scoring is sparse
matrix products with the shopper's rows, so a fresh interaction changes the next feed without retraining.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp

from yellowcart.feed.recommend import second_stage as stage
from yellowcart.feed.recommend.base import Interactions
from yellowcart.feed.recommend.baselines import FactorParams, fit_als
from yellowcart.feed.recommend.scoring import ScoringMixin
from yellowcart.feed.recommend.second_stage import SecondStage

SHARED = ("knn", "knn:target", "als", "pop", "conv")


@dataclass(frozen=True)
class MultiBehaviorParams:
    """Hyper-parameters; ``weights`` maps component name to blend weight (missing means 0)."""

    weights: dict[str, float] = field(default_factory=dict)
    neighbours: int = 200
    factors: int = 64
    regularization: float = 0.01
    iterations: int = 15
    alpha: float = 1.0
    conversion_prior: float = 10.0
    seed: int = 0

    def with_weights(self, weights: dict[str, float]) -> MultiBehaviorParams:
        return replace(self, weights=dict(weights))


def binary(matrix: sp.spmatrix) -> sp.csr_matrix:
    """Presence (1.0) of every stored non-zero, as float32 CSR."""
    out = sp.csr_matrix(matrix, dtype=np.float32, copy=True)
    out.eliminate_zeros()
    out.data[:] = 1.0
    return out


def row_max_normalise(scores: np.ndarray) -> np.ndarray:
    """Divide each row by its largest |value| so a component spans [-1, 1] for every shopper."""
    peak = np.abs(scores).max(axis=1, keepdims=True)
    out = np.zeros_like(scores)
    np.divide(scores, peak, out=out, where=peak > 0)
    return out


def top_n_per_row(matrix: sp.csr_matrix, n: int) -> sp.csr_matrix:
    """Keep the n largest entries of each row: a short neighbour list is faster and less noisy."""
    indptr, indices, data = [0], [], []
    for row in range(matrix.shape[0]):
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        vals, cols = matrix.data[start:end], matrix.indices[start:end]
        if len(vals) > n:
            keep = np.argpartition(-vals, n - 1)[:n]
            vals, cols = vals[keep], cols[keep]
        data.append(vals)
        indices.append(cols)
        indptr.append(indptr[-1] + len(vals))
    flat_data = np.concatenate(data) if data else np.zeros(0, dtype=np.float32)
    flat_idx = np.concatenate(indices) if indices else np.zeros(0, dtype=np.int32)
    return sp.csr_matrix((flat_data, flat_idx, np.asarray(indptr)), shape=matrix.shape)


def cosine_item_knn(engaged: sp.csr_matrix, neighbours: int) -> sp.csr_matrix:
    """Item x item cosine of co-engagement (self-similarity removed), top ``neighbours`` per item."""
    co = sp.csr_matrix(engaged.T @ engaged, dtype=np.float32)
    co.setdiag(0.0)
    co.eliminate_zeros()
    norms = np.sqrt(np.asarray(engaged.sum(axis=0), dtype=np.float64).ravel()).astype(np.float32)
    inv = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    cosine = sp.csr_matrix(sp.diags(inv) @ co @ sp.diags(inv), dtype=np.float32)
    return top_n_per_row(cosine, neighbours)


class MultiBehaviorRecommender(ScoringMixin):
    """Blend of own-behaviour, co-engagement, factor, popularity and conversion signals."""

    name = "engine"

    def __init__(self, params: MultiBehaviorParams | None = None) -> None:
        self.params = params or MultiBehaviorParams()
        self.own: dict[str, sp.csr_matrix] = {}
        self.engaged = sp.csr_matrix((0, 0), dtype=np.float32)
        self.similarity = sp.csr_matrix((0, 0), dtype=np.float32)
        self.user_factors = np.zeros((0, 0), dtype=np.float32)
        self.item_factors = np.zeros((0, 0), dtype=np.float32)
        self.popularity = np.zeros(0, dtype=np.float32)
        self.conversion = np.zeros(0, dtype=np.float32)
        self.target = sp.csr_matrix((0, 0), dtype=np.float32)
        self.behaviour_conversion: dict[str, np.ndarray] = {}
        self.target_name = "buy"
        self.second_stage: SecondStage | None = None
        self._item_statistics: dict[str, np.ndarray] | None = None

    def __setstate__(self, state: dict[str, object]) -> None:
        """Engines pickled before the second stage existed load with none (and the default target)."""
        self.__dict__.update({"target_name": "buy", "second_stage": None, "_item_statistics": None} | state)

    @property
    def component_names(self) -> list[str]:
        own = [f"own:{name}" for name in self.own]
        return own + list(SHARED) + [f"conv:{name}" for name in self.own]

    def fit(self, data: Interactions) -> None:
        """Learn every component once; blend weights can then change without refitting."""
        self.target_name = data.target
        self._item_statistics = None  # second-stage item counts, recomputed for the new data
        self.own = {name: binary(m) for name, m in sorted(data.behaviours.items()) if name != data.target}
        target = self.target = binary(data.matrix(data.target))
        self.engaged = binary(sum(self.own.values(), target))
        self.similarity = cosine_item_knn(self.engaged, self.params.neighbours)
        self._fit_factors(target)
        bought = np.asarray(target.sum(axis=0), dtype=np.float32).ravel()
        engaged = np.asarray(self.engaged.sum(axis=0), dtype=np.float32).ravel()
        self.popularity = (np.log1p(bought) / max(float(np.log1p(bought).max()), 1e-9)).astype(np.float32)
        self.conversion = self._rate(bought, engaged)
        self.behaviour_conversion = {name: self._conversion(m, target) for name, m in self.own.items()}

    def _rate(self, hits: np.ndarray, trials: np.ndarray) -> np.ndarray:
        """Shrunk rate hits / (trials + prior), scaled to max 1: rare items do not win by luck."""
        rate = hits / (trials + self.params.conversion_prior)
        return (rate / max(float(rate.max()), 1e-9)).astype(np.float32)

    def _conversion(self, behaviour: sp.csr_matrix, target: sp.csr_matrix) -> np.ndarray:
        """Per item: of the shoppers who showed this behaviour on it, the share who bought it."""
        both = np.asarray(behaviour.multiply(target).sum(axis=0), dtype=np.float32).ravel()
        return self._rate(both, np.asarray(behaviour.sum(axis=0), dtype=np.float32).ravel())

    def _fit_factors(self, target: sp.csr_matrix) -> None:
        """ALS on purchases plus every other behaviour as weaker confidence (each counts once more)."""
        confidence = sp.csr_matrix(target + self.engaged, dtype=np.float32)
        p = self.params
        factors = FactorParams(
            factors=p.factors, regularization=p.regularization, iterations=p.iterations, alpha=p.alpha, seed=p.seed
        )
        self.user_factors, self.item_factors = fit_als(confidence, factors)
        self._gram: tuple[int, np.ndarray] | None = None  # Y^T Y of the previous factors

    def components(self, users: np.ndarray, names: list[str] | None = None) -> dict[str, np.ndarray]:
        """Each named component as a dense (len(users), n_items) float32 array scaled per shopper."""
        out: dict[str, np.ndarray] = {}
        for name in names or self.component_names:
            out[name] = self._component(name, users)
        return out

    def _component(self, name: str, users: np.ndarray) -> np.ndarray:
        if name.startswith("own:"):
            return np.asarray(self.own[name[4:]][users].toarray(), dtype=np.float32)
        if name.startswith("knn"):
            history = self.target if name == "knn:target" else self.engaged
            return row_max_normalise(np.asarray((history[users] @ self.similarity).toarray(), np.float32))
        if name == "als":
            return row_max_normalise(np.asarray(self.user_factors[users] @ self.item_factors.T, np.float32))
        return np.broadcast_to(self._item_vector(name), (len(users), self.popularity.shape[0]))

    def components_from_rows(
        self, rows: Mapping[str, sp.csr_matrix], names: list[str] | None = None
    ) -> dict[str, np.ndarray]:
        """``components`` for shoppers given by their behaviour rows (name -> ``(n, n_items)`` CSR, the
        target behaviour under its own name; missing behaviours count as empty) instead of training rows.
        Equal to ``components`` for a training shopper's own rows, except "als", whose user factor is
        re-solved from the rows against the fitted item factors (one ALS user step)."""
        n = next(iter(rows.values())).shape[0] if rows else 0
        shape = (n, self.popularity.shape[0])
        binary_rows = {b: binary(rows[b]) if b in rows else sp.csr_matrix(shape, dtype=np.float32) for b in self.own}
        target = binary(rows[self.target_name]) if self.target_name in rows else sp.csr_matrix(shape, dtype=np.float32)
        out: dict[str, np.ndarray] = {}
        for name in names or self.component_names:
            if name.startswith("own:"):
                out[name] = np.asarray(binary_rows[name[4:]].toarray(), dtype=np.float32)
            elif name.startswith("knn"):
                history = target if name == "knn:target" else binary(sum(binary_rows.values(), target))
                out[name] = row_max_normalise(np.asarray((history @ self.similarity).toarray(), np.float32))
            elif name == "als":
                factors = self.fold_in(binary(sum(binary_rows.values(), target)) + target)
                out[name] = row_max_normalise(np.asarray(factors @ self.item_factors.T, np.float32))
            else:
                out[name] = np.broadcast_to(self._item_vector(name), shape)
        return out

    def fold_in(self, confidence: sp.csr_matrix) -> np.ndarray:
        """ALS user factors for confidence rows (as in training: purchase + engagement), item factors fixed."""
        y = np.asarray(self.item_factors, dtype=np.float64)
        base = self._item_gram(y) + self.params.regularization * np.eye(y.shape[1])
        out = np.zeros((confidence.shape[0], y.shape[1]), dtype=np.float32)
        conf = sp.csr_matrix(confidence * self.params.alpha, dtype=np.float64)
        for row in range(conf.shape[0]):
            cols = conf.indices[conf.indptr[row] : conf.indptr[row + 1]]
            if not len(cols):
                continue
            c = conf.data[conf.indptr[row] : conf.indptr[row + 1]]
            yu = y[cols]
            out[row] = np.linalg.solve(base + (yu.T * (c - 1.0)) @ yu, yu.T @ c)
        return out

    def _item_gram(self, y: np.ndarray) -> np.ndarray:
        """Y^T Y of the item factors, computed once per fit (a live request folds in one shopper)."""
        cached: tuple[int, np.ndarray] | None = getattr(self, "_gram", None)  # reset by every fit
        if cached is None or cached[0] != id(self.item_factors):
            cached = (id(self.item_factors), y.T @ y)
            self._gram = cached
        return cached[1]

    def _item_vector(self, name: str) -> np.ndarray:
        if name.startswith("conv:"):
            return self.behaviour_conversion[name[5:]]
        return self.popularity if name == "pop" else self.conversion

    def first_stage(self, users: np.ndarray) -> np.ndarray:
        """The linear blend: weighted sum of the components with non-zero weight (higher is better)."""
        users = np.asarray(users)
        total = np.zeros((len(users), self.popularity.shape[0]), dtype=np.float64)
        for name, weight in self.params.weights.items():
            if weight and name in self.component_names:
                total += weight * self._component(name, users)
        return total

    def score(self, users: np.ndarray) -> np.ndarray:
        """Final scores of every item (higher is better): the blend, its top candidates re-ranked by the
        second stage when there is one (other items keep the blend's order below them)."""
        users = np.asarray(users)
        first = self.first_stage(users)
        if self.second_stage is None or len(users) == 0:
            return first
        return stage.rerank_rows(self, stage.training_rows(self, users), first)

    def score_rows(self, rows: Mapping[str, sp.csr_matrix]) -> np.ndarray:
        """Final scores for shoppers given by behaviour rows (e.g. one live shopper: name -> ``1 x n_items``
        CSR from the event log, the target behaviour under its own name). Same as ``score`` for a
        training shopper's own rows unless "als" has weight (its factor is then re-solved from the rows)."""
        return stage.score_rows(self, rows)

    def item_vectors(self) -> sp.csr_matrix:
        """Items described by who engaged with them: co-engagement cosine drives ``similar_items``."""
        return sp.csr_matrix(self.engaged.T)
