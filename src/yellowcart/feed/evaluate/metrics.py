"""Full-ranking HR@k and NDCG@k for one held-out positive per case.

Why pessimistic ties: a recommender that scores everything equally (or a constant-score baseline) must not
look good by luck of the sort order. The positive's rank counts every other item whose score is greater
than *or equal to* its own, so a tie always goes against the model and the result does not depend on item
order. Masked items carry ``-inf``; a masked (or NaN-scored) positive is therefore never a hit.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def mask_scores(scores: np.ndarray, seen: sp.csr_matrix | None) -> np.ndarray:
    """Set ``-inf`` where ``seen`` (rows aligned with ``scores``) is non-zero, in place; returns scores."""
    if seen is not None and seen.nnz:
        coo = seen.tocoo()
        scores[coo.row, coo.col] = -np.inf
    return np.asarray(scores)


def positive_ranks(scores: np.ndarray, positives: np.ndarray) -> np.ndarray:
    """0-based pessimistic rank of each row's positive item among all items of that row."""
    scores = np.where(np.isnan(scores), -np.inf, scores)
    rows = np.arange(scores.shape[0])
    pos = scores[rows, positives][:, None]
    ahead = (scores >= pos).sum(axis=1) - 1  # the positive itself is the one "equal" we do not count
    ranks: np.ndarray = np.asarray(ahead, dtype=np.int64)
    ranks[np.isneginf(pos[:, 0])] = scores.shape[1]  # masked positive: ranked last, never a hit
    return ranks


def hit_and_ndcg(ranks: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-case HR@k (0/1) and NDCG@k (1/log2(rank+2) when in the top k) from 0-based ranks."""
    hit = ranks < k
    ndcg = np.where(hit, 1.0 / np.log2(ranks.astype(np.float64) + 2.0), 0.0)
    return hit.astype(np.float64), ndcg


def hr_ndcg_at_k(
    scores: np.ndarray, positives: np.ndarray, k: int = 10, seen: sp.csr_matrix | None = None
) -> tuple[float, float]:
    """Mean HR@k and NDCG@k over the rows of ``scores`` (one case per row), after masking ``seen``."""
    if scores.shape[0] == 0:
        return 0.0, 0.0
    masked = mask_scores(np.array(scores, dtype=np.float64, copy=True), seen)
    hit, ndcg = hit_and_ndcg(positive_ranks(masked, np.asarray(positives)), k)
    return float(hit.mean()), float(ndcg.mean())
