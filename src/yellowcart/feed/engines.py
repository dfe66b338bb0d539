"""The evaluated engines, served: ``yellowcart train`` fits them on the interaction log, the feed asks them.

What ``yellowcart eval`` measures is what the feed serves: the same :class:`MultiBehaviorRecommender`
("what will this shopper buy", learnt from views, cart taps, likes and purchases) and
:class:`SequentialRecommender` ("what comes next after what they just engaged with"), with their
hyper-parameters chosen the same way, on a validation split of the log made inside the run (each buyer's
latest purchase held out; each shopper's latest engagement held out), never hand-set per deployment.

At request time both score a *live* shopper: their rows from training plus everything they did since
(read from the event log on the request), so a tap changes the next page without retraining. A shopper
the engines have never seen is scored from their live rows alone.

Size limits: the sequential engine's EASE and SLIT components are dense item x item matrices, so they
are fitted only up to ``DENSE_ITEMS`` listings; above that the engine keeps its sparse components
(transitions, popularity) and says so in the version's stats.
"""

from __future__ import annotations

import datetime as dt
import io
import pickle
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import scipy.sparse as sp
from sqlalchemy import select
from sqlalchemy.orm import Session

from yellowcart.db import Database
from yellowcart.feed.evaluate.multibehavior import tune_engine_stages
from yellowcart.feed.evaluate.multibehavior_data import MultiBehaviorFolder, test_split, validation_split
from yellowcart.feed.evaluate.sequential_split import VALID, split_interactions
from yellowcart.feed.evaluate.sequential_tuning import SAMPLE_USERS, EngineTuner
from yellowcart.feed.models import ModelVersion
from yellowcart.feed.recommend.ann import AnnIndex
from yellowcart.feed.recommend.baselines import FactorParams
from yellowcart.feed.recommend.multibehavior import MultiBehaviorParams, MultiBehaviorRecommender
from yellowcart.feed.recommend.sequential import SequentialParams, SequentialRecommender
from yellowcart.feed.sources import BEHAVIOUR, EVENT_PRODUCT, with_event_product
from yellowcart.feed.training import activate
from yellowcart.interactions.models import EventType, InteractionEvent

ENGINES_KIND = "engines"
DENSE_ITEMS = 8_000
MIN_CASES = 30  # fewer held-out cases than this: too little to choose weights on, use the priors
CANDIDATES = 120  # per engine source: enough for a page after rules, small enough to score fast

TARGET = "buy"
#: Used only when the log holds too few purchases to choose weights on (documented as priors).
PRIOR_MULTI = {"own:cart": 1.0, "own:collect": 0.3, "own:view": 0.3, "knn": 1.0, "pop": 0.1}
PRIOR_SEQUENTIAL = {"trans": 1.0, "pop": 0.1}


@dataclass
class LogData:
    """The interaction log as dense indices: who did what to which listing, in time order."""

    users: np.ndarray  # user ids, sorted; row r is users[r]
    items: np.ndarray  # product ids, sorted; column c is items[c]
    rows: np.ndarray
    cols: np.ndarray
    behaviour: np.ndarray  # index into BEHAVIOURS
    order: np.ndarray  # event positions sorted by (user, time)


BEHAVIOURS = ("view", "cart", "collect", "buy")


def read_log(session: Session, until: dt.datetime | None = None) -> LogData:
    """Every positive interaction up to ``until`` (ranker training replays the past with it)."""
    kinds = list(BEHAVIOUR)
    query = with_event_product(
        select(InteractionEvent.user_id, EVENT_PRODUCT, InteractionEvent.type, InteractionEvent.occurred_at)
    ).where(InteractionEvent.type.in_(kinds))
    if until is not None:
        query = query.where(InteractionEvent.occurred_at <= until)
    users, items, kinds_seen, times = [], [], [], []
    code = {kind: BEHAVIOURS.index(name) for kind, name in BEHAVIOUR.items()}
    for user_id, product_id, kind, at in session.execute(query.execution_options(yield_per=50_000)):
        users.append(user_id)
        items.append(product_id)
        kinds_seen.append(code[EventType(kind)])
        times.append(at.timestamp())
    user_arr = np.asarray(users, dtype=np.int64)
    item_arr = np.asarray(items, dtype=np.int64)
    user_ids, rows = np.unique(user_arr, return_inverse=True)
    item_ids, cols = np.unique(item_arr, return_inverse=True)
    order = np.lexsort((np.asarray(times, dtype=np.float64), rows)) if len(rows) else np.zeros(0, np.int64)
    return LogData(user_ids, item_ids, rows.astype(np.int64), cols.astype(np.int64), np.asarray(kinds_seen), order)


