"""Baselines every evaluation reports beside our engine: popularity and ``implicit`` ALS / BPR.

Why here and not in a research script: the feed falls back to popularity for anonymous visitors, and the
factor models are the yardstick the engine must beat on the same protocol, so all share one interface.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares
from implicit.cpu.bpr import BayesianPersonalizedRanking
from threadpoolctl import threadpool_limits

from yellowcart.feed.recommend.base import Interactions
from yellowcart.feed.recommend.scoring import ScoringMixin

THREADS = 2  # the evaluation budget is 2 CPU cores; implicit would otherwise take every core


class PopularityRecommender(ScoringMixin):
    """Most-bought items first: what anonymous shoppers get, and the floor every model must clear."""

    name = "pop"

    def __init__(self) -> None:
        self.counts = np.zeros(0, dtype=np.float64)

    def fit(self, data: Interactions) -> None:
        self.counts = np.asarray(data.matrix(data.target).sum(axis=0), dtype=np.float64).ravel()

    def score(self, users: np.ndarray) -> np.ndarray:
        return np.broadcast_to(self.counts, (len(users), self.counts.shape[0])).copy()

    def item_vectors(self) -> np.ndarray:
        return self.counts[:, None]


@dataclass(frozen=True)
class FactorParams:
    """Hyper-parameters of a matrix-factorisation baseline (chosen on validation by the caller)."""

    factors: int = 64
    regularization: float = 0.01
    iterations: int = 15
    learning_rate: float = 0.05
    alpha: float = 1.0  # confidence weight on the target matrix (ALS); BPR only sees presence
    seed: int = 0


def fit_als(matrix: sp.csr_matrix, p: FactorParams) -> tuple[np.ndarray, np.ndarray]:
    """implicit's ALS on a confidence matrix; returns (user factors, item factors)."""
    with threadpool_limits(1, "blas"):  # implicit parallelises itself; nested BLAS threads thrash
        model = AlternatingLeastSquares(
            factors=p.factors,
            regularization=p.regularization,
            iterations=p.iterations,
            alpha=p.alpha,
            num_threads=THREADS,
            random_state=p.seed,
        )
        model.fit(matrix, show_progress=False)
    return model.user_factors, model.item_factors


class _FactorRecommender(ScoringMixin):
    """Dot-product scores from user and item factors learned on the target behaviour."""

    name = "factors"

    def __init__(self, params: FactorParams | None = None) -> None:
        self.params = params or FactorParams()
        self.user_factors = np.zeros((0, 0), dtype=np.float32)
        self.item_factors = np.zeros((0, 0), dtype=np.float32)

    def _train(self, matrix: sp.csr_matrix) -> None:  # pragma: no cover - provided by subclasses
        raise NotImplementedError

    def fit(self, data: Interactions) -> None:
        self._train(sp.csr_matrix(data.matrix(data.target), dtype=np.float32))

    def score(self, users: np.ndarray) -> np.ndarray:
        return np.asarray(self.user_factors[users] @ self.item_factors.T, dtype=np.float64)

    def item_vectors(self) -> np.ndarray:
        return self.item_factors


class ALSRecommender(_FactorRecommender):
    """Implicit-feedback ALS (Hu, Koren, Volinsky) on the confidence-weighted target matrix."""

    name = "als"

    def _train(self, matrix: sp.csr_matrix) -> None:
        self.user_factors, self.item_factors = fit_als(matrix, self.params)


class BPRRecommender(_FactorRecommender):
    """Bayesian personalised ranking on the target matrix (pairwise: bought beats not bought)."""

    name = "bpr"

    def _train(self, matrix: sp.csr_matrix) -> None:
        p = self.params
        model = BayesianPersonalizedRanking(
            factors=p.factors,
            learning_rate=p.learning_rate,
            regularization=p.regularization,
            iterations=p.iterations,
            num_threads=THREADS,
            random_state=p.seed,
        )
        model.fit(matrix, show_progress=False)
        self.user_factors, self.item_factors = model.user_factors, model.item_factors


#: The matrix-factorisation baselines by name, for evaluation grids.
FACTOR_MODELS: dict[str, type[_FactorRecommender]] = {"als": ALSRecommender, "bpr": BPRRecommender}
