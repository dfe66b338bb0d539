"""Choose the engine's blend weights on validation cases by coordinate search over a small grid.

Why candidates: trying dozens of weight vectors with full ranking would rescore every item for every
shopper each time. Instead each case keeps the top items of every component (the only items that can
reach a top-10 under any blend of non-negative weights, up to rare mixtures) plus its positive; a weight
vector is then one small matrix product. Ties are pessimistic as in the final metric. The final test
figures are always computed with full ranking, never with these candidates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from yellowcart.feed.evaluate.ranking import Cases, batches
from yellowcart.feed.recommend.multibehavior import MultiBehaviorRecommender

GRID = (0.0, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
PER_COMPONENT = 50


@dataclass(frozen=True)
class CandidateTable:
    """Per case: component values of its candidates (invalid slots flagged) and of its positive."""

    names: list[str]
    candidates: np.ndarray  # (cases, slots, components)
    valid: np.ndarray  # (cases, slots) bool: a real, unmasked, non-positive, first-seen candidate
    positive: np.ndarray  # (cases, components)
    positive_ok: np.ndarray  # (cases,) bool: the positive is not masked


def _top_slots(comps: list[np.ndarray], masked: np.ndarray, per: int) -> np.ndarray:
    """Item indices of the top ``per`` unmasked items of every component, side by side."""
    # A tiny fixed jitter breaks the many exact ties (binary components) that make introselect crawl;
    # it only picks candidates, their features stay exact.
    jitter = np.random.default_rng(0).random(masked.shape[1], dtype=np.float32) * np.float32(1e-6)
    picks = []
    per = min(per, masked.shape[1])
    for comp in comps:
        if comp.strides[0] == 0:  # an item-only component (broadcast): one selection serves every row
            top = np.argpartition(-(comp[0] + jitter), per - 1)[:per]
            picks.append(np.broadcast_to(top, (masked.shape[0], per)))
            continue
        s = np.where(masked, -np.inf, comp + jitter)
        picks.append(np.argpartition(-s, per - 1, axis=1)[:, :per])
    return np.concatenate(picks, axis=1)


def _table_part(model: MultiBehaviorRecommender, cases: Cases, part: slice, per: int) -> tuple[np.ndarray, ...]:
    users, items = cases.users[part], cases.items[part]
    comps = list(model.components(users).values())
    masked = cases.seen[users].toarray() > 0
    slots = np.sort(_top_slots(comps, masked, per), axis=1)
    rows = np.arange(len(users))[:, None]
    first = np.ones_like(slots, dtype=bool)
    first[:, 1:] = slots[:, 1:] != slots[:, :-1]
    valid = first & ~masked[rows, slots] & (slots != items[:, None])
    cand = np.stack([c[rows, slots] for c in comps], axis=2).astype(np.float32)
    pos = np.stack([c[rows[:, 0], items] for c in comps], axis=1).astype(np.float32)
    return cand, valid, pos, ~masked[rows[:, 0], items]


def candidate_table(model: MultiBehaviorRecommender, cases: Cases, per: int = PER_COMPONENT) -> CandidateTable:
    """Build the candidate table for all cases, in batches."""
    parts = [_table_part(model, cases, part, per) for part in batches(len(cases.users))]
    return CandidateTable(
        names=model.component_names,
        candidates=np.concatenate([p[0] for p in parts]),
        valid=np.concatenate([p[1] for p in parts]),
        positive=np.concatenate([p[2] for p in parts]),
        positive_ok=np.concatenate([p[3] for p in parts]),
    )


def table_ndcg(table: CandidateTable, weights: np.ndarray, k: int = 10) -> tuple[float, float]:
    """(NDCG@k, HR@k) of a weight vector on the candidate table, pessimistic ties."""
    cand = table.candidates @ weights
    pos = table.positive @ weights
    ranks = ((cand >= pos[:, None]) & table.valid).sum(axis=1)
    hit = (ranks < k) & table.positive_ok
    ndcg = np.where(hit, 1.0 / np.log2(ranks + 2.0), 0.0)
    return float(ndcg.mean()), float(hit.mean())


def coordinate_search(table: CandidateTable, rounds: int = 3, k: int = 10) -> tuple[dict[str, float], float]:
    """Best weights found by changing one component at a time over ``GRID`` (objective: NDCG@k)."""
    weights = np.ones(len(table.names), dtype=np.float32)
    best = table_ndcg(table, weights, k)
    for _ in range(rounds):
        improved = False
        for j in range(len(weights)):
            for value in GRID:
                trial = weights.copy()
                trial[j] = value
                result = table_ndcg(table, trial, k)
                if result > best:
                    best, weights, improved = result, trial, True
        if not improved:
            break
    return {name: float(w) for name, w in zip(table.names, weights, strict=True)}, best[0]