def _pairs(log: LogData, name: str) -> np.ndarray:
    mask = log.behaviour == BEHAVIOURS.index(name)
    return np.stack([log.rows[mask], log.cols[mask]], axis=1)


def multibehavior_folder(log: LogData) -> MultiBehaviorFolder:
    """The log in the Taobao layout: purchases are the target, each buyer's latest one is validation."""
    buys = log.order[log.behaviour[log.order] == BEHAVIOURS.index(TARGET)]
    last: dict[int, int] = {}
    for event in buys:  # in (user, time) order: the last one per user wins
        last[int(log.rows[event])] = int(log.cols[event])
    valid = np.array(sorted(last.items()), dtype=np.int64).reshape(-1, 2)
    auxiliary = {name: _pairs(log, name) for name in BEHAVIOURS if name != TARGET}
    return MultiBehaviorFolder(
        len(log.users), len(log.items), _pairs(log, TARGET), valid, np.zeros((0, 2), np.int64), auxiliary
    )


def sequences_of(log: LogData) -> list[np.ndarray]:
    """Each shopper's engaged listings in time order (repeats in a row collapsed), as item index + 1
    (index 0 is the sequential protocol's padding item, never a listing)."""
    out: list[list[int]] = [[] for _ in range(len(log.users))]
    for event in log.order:
        seq = out[int(log.rows[event])]
        item = int(log.cols[event]) + 1
        if not seq or seq[-1] != item:
            seq.append(item)
    return [np.asarray(s, dtype=np.int64) for s in out]


