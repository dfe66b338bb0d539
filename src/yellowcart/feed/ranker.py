"""The trained ranker: probability that a shopper engages towards a purchase (cart tap, add to cart,
purchase) with a candidate, from the candidate's source scores. Logistic regression (scikit-learn):
small, fast to serve, and its weights say what the feed has learned.

Training replays the past: features are computed as of a cutoff from events before it (the
co-engagement model too), labels are what each sampled shopper did in the window after it, and the
fit is checked on held-out shoppers (ROC AUC in the version's stats) before it replaces the blend.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

RANKER_KIND = "ranker"
POSITIVE = ("cart_tap", "add_to_cart", "purchase")


@dataclass(frozen=True, slots=True)
class Ranker:
    features: tuple[str, ...]
    coef: tuple[float, ...]
    intercept: float

    def score_many(self, rows: Sequence[dict[str, float]]) -> np.ndarray:
        if not rows:
            return np.zeros(0)
        x = np.array([[row.get(f, 0.0) for f in self.features] for row in rows], dtype=np.float64)
        logits = x @ np.asarray(self.coef, dtype=np.float64) + self.intercept
        return np.asarray(1.0 / (1.0 + np.exp(-logits)), dtype=np.float64)

    def to_bytes(self) -> bytes:
        return json.dumps({"features": self.features, "coef": self.coef, "intercept": self.intercept}).encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Ranker:
        data = json.loads(raw)
        return cls(tuple(data["features"]), tuple(float(c) for c in data["coef"]), float(data["intercept"]))


def split_users(users: Sequence[int], holdout: float, seed: int) -> tuple[list[int], list[int]]:
    shuffled = list(users)
    random.Random(seed).shuffle(shuffled)
    cut = int(len(shuffled) * (1 - holdout))
    return shuffled[:cut], shuffled[cut:]
