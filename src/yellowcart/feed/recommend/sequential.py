"""Next-item recommender from each shopper's time-ordered history, without torch.

Why this shape: a blend of closed-form item-item models (EASE for "bought together over a lifetime", SLIT
for "bought next", decayed transition counts for rare items), brand/category affinity for cold items and a
touch of popularity. Each component is a matrix product with the shopper's recency-weighted history, so a
fresh interaction changes the next feed without retraining (``score_histories``). Weights and
regularisation are chosen on a validation split by the caller (``yellowcart eval sequential``), never
hard-coded per dataset.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp

from yellowcart.feed.recommend import seq_components as comp
from yellowcart.feed.recommend.base import Interactions, top_k

COMPONENTS = ("ease", "slit", "trans", "attr", "pop")


@dataclass(frozen=True)
class SequentialParams:
    """Hyper-parameters; a component with weight 0 is not fitted at all (cheap tuning)."""

    ease_lambda: float = 200.0
    slit_lambda: float = 50.0
    pair_decay: float = 0.5
    pair_window: int = 3
    state_decay: float = 0.5
    state_window: int = 5
    ease_decay: float = 0.9
    weights: dict[str, float] = field(default_factory=lambda: {"ease": 1.0, "slit": 1.0, "trans": 0.0})

    def with_weights(self, **weights: float) -> SequentialParams:
        return replace(self, weights={**self.weights, **weights})

    def weight(self, name: str) -> float:
        return float(self.weights.get(name, 0.0))


def _row_normalise(scores: np.ndarray) -> np.ndarray:
    """Scale each row to max |score| = 1 so blend weights mean the same for every component and user."""
    peak = np.abs(scores).max(axis=1, keepdims=True)
    return np.asarray(np.divide(scores, peak, out=np.zeros_like(scores), where=peak > 0))


class SequentialRecommender:
    """The feed's personal candidate source; implements the :class:`Recommender` protocol."""

    name = "sequential"

    def __init__(self, params: SequentialParams | None = None) -> None:
        self.params = params or SequentialParams()
        self.n_items = 0
        self._histories: list[np.ndarray] = []
        self._ease: np.ndarray | None = None
        self._slit: np.ndarray | None = None
        self._trans: sp.csr_matrix | None = None
        self._attr: sp.csr_matrix | None = None
        self._pop = np.zeros(0, dtype=np.float32)

    def fit(self, data: Interactions) -> None:
        """Fit every component with a non-zero weight from ``sequences`` (or the target matrix rows)."""
        p, n = self.params, data.n_items
        self.n_items = n
        self._histories = data.sequences if data.sequences is not None else _rows_as_sequences(data)
        user_items = sp.csr_matrix(data.matrix(data.target))
        counts = np.bincount(np.concatenate([*self._histories, np.zeros(0, np.int64)]), minlength=n)[:n]
        self._pop = np.log1p(counts).astype(np.float32)
        self._ease = comp.ease_weights(user_items, p.ease_lambda) if p.weight("ease") else None
        seqs, decay, window = self._histories, p.pair_decay, p.pair_window
        self._slit = comp.slit_weights(seqs, n, p.slit_lambda, decay, window) if p.weight("slit") else None
        self._trans = comp.transition_counts(seqs, n, decay, window) if p.weight("trans") else None
        has_attr = p.weight("attr") and data.item_attributes
        self._attr = comp.attribute_matrix(data.item_attributes, n) if has_attr else None

    def component_scores(self, histories: list[np.ndarray]) -> dict[str, np.ndarray]:
        """Each fitted component's row-normalised scores for the given histories (for blending/tuning)."""
        p, n = self.params, self.n_items
        recent = comp.history_state(histories, n, p.state_decay, p.state_window)
        out: dict[str, np.ndarray] = {}
        if self._ease is not None:
            whole = comp.history_state(histories, n, p.ease_decay, max(map(len, histories), default=1))
            out["ease"] = np.asarray(whole @ self._ease)
        if self._slit is not None:
            out["slit"] = np.asarray(recent @ self._slit)
        if self._trans is not None:
            out["trans"] = (recent @ self._trans).toarray()
        if self._attr is not None:
            out["attr"] = ((recent @ self._attr) @ self._attr.T).toarray()
        out = {k: _row_normalise(v.astype(np.float32, copy=False)) for k, v in out.items()}
        if p.weight("pop"):
            out["pop"] = np.broadcast_to(self._pop / max(float(self._pop.max()), 1e-9), (len(histories), n))
        return out

    def blend(self, parts: dict[str, np.ndarray], weights: dict[str, float] | None = None) -> np.ndarray:
        """Weighted sum of component scores."""
        weights = weights if weights is not None else self.params.weights
        total = np.zeros((len(next(iter(parts.values()))), self.n_items), dtype=np.float32) if parts else None
        for name, part in parts.items():
            if total is not None and weights.get(name, 0.0):
                total += np.float32(weights[name]) * part
        return total if total is not None else np.zeros((0, self.n_items), dtype=np.float32)

    def score_histories(self, histories: list[np.ndarray]) -> np.ndarray:
        """Scores for arbitrary (e.g. live session) histories: the real-time path, no refit needed."""
        if not histories:
            return np.zeros((0, self.n_items), dtype=np.float32)
        return self.blend(self.component_scores(histories))

    def score(self, users: np.ndarray) -> np.ndarray:
        return self.score_histories([self._histories[int(u)] for u in users])

    def recommend(self, user: int, k: int, exclude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        return top_k(self.score(np.array([user]))[0], k, exclude)

    def similar_items(self, item: int, k: int) -> tuple[np.ndarray, np.ndarray]:
        scores = self.score_histories([np.array([item], dtype=np.int64)])[0]
        return top_k(scores, k, np.array([item]))


def _rows_as_sequences(data: Interactions) -> list[np.ndarray]:
    """Without time order, a user's items in index order (transition components then carry less signal)."""
    m = sp.csr_matrix(data.matrix(data.target))
    return [m.indices[m.indptr[u] : m.indptr[u + 1]].astype(np.int64) for u in range(data.n_users)]
