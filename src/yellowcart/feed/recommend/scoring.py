"""Shared plumbing so each recommender only writes ``fit`` and ``score``.

Why a mixin: ``recommend`` and ``similar_items`` are the same for every model that can score users and
embed items; writing them once keeps the protocol identical across the feed's recommenders.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from yellowcart.feed.recommend.base import top_k


class ScoringMixin:
    """``recommend`` from ``score``; ``similar_items`` by cosine over ``item_vectors``."""

    def score(self, users: np.ndarray) -> np.ndarray:  # pragma: no cover - provided by the model
        raise NotImplementedError

    def item_vectors(self) -> np.ndarray | sp.csr_matrix:  # pragma: no cover - provided by the model
        raise NotImplementedError

    def recommend(self, user: int, k: int, exclude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-k items for one user; ``exclude`` (e.g. already bought) never appears."""
        scores = self.score(np.array([user]))[0]
        return top_k(scores, k, exclude)

    def similar_items(self, item: int, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Cosine neighbours of ``item`` in the model's item space, the item itself excluded."""
        vectors = self.item_vectors()
        sims = cosine_to_row(vectors, item)
        return top_k(sims, k, np.array([item]))


def cosine_to_row(vectors: np.ndarray | sp.csr_matrix, row: int) -> np.ndarray:
    """Cosine similarity of every row of ``vectors`` with row ``row`` (zero rows score 0)."""
    if sp.issparse(vectors):
        csr = sp.csr_matrix(vectors)
        dots = np.asarray((csr @ csr[row].T).todense()).ravel()
        norms = np.sqrt(np.asarray(csr.multiply(csr).sum(axis=1)).ravel())
    else:
        dense = np.asarray(vectors)
        dots = dense @ dense[row]
        norms = np.linalg.norm(dense, axis=1)
    denom = norms * norms[row]
    out = np.zeros(dots.shape, dtype=np.float64)
    np.divide(dots, denom, out=out, where=denom > 0)
    return out
