"""Score a fitted recommender on held-out cases with full ranking, in user batches.

Why batches: a dense (users x items) score matrix for a whole dataset does not fit comfortably in memory,
but a few thousand rows at a time do, and each batch is one vectorised pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from yellowcart.feed.evaluate.metrics import hit_and_ndcg, mask_scores, positive_ranks
from yellowcart.feed.recommend.base import Recommender

BATCH = 1024


@dataclass(frozen=True)
class Cases:
    """Held-out cases (one positive each) and the training purchases to mask per user."""

    users: np.ndarray
    items: np.ndarray
    seen: sp.csr_matrix


def batches(n: int, size: int = BATCH) -> list[slice]:
    """Consecutive slices covering ``range(n)``."""
    return [slice(start, min(start + size, n)) for start in range(0, n, size)]


def case_ranks(model: Recommender, cases: Cases, batch: int = BATCH) -> np.ndarray:
    """Pessimistic 0-based rank of every case's positive among all items, training purchases masked."""
    ranks = np.empty(len(cases.users), dtype=np.int64)
    for part in batches(len(cases.users), batch):
        users = cases.users[part]
        scores = np.array(model.score(users), dtype=np.float64, copy=True)
        mask_scores(scores, sp.csr_matrix(cases.seen[users]))
        ranks[part] = positive_ranks(scores, cases.items[part])
    return ranks


def evaluate(model: Recommender, cases: Cases, k: int = 10) -> dict[str, float]:
    """Mean HR@k and NDCG@k over the cases (each held-out line is its own case)."""
    if len(cases.users) == 0:
        return {f"hr@{k}": 0.0, f"ndcg@{k}": 0.0}
    hit, ndcg = hit_and_ndcg(case_ranks(model, cases), k)
    return {f"hr@{k}": float(hit.mean()), f"ndcg@{k}": float(ndcg.mean())}
