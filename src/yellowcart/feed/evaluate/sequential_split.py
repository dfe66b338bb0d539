"""The Amazon-layout split (S3-Rec protocol): loading, per-split training views, targets and masking.

Kept apart from the runner so tests and tuning share one definition of "what the model may see".
"""

from __future__ import annotations

import json
import pathlib

import numpy as np
import scipy.sparse as sp

from yellowcart.feed.recommend.base import Interactions

VALID, TEST = 2, 1  # how many trailing items each split holds out: its target is sequence[-cut]


def load_sequences(path: pathlib.Path) -> list[np.ndarray]:
    """One array of item ids per line (the leading user id dropped; users are indexed by line order)."""
    with path.open() as fh:
        return [np.array(line.split()[1:], dtype=np.int64) for line in fh if line.strip()]


def load_attributes(path: pathlib.Path | None) -> dict[int, list[int]]:
    """``{item: [attribute, ...]}`` from the optional JSON file; empty when there is none."""
    if path is None:
        return {}
    return {int(k): [int(a) for a in v] for k, v in json.loads(path.read_text()).items()}


def split_interactions(
    sequences: list[np.ndarray], cut: int, n_items: int, attributes: dict[int, list[int]]
) -> Interactions:
    """Training view for one split: every user's sequence without its last ``cut`` items."""
    prefixes = [s[: max(len(s) - cut, 0)] for s in sequences]
    lengths = [len(p) for p in prefixes]
    rows = np.repeat(np.arange(len(prefixes)), lengths)
    cols = np.concatenate([*prefixes, np.zeros(0, np.int64)])
    matrix = sp.csr_matrix((np.ones(len(cols), np.float32), (rows, cols)), shape=(len(prefixes), n_items))
    matrix.data[:] = 1.0
    return Interactions(len(prefixes), n_items, {"interact": matrix}, "interact", prefixes, attributes)


def cases(sequences: list[np.ndarray], cut: int) -> tuple[np.ndarray, np.ndarray]:
    """Users that have a target for this split, and that target (``sequence[-cut]``)."""
    users = np.array([u for u, s in enumerate(sequences) if len(s) >= cut], dtype=np.int64)
    return users, np.array([sequences[u][-cut] for u in users], dtype=np.int64)


def masked(scores: np.ndarray, histories: list[np.ndarray]) -> np.ndarray:
    """Scores with each user's own earlier items and the padding item 0 set to -inf (in place)."""
    lengths = [len(h) for h in histories]
    scores[np.repeat(np.arange(len(histories)), lengths), np.concatenate([*histories, np.zeros(0, np.int64)])] = -np.inf
    scores[:, 0] = -np.inf
    return scores
