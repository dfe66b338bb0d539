"""The multi-behaviour engine's second stage: a learned re-ranking of the first stage's top candidates.

Why: most purchases are items the shopper has already viewed or carted, so the hard part is *ordering*
those few dozen items. The first stage is a linear blend of per-shopper-scaled signals; it cannot say
"carted, and similar to what they bought, and an item that converts" is worth more than the sum of its
parts. The second stage is a gradient-boosted tree classifier (scikit-learn's
``HistGradientBoostingClassifier``) over one row per (shopper, candidate): the engine's component values,
the first stage's score and rank, and cheap counts (how many behaviours the shopper showed on the item,
the item's popularity per behaviour, the shopper's activity per behaviour). It is trained by the caller on
held-out purchases (``yellowcart eval multibehavior`` uses its validation split), never hand-set.

Serving contract: everything here works from *behaviour rows* (behaviour name -> ``(n, n_items)`` CSR,
the target behaviour, e.g. "buy", under its own name), not from training-matrix row numbers, so a live
shopper whose rows come from the event log is scored exactly like a training shopper with the same rows.
Candidates are the first stage's top ``n`` items the shopper has not bought; every other item keeps its
first-stage order below them, so the result is still a ranking of all items.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    from sklearn.ensemble import HistGradientBoostingClassifier

    from yellowcart.feed.recommend.multibehavior import MultiBehaviorRecommender

Rows = Mapping[str, sp.csr_matrix]
#: Components never used as second-stage features: "als" needs a fitted user factor, which a live row lacks.
NOT_FEATURES = ("als",)


@dataclass
class SecondStage:
    """A fitted re-ranker: ``score_candidates`` turns a feature table into scores (higher is better)."""

    model: HistGradientBoostingClassifier
    feature_names: list[str]
    candidates: int

    def score_candidates(self, features: np.ndarray, names: list[str]) -> np.ndarray:
        """Scores (log-odds of "bought") of ``features``: ``(n, n_features)`` rows whose columns are
        ``names`` (as returned by :func:`candidate_features`); columns are matched by name."""
        if list(names) != self.feature_names:
            missing = set(self.feature_names) - set(names)
            if missing:
                raise ValueError(f"second stage needs features {sorted(missing)}")
            order = [list(names).index(name) for name in self.feature_names]
            features = features[:, order]
        if len(features) == 0:
            return np.zeros(0, dtype=np.float64)
        return np.asarray(self.model.decision_function(np.asarray(features, dtype=np.float32)), dtype=np.float64)


def training_rows(engine: MultiBehaviorRecommender, users: np.ndarray) -> dict[str, sp.csr_matrix]:
    """The behaviour rows the engine was trained on for ``users`` (what a live shopper's rows replace)."""
    rows = {name: sp.csr_matrix(matrix[users]) for name, matrix in engine.own.items()}
    rows[engine.target_name] = sp.csr_matrix(engine.target[users])
    return rows


def _row(rows: Rows, name: str, shape: tuple[int, int]) -> sp.csr_matrix:
    """Binary float32 CSR of one behaviour (empty when the live shopper has none)."""
    matrix = rows.get(name)
    if matrix is None:
        return sp.csr_matrix(shape, dtype=np.float32)
    out = sp.csr_matrix(matrix, dtype=np.float32, copy=True)
    out.eliminate_zeros()
    out.data[:] = 1.0
    return out


def _shape(engine: MultiBehaviorRecommender, rows: Rows) -> tuple[int, int]:
    n = next(iter(rows.values())).shape[0] if rows else 0
    return n, engine.popularity.shape[0]


def first_stage(engine: MultiBehaviorRecommender, rows: Rows) -> np.ndarray:
    """The first-stage blend of every item for each row, ``(n, n_items)`` float64 (``als`` folded in)."""
    shape = _shape(engine, rows)
    comps = engine.components_from_rows(rows, [n for n, w in engine.params.weights.items() if w])
    total = np.zeros(shape, dtype=np.float64)
    for name, values in comps.items():
        total += engine.params.weights[name] * values
    return total


def select_candidates(engine: MultiBehaviorRecommender, rows: Rows, scores: np.ndarray, n: int) -> np.ndarray:
    """Per row, the ``n`` best first-stage items not yet bought, best first: ``(rows, n)`` item indices.

    A tiny fixed per-item jitter breaks exact ties (binary components make many) so the choice is fast and
    does not depend on the order rows arrive in."""
    n_items = scores.shape[1]
    n = min(n, n_items)
    jitter = np.random.default_rng(0).random(n_items) * 1e-9
    s = scores + jitter
    bought = _row(rows, engine.target_name, scores.shape).tocoo()
    s[bought.row, bought.col] = -np.inf
    top = np.argpartition(-s, n - 1, axis=1)[:, :n]
    order = np.argsort(-np.take_along_axis(s, top, axis=1), axis=1, kind="stable")
    return np.take_along_axis(top, order, axis=1)


def _log_counts(matrix: sp.csr_matrix, axis: int) -> np.ndarray:
    return np.log1p(np.asarray(matrix.sum(axis=axis), dtype=np.float32).ravel())


def item_statistics(engine: MultiBehaviorRecommender) -> dict[str, np.ndarray]:
    """Item-only features from training data: log counts of shoppers per behaviour (cached on the engine)."""
    if engine._item_statistics is not None:
        return dict(engine._item_statistics)
    stats = {f"item_n:{name}": _log_counts(m, 0) for name, m in engine.own.items()}
    stats[f"item_n:{engine.target_name}"] = _log_counts(engine.target, 0)
    engine._item_statistics = stats
    return dict(stats)


def candidate_features(
    engine: MultiBehaviorRecommender, rows: Rows, candidates: np.ndarray, first: np.ndarray | None = None
) -> tuple[np.ndarray, list[str]]:
    """The second stage's features of each (row, candidate) and their names.

    ``rows``: behaviour name -> ``(n, n_items)`` CSR (a live shopper: ``1 x n_items`` rows from the event
    log; the target behaviour under its own name, missing behaviours are treated as empty).
    ``candidates``: ``(n, c)`` item indices, best first-stage first (see :func:`select_candidates`).
    ``first``: the first-stage scores of the rows if already computed (else computed here).
    Returns ``(n, c, n_features)`` float32 and the feature names; everything comes from the engine's
    fitted attributes and the rows, so the same rows always give the same features."""
    shape = _shape(engine, rows)
    candidates = np.asarray(candidates, dtype=np.int64).reshape(shape[0], -1)
    first = first_stage(engine, rows) if first is None else first
    picked = np.arange(shape[0])[:, None]
    names = [n for n in engine.component_names if n not in NOT_FEATURES]
    feats: dict[str, np.ndarray] = {}
    for name, values in engine.components_from_rows(rows, names).items():
        feats[name] = values[picked, candidates] if values.strides[0] else values[0][candidates]
    behaviour_rows = {b: _row(rows, b, shape) for b in [*engine.own, engine.target_name]}
    engaged = sp.csr_matrix(sum(behaviour_rows.values(), sp.csr_matrix(shape, dtype=np.float32)))
    engaged.data[:] = 1.0
    for label, history in (("knn_raw", engaged), ("knn_raw:target", behaviour_rows[engine.target_name])):
        spread = np.asarray((history @ engine.similarity).toarray(), dtype=np.float32)
        feats[label] = spread[picked, candidates]
    n_own = np.zeros(candidates.shape, dtype=np.float32)
    for name in engine.own:
        n_own += behaviour_rows[name].toarray()[picked, candidates] if shape[0] else 0.0
    feats["own:count"] = n_own
    for name, values in item_statistics(engine).items():
        feats[name] = values[candidates]
    n_engaged = np.asarray(engaged.sum(axis=1), dtype=np.float32).ravel()
    for name, matrix in behaviour_rows.items():
        count = np.asarray(matrix.sum(axis=1), dtype=np.float32).ravel()
        feats[f"user_n:{name}"] = np.broadcast_to(np.log1p(count)[:, None], candidates.shape)
        if name == engine.target_name:
            rate = np.divide(count, n_engaged, out=np.zeros_like(count), where=n_engaged > 0)
            feats["user_buy_rate"] = np.broadcast_to(rate[:, None], candidates.shape)
    cand_first = first[picked, candidates].astype(np.float32)
    peak = np.abs(cand_first).max(axis=1, keepdims=True) if candidates.shape[1] else np.ones((shape[0], 1))
    feats["first"] = cand_first
    feats["first_share"] = np.divide(cand_first, peak, out=np.zeros_like(cand_first), where=peak > 0)
    feats["first_rank"] = np.broadcast_to(np.arange(candidates.shape[1], dtype=np.float32), candidates.shape)
    names_out = list(feats)
    table = np.stack([np.asarray(feats[n], dtype=np.float32) for n in names_out], axis=2)
    return table, names_out


def rerank(
    first: np.ndarray, candidates: np.ndarray, candidate_scores: np.ndarray, lift: np.ndarray | None = None
) -> np.ndarray:
    """Full-ranking scores: candidates ordered by ``candidate_scores`` above every other item, which keep
    their first-stage order (``first``) below them. ``lift`` (``(n, c)`` bool) limits the re-ordering to some
    candidates (the others keep their first-stage score). Returns a new float64 ``(n, n_items)`` array."""
    out = np.array(first, dtype=np.float64, copy=True)
    if candidates.shape[1] == 0:
        return out
    finite = np.where(np.isfinite(out), out, 0.0)
    floor = np.abs(finite).max(axis=1, keepdims=True) + 1.0  # above every first-stage score of the row
    lowest = candidate_scores.min(axis=1, keepdims=True)
    lifted = floor + 1.0 + (candidate_scores - lowest)
    if lift is not None:
        lifted = np.where(lift, lifted, np.take_along_axis(out, candidates, axis=1))
    np.put_along_axis(out, candidates, lifted, axis=1)
    return out


def rerank_rows(engine: MultiBehaviorRecommender, rows: Rows, first: np.ndarray) -> np.ndarray:
    """``first`` (the rows' first-stage scores) with its top candidates re-ordered by the second stage."""
    second = engine.second_stage
    if second is None or first.shape[0] == 0:
        return first
    candidates = select_candidates(engine, rows, first, second.candidates)
    table, names = candidate_features(engine, rows, candidates, first)
    flat = second.score_candidates(table.reshape(-1, table.shape[2]), names)
    bought = _row(rows, engine.target_name, first.shape)  # only when fewer unbought items than candidates
    not_bought = bought.toarray()[np.arange(first.shape[0])[:, None], candidates] == 0
    return rerank(first, candidates, flat.reshape(candidates.shape), not_bought)


def score_rows(engine: MultiBehaviorRecommender, rows: Rows) -> np.ndarray:
    """The engine's final scores of every item for each row: the first stage, re-ranked by the second
    stage when the engine has one. What ``MultiBehaviorRecommender.score`` computes for training users."""
    return rerank_rows(engine, rows, first_stage(engine, rows))


# ---- training (on held-out purchases of an engine fitted without them) ----

#: (max_leaf_nodes, learning_rate, min_samples_leaf) tried on the held-out users; small trees because a
#: validation split holds one positive per case, so deep trees overfit within a few dozen iterations.
CONFIGS = ((7, 0.05, 500), (15, 0.05, 1000))
ITERATIONS = (50, 100, 200, 300)
CANDIDATES = 100
HOLDOUT = 0.25
BATCH = 1024


@dataclass(frozen=True)
class CandidateTable:
    """Second-stage training data: per user, its candidates' features and which are held-out purchases."""

    users: np.ndarray  # (u,) distinct users
    features: np.ndarray  # (u, c, f) float32
    labels: np.ndarray  # (u, c) bool
    names: list[str]
    cases: np.ndarray  # (u,) held-out purchases per user (some may lie outside the candidates)


def build_table(
    engine: MultiBehaviorRecommender, users: np.ndarray, items: np.ndarray, n: int = CANDIDATES
) -> CandidateTable:
    """Candidates and features for the distinct users of the held-out ``(users, items)`` pairs, in batches
    (the same code path as scoring: training rows, first stage, candidates, features)."""
    distinct = np.unique(np.asarray(users))
    positives = sp.csr_matrix(
        (np.ones(len(users), dtype=np.float32), (np.asarray(users), np.asarray(items))),
        shape=engine.target.shape,
    )
    parts, labels = [], []
    names: list[str] = []
    for start in range(0, len(distinct), BATCH):
        batch = distinct[start : start + BATCH]
        rows = training_rows(engine, batch)
        first = engine.first_stage(batch)
        candidates = select_candidates(engine, rows, first, n)
        table, names = candidate_features(engine, rows, candidates, first)
        parts.append(table)
        labels.append(positives[batch].toarray()[np.arange(len(batch))[:, None], candidates] > 0)
    width = len(names)
    return CandidateTable(
        users=distinct,
        features=np.concatenate(parts) if parts else np.zeros((0, n, width), dtype=np.float32),
        labels=np.concatenate(labels) if labels else np.zeros((0, n), dtype=bool),
        names=names,
        cases=np.asarray(positives[distinct].sum(axis=1)).ravel() if len(distinct) else np.zeros(0),
    )


def table_ndcg(scores: np.ndarray, labels: np.ndarray, k: int = 10) -> float:
    """Mean NDCG@k over held-out purchases of candidate scores ``(u, c)``: each positive ranked among its
    user's candidates with pessimistic ties (other candidates only outrank it as in the full ranking, as
    candidates sit above every other item); a purchase outside the candidates counts 0 (caller divides)."""
    total = 0.0
    for row, pos in zip(*np.nonzero(labels), strict=True):
        rank = int((scores[row] >= scores[row, pos]).sum()) - 1
        if rank < k:
            total += 1.0 / np.log2(rank + 2.0)
    return total


def holdout_mask(users: np.ndarray, share: float = HOLDOUT) -> np.ndarray:
    """A fixed ``share`` of users by a multiplicative hash of their index (no randomness to carry)."""
    hashed = (users.astype(np.uint64) * np.uint64(2654435761)) % np.uint64(2**32)
    return np.asarray(hashed.astype(np.float64) / 2**32 < share)


def _model(leaves: int, rate: float, min_leaf: int, seed: int) -> HistGradientBoostingClassifier:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(
        learning_rate=rate,
        max_leaf_nodes=leaves,
        min_samples_leaf=min_leaf,
        l2_regularization=10.0,
        early_stopping=False,
        warm_start=True,
        random_state=seed,
    )


def _flat(table: CandidateTable, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of the users in ``keep`` that have a held-out purchase among their candidates (users without
    one teach only "this shopper buys elsewhere", which does not change any shopper's order)."""
    keep = keep & table.labels.any(axis=1)
    return table.features[keep].reshape(-1, len(table.names)), table.labels[keep].ravel()


def train_second_stage(
    table: CandidateTable, *, seed: int = 0, candidates: int = CANDIDATES
) -> tuple[SecondStage | None, dict[str, float | int | str]]:
    """Choose the tree settings on held-out users (NDCG@10 of their cases), refit on all users, and
    return the stage only if it beat the first stage's order on those held-out users (a purchase outside
    the candidates counts as a miss, as in the full ranking)."""
    hold = holdout_mask(table.users)
    scale = max(float(table.cases[hold].sum()), 1.0)
    first = table.features[hold][:, :, table.names.index("first")]
    baseline = table_ndcg(first, table.labels[hold]) / scale
    stats: dict[str, float | int | str] = {"first_stage_holdout_ndcg": round(float(baseline), 4)}
    x_fit, y_fit = _flat(table, ~hold)
    if y_fit.sum() < 20 or not hold.any():
        stats["second_stage"] = "off (too few held-out purchases)"
        return None, stats
    x_hold = table.features[hold].reshape(-1, len(table.names))
    best: tuple[float, tuple[int, float, int] | None, int] = (baseline, None, 0)
    for setting in CONFIGS:
        model, previous = _model(*setting, seed), -1.0
        for iterations in ITERATIONS:
            model.set_params(max_iter=iterations)
            model.fit(x_fit, y_fit)
            scores = model.decision_function(x_hold).reshape(first.shape)
            ndcg = table_ndcg(scores, table.labels[hold]) / scale
            if ndcg > best[0]:
                best = (ndcg, setting, iterations)
            if ndcg < previous:  # past its best: more trees only overfit
                break
            previous = ndcg
    best_ndcg, config, iterations = best
    if config is None:
        stats["second_stage"] = "off (no setting beat the first stage on held-out users)"
        return None, stats
    final = _model(*config, seed).set_params(max_iter=iterations)
    final.fit(*_flat(table, np.ones(len(table.users), dtype=bool)))
    stats |= {
        "second_stage_holdout_ndcg": round(float(best_ndcg), 4),
        "leaves": config[0],
        "learning_rate": config[1],
        "min_samples_leaf": config[2],
        "iterations": iterations,
    }
    return SecondStage(model=final, feature_names=list(table.names), candidates=candidates), stats
