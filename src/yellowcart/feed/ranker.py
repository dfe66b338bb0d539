"""The trained ranker: probability that a shopper moves towards buying a candidate (cart tap, add to
cart, purchase) from the candidate's features (source scores, price, return rates, conversion).

Two kinds compete at training time on held-out shoppers: logistic regression (small, and its weights
say what the feed has learned) and gradient-boosted trees (scikit-learn's histogram GBT: interactions
such as "engaged before and cheap for this shopper"). The winner serves if it also beats the hand-set
blend there (``feed/ranker_training.py``).
"""

from __future__ import annotations

import json
import pickle
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

RANKER_KIND = "ranker"
POSITIVE = ("cart_tap", "add_to_cart", "purchase")


class Ranker(Protocol):
    @property
    def features(self) -> tuple[str, ...]: ...

    def score_matrix(self, x: np.ndarray, names: Sequence[str]) -> np.ndarray:
        """Scores of the rows of ``x`` whose columns are ``names`` (missing features count as 0)."""
        ...


def columns(x: np.ndarray, names: Sequence[str], wanted: Sequence[str]) -> np.ndarray:
    """``x`` re-ordered to the ``wanted`` feature order (zeros for a feature ``x`` lacks)."""
    index = {name: i for i, name in enumerate(names)}
    out = np.zeros((x.shape[0], len(wanted)), dtype=np.float64)
    for j, name in enumerate(wanted):
        if name in index:
            out[:, j] = x[:, index[name]]
    return out


@dataclass(frozen=True, slots=True)
class LogisticRanker:
    features: tuple[str, ...]
    coef: tuple[float, ...]
    intercept: float

    def score_matrix(self, x: np.ndarray, names: Sequence[str]) -> np.ndarray:
        logits = columns(x, names, self.features) @ np.asarray(self.coef, dtype=np.float64) + self.intercept
        return np.asarray(1.0 / (1.0 + np.exp(-logits)), dtype=np.float64)

    def to_bytes(self) -> bytes:
        return json.dumps({"features": self.features, "coef": self.coef, "intercept": self.intercept}).encode()


@dataclass(frozen=True)
class TreeRanker:
    features: tuple[str, ...]
    model: Any  # a fitted sklearn HistGradientBoostingClassifier

    def score_matrix(self, x: np.ndarray, names: Sequence[str]) -> np.ndarray:
        if not len(x):
            return np.zeros(0)
        return np.asarray(self.model.predict_proba(columns(x, names, self.features))[:, 1], dtype=np.float64)

    def to_bytes(self) -> bytes:
        """Pickled: written by ``yellowcart train`` into our own database, loaded only from there."""
        return b"PICKLE" + pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)


def load_ranker(raw: bytes) -> Ranker:
    if raw.startswith(b"PICKLE"):
        ranker = pickle.loads(raw[6:])
        if not isinstance(ranker, TreeRanker):
            raise TypeError("not a ranker artifact")
        return ranker
    data = json.loads(raw)
    return LogisticRanker(tuple(data["features"]), tuple(float(c) for c in data["coef"]), float(data["intercept"]))


def split_users(users: Sequence[int], holdout: float, seed: int) -> tuple[list[int], list[int]]:
    shuffled = list(users)
    random.Random(seed).shuffle(shuffled)
    cut = int(len(shuffled) * (1 - holdout))
    return shuffled[:cut], shuffled[cut:]
