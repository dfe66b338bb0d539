"""The one interface every recommender implements (Gorse / implicit style), and the data it learns from.

Recommenders are pure: they learn from an :class:`Interactions` snapshot (sparse user x item matrices per
behaviour, plus each user's time-ordered item sequence when known) and answer with numpy arrays. The
same objects serve the feed (fitted by ``yellowcart train`` from the event log) and are measured by
``yellowcart eval`` on public data, so what is evaluated is what is served.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import scipy.sparse as sp


@dataclass
class Interactions:
    """What the recommenders learn from. Users and items are dense 0-based indices.

    ``behaviours`` maps a behaviour name (e.g. "buy", "cart", "view", "like", "watch") to a CSR matrix of
    shape (n_users, n_items) holding counts or weights; ``target`` names the behaviour to predict.
    ``sequences`` (optional) holds each user's items in time order, oldest first.
    ``item_text`` / ``item_attributes`` (optional) describe items for cold start.
    """

    n_users: int
    n_items: int
    behaviours: dict[str, sp.csr_matrix]
    target: str
    sequences: list[np.ndarray] | None = None
    item_attributes: dict[int, list[int]] = field(default_factory=dict)
    item_text: dict[int, str] = field(default_factory=dict)

    def matrix(self, name: str) -> sp.csr_matrix:
        return self.behaviours.get(name, sp.csr_matrix((self.n_users, self.n_items), dtype=np.float32))


class Recommender(Protocol):
    """fit once, then score/recommend many times (thread-safe reads)."""

    name: str

    def fit(self, data: Interactions) -> None: ...

    def score(self, users: np.ndarray) -> np.ndarray:
        """Dense scores (len(users), n_items); higher is better. -inf where an item must not appear."""
        ...

    def recommend(self, user: int, k: int, exclude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (items, scores) for one user, ``exclude`` item indices removed."""
        ...

    def similar_items(self, item: int, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (items, scores) most similar to ``item`` (the item itself excluded)."""
        ...


def top_k(scores: np.ndarray, k: int, exclude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Indices and values of the k best scores of a 1-D array, best first (exclusions set to -inf)."""
    scores = scores.astype(np.float64, copy=True)
    if exclude is not None and len(exclude):
        scores[exclude] = -np.inf
    k = min(k, scores.shape[0])
    idx = np.argpartition(-scores, k - 1)[:k]
    idx = idx[np.argsort(-scores[idx], kind="stable")]
    return idx, scores[idx]