@dataclass
class Engines:
    """Both engines fitted on one log, with the id maps to serve them."""

    items: np.ndarray  # product ids (sorted): item index -> product id
    users: np.ndarray  # user ids (sorted): training row -> user id
    multi: MultiBehaviorRecommender | None
    sequential: SequentialRecommender | None
    sequences: list[np.ndarray] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    ann: AnnIndex | None = None  # the multi-behaviour engine's item factors, for embedding retrieval

    def __getstate__(self) -> dict[str, Any]:
        state = {k: v for k, v in self.__dict__.items() if not k.startswith("_")}
        state["ann"] = self.ann.to_bytes() if self.ann is not None else None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        raw = state.get("ann")
        self.__dict__.update({**state, "ann": AnnIndex.from_bytes(raw) if raw is not None else None})

    def to_bytes(self) -> bytes:
        """Pickled (written by ``yellowcart train`` into our own database, read only from there)."""
        buffer = io.BytesIO()
        pickle.dump(self, buffer, protocol=pickle.HIGHEST_PROTOCOL)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Engines:
        engines = pickle.loads(raw)
        if not isinstance(engines, cls):
            raise TypeError("not an Engines artifact")
        engines._prepare()
        return engines

    def _prepare(self) -> None:
        self._user_row = {int(u): r for r, u in enumerate(self.users)}

    def item_index(self, product_ids: list[int] | np.ndarray) -> np.ndarray:
        """Item index of each product id, -1 where the engines never saw it."""
        wanted = np.asarray(product_ids, dtype=np.int64)
        if not len(self.items) or not len(wanted):
            return np.full(len(wanted), -1, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self.items, wanted), len(self.items) - 1)
        return np.where(self.items[pos] == wanted, pos, -1)

    def live_rows(self, user_id: int | None, live: dict[str, list[int]]) -> dict[str, np.ndarray]:
        """Per behaviour, the item indices of the shopper's row: what training saw, plus ``live``
        product ids (sorted, unique; presence is all the engine uses)."""
        row = self._user_row.get(int(user_id)) if user_id is not None else None
        out = {}
        for name in BEHAVIOURS:
            extra = self.item_index(live.get(name, []))
            out[name] = np.union1d(self._trained_row(name, row), extra[extra >= 0])
        return out

    def _trained_row(self, name: str, row: int | None) -> np.ndarray:
        if row is None or self.multi is None:
            return np.zeros(0, np.int64)
        matrix = self.multi.target if name == TARGET else self.multi.own.get(name)
        if matrix is None or matrix.shape[0] <= row:
            return np.zeros(0, np.int64)
        return np.asarray(matrix.indices[matrix.indptr[row] : matrix.indptr[row + 1]], dtype=np.int64)

    def multi_scores(self, user_id: int | None, rows: dict[str, np.ndarray]) -> np.ndarray:
        """The multi-behaviour engine's score of every item for this live shopper: exactly
        ``MultiBehaviorRecommender.score_rows`` (blend, then the learned second stage), the code
        ``yellowcart eval multibehavior`` measures, with live rows in place of training rows."""
        multi = self.multi
        if multi is None:
            return np.zeros(len(self.items))
        n = len(self.items)
        live = {
            name: sp.csr_matrix((np.ones(len(idx), np.float32), (np.zeros(len(idx), np.int64), idx)), shape=(1, n))
            for name, idx in rows.items()
        }
        return np.asarray(multi.score_rows(live)[0], dtype=np.float64)

    def taste(self, user_id: int | None, rows: dict[str, np.ndarray]) -> np.ndarray | None:
        """The shopper's point in the factor space: their trained factors if known, moved towards the
        items they engaged with since (so a live session counts without refitting)."""
        multi = self.multi
        if multi is None or not multi.item_factors.size:
            return None
        row = self._user_row.get(int(user_id)) if user_id is not None else None
        known = multi.user_factors[row] if row is not None and row < multi.user_factors.shape[0] else None
        engaged = _union(rows)
        live = multi.item_factors[engaged].mean(axis=0) if len(engaged) else None
        if known is None or live is None:
            return None if known is None and live is None else np.asarray(known if live is None else live)
        scale = float(np.linalg.norm(known)) / max(float(np.linalg.norm(live)), 1e-9)
        return np.asarray(known + live * scale)

    def embedding_neighbours(
        self, user_id: int | None, rows: dict[str, np.ndarray], k: int = CANDIDATES
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` items by inner product with the shopper's taste, from the ANN index (item index,
        score scaled to max 1); empty when there is no taste to go by."""
        query = self.taste(user_id, rows)
        if query is None or self.ann is None or not np.any(query):
            return np.zeros(0, np.int64), np.zeros(0)
        ids, scores = self.ann.search(np.asarray(query, dtype=np.float32), k)
        keep = scores > 0
        ids, scores = ids[keep], scores[keep]
        return ids.astype(np.int64), (scores / scores[0] if len(scores) else scores)

    def sequential_scores(self, user_id: int | None, recent: list[int]) -> np.ndarray | None:
        """The sequential engine's score of every item after the shopper's history plus ``recent``
        product ids (oldest first)."""
        if self.sequential is None:
            return None
        row = self._user_row.get(int(user_id)) if user_id is not None else None
        history = list(self.sequences[row]) if row is not None and row < len(self.sequences) else []
        for idx in self.item_index(recent):
            if idx >= 0 and (not history or history[-1] != idx + 1):
                history.append(int(idx) + 1)
        if not history:
            return None
        return np.asarray(self.sequential.score_histories([np.asarray(history, dtype=np.int64)])[0][1:])


def _union(rows: dict[str, np.ndarray]) -> np.ndarray:
    return np.unique(np.concatenate([*rows.values(), np.zeros(0, np.int64)])).astype(np.int64)


def _max_scaled(values: np.ndarray) -> np.ndarray:
    peak = float(np.abs(values).max()) if len(values) else 0.0
    return values / peak if peak > 0 else values


def top_candidates(scores: np.ndarray | None, k: int = CANDIDATES) -> tuple[np.ndarray, np.ndarray]:
    """Item indices of the ``k`` best finite scores, best first, and their scores mapped onto [0.1, 1]
    (the best 1; the order is what the engine says, the scale is only comparable within one request)."""
    if scores is None or not len(scores):
        return np.zeros(0, np.int64), np.zeros(0)
    k = min(k, len(scores))
    idx = np.argpartition(-scores, k - 1)[:k]
    idx = idx[np.isfinite(scores[idx])]
    idx = idx[np.argsort(-scores[idx], kind="stable")]
    if not len(idx):
        return np.zeros(0, np.int64), np.zeros(0)
    top, low = float(scores[idx[0]]), float(scores[idx[-1]])
    if top <= 0 and low <= 0:
        return np.zeros(0, np.int64), np.zeros(0)  # nothing the engine would recommend
    scaled = 0.1 + 0.9 * (scores[idx] - low) / (top - low) if top > low else np.ones(len(idx))
    return idx.astype(np.int64), scaled


def fit_multibehavior(log: LogData, *, seed: int = 0) -> tuple[MultiBehaviorRecommender, dict[str, Any]]:
    """Weights chosen on the held-out latest purchases (``yellowcart eval``'s tuning), then refit on all."""
    folder = multibehavior_folder(log)
    factors = FactorParams(factors=64, regularization=0.01, iterations=15, seed=seed)
    stage = None
    if len(folder.valid) >= MIN_CASES:
        params, stage, chosen = tune_engine_stages(validation_split(folder), factors, seed)
        stats: dict[str, Any] = {"valid_cases": len(folder.valid), "valid_ndcg@10": round(chosen["valid_ndcg"], 4)}
        stats["second_stage"] = stage is not None
    else:
        params = MultiBehaviorParams(seed=seed).with_weights(PRIOR_MULTI)
        stats = {"valid_cases": len(folder.valid), "weights_from": "priors (too few purchases to tune)"}
    if not any(params.weights.values()):
        params = params.with_weights(PRIOR_MULTI)
    model = MultiBehaviorRecommender(params)
    model.fit(test_split(folder).data)
    model.second_stage = stage  # trained on the validation fit, as ``yellowcart eval`` does
    stats["weights"] = {k: v for k, v in params.weights.items() if v}
    return model, stats


def fit_sequential(
    log: LogData, sequences: list[np.ndarray], *, seed: int = 0
) -> tuple[SequentialRecommender, dict[str, Any]]:
    """``yellowcart eval sequential``'s tuner on the log's sequences (latest engagement held out)."""
    n_items = len(log.items) + 1
    dense = n_items <= DENSE_ITEMS
    cases = sum(1 for s in sequences if len(s) >= VALID + 1)
    stats: dict[str, Any] = {"dense_components": dense, "valid_cases": cases}
    if cases >= MIN_CASES:
        valid = split_interactions(sequences, VALID, n_items, {})
        sample = min(SAMPLE_USERS, max(500, 400_000_000 // n_items))  # cached dense scores: ~1.6 GB at most
        tuner = EngineTuner(valid, sequences, seed=seed, dense=dense, sample=sample)
        for _ in tuner.run():
            pass
        params = tuner.best
        stats["valid_ndcg@10"] = round(tuner.validation_ndcg, 4)
    else:
        params = replace(SequentialParams(), weights=dict(PRIOR_SEQUENTIAL))
        stats["weights_from"] = "priors (too few sequences to tune)"
    model = SequentialRecommender(params)
    model.fit(split_interactions(sequences, 0, n_items, {}))
    stats["weights"] = dict(params.weights)
    return model, stats


def fit_engines(session_log: LogData, *, seed: int = 0, step: Callable[[str], None] = lambda _: None) -> Engines:
    """Fit both engines on one log; either is left out when the log cannot support it."""
    started = time.perf_counter()
    log = session_log
    stats: dict[str, Any] = {"users": len(log.users), "items": len(log.items), "events": len(log.rows)}
    multi = sequential = None
    sequences: list[np.ndarray] = []
    if len(log.rows) and (log.behaviour == BEHAVIOURS.index(TARGET)).any():
        step("engines: multi-behaviour (tuning on held-out purchases)")
        multi, stats["multibehavior"] = fit_multibehavior(log, seed=seed)
    if len(log.rows):
        step("engines: sequential (tuning on held-out engagements)")
        sequences = sequences_of(log)
        sequential, stats["sequential"] = fit_sequential(log, sequences, seed=seed)
    ann = None
    if multi is not None and multi.item_factors.size:
        step("engines: ANN index over item factors")
        ann = AnnIndex.build(np.asarray(multi.item_factors, dtype=np.float32), np.arange(len(log.items)), seed=seed)
    stats["seconds"] = round(time.perf_counter() - started, 2)
    engines = Engines(log.items, log.users, multi, sequential, sequences, stats, ann)
    engines._prepare()
    return engines


def train_engines(db: Database, *, seed: int = 0, step: Callable[[str], None] = lambda _: None) -> ModelVersion | None:
    """Fit both engines on the whole log, store them as a new version and activate it."""
    step("engines: reading the interaction log")
    with db.transaction() as session:
        log = read_log(session)
    if not len(log.rows):
        return None
    engines = fit_engines(log, seed=seed, step=step)
    step("engines: storing and activating")
    with db.transaction() as session:
        return activate(session, kind=ENGINES_KIND, artifact=engines.to_bytes(), stats=engines.stats)
