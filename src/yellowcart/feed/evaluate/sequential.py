"""`yellowcart eval sequential FILE`: next-item full-ranking evaluation in the Amazon (S3-Rec) layout.

Protocol, as the data README states it: each line is ``user item item ...`` in time order (1-based ids,
item 0 is padding); the last item is the test target, the second-to-last the validation target. Models are
tuned on validation (trained on all but the last two items), then refitted on all but the last item and
scored on ALL items, masking the user's own earlier items and item 0. Nothing is tuned per file: every
hyper-parameter comes from a small grid searched on the validation split inside the run.
"""

from __future__ import annotations

import json
import pathlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import numpy as np
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from yellowcart.feed.evaluate.metrics import hit_and_ndcg, positive_ranks
from yellowcart.feed.evaluate.sequential_split import (
    TEST,
    VALID,
    cases,
    load_attributes,
    load_sequences,
    masked,
    split_interactions,
)
from yellowcart.feed.evaluate.sequential_tuning import EngineTuner, tune_factor_model
from yellowcart.feed.recommend.base import Interactions, Recommender
from yellowcart.feed.recommend.baselines import FACTOR_MODELS, FactorParams, PopularityRecommender
from yellowcart.feed.recommend.sequential import SequentialRecommender

BATCH = 2048
KS = (10, 20)


def ranks_of(
    score: Callable[[np.ndarray], np.ndarray], data: Interactions, users: np.ndarray, targets: np.ndarray
) -> np.ndarray:
    """Pessimistic 0-based rank of each target among all items, scored in batches to bound memory."""
    assert data.sequences is not None
    out = []
    for start in range(0, len(users), BATCH):
        batch = users[start : start + BATCH]
        scores = masked(np.array(score(batch), dtype=np.float32), [data.sequences[u] for u in batch])
        out.append(positive_ranks(scores, targets[start : start + BATCH]))
    return np.concatenate(out) if out else np.zeros(0, np.int64)


def summarise(ranks: np.ndarray) -> dict[str, float]:
    """HR@k and NDCG@k for k in 10, 20, averaged over all evaluated users."""
    out: dict[str, float] = {}
    for k in KS:
        hit, ndcg = hit_and_ndcg(ranks, k)
        out[f"hr@{k}"] = round(float(hit.mean()), 4) if len(ranks) else 0.0
        out[f"ndcg@{k}"] = round(float(ndcg.mean()), 4) if len(ranks) else 0.0
    return out


def evaluate(model: Recommender, data: Interactions, sequences: list[np.ndarray], cut: int) -> dict[str, float]:
    """Full-ranking metrics of a fitted model on one split."""
    users, targets = cases(sequences, cut)
    return summarise(ranks_of(model.score, data, users, targets))


@contextmanager
def _phase(progress: Progress, task: Any, label: str) -> Iterator[None]:
    progress.update(task, description=label)
    yield
    progress.advance(task)


def _final(model: Recommender, test: Interactions, sequences: list[np.ndarray]) -> tuple[dict[str, float], float]:
    """Fit on all but the last item, then score the test targets; returns metrics and fit seconds."""
    started = time.perf_counter()
    model.fit(test)
    seconds = time.perf_counter() - started
    return evaluate(model, test, sequences, TEST), seconds


def run_sequential(
    path: pathlib.Path, *, attributes: pathlib.Path | None = None, progress: bool = True, seed: int = 0
) -> dict[str, Any]:
    """Tune every model on validation, evaluate on test, print the table and one JSON line; return the dict."""
    sequences = load_sequences(path)
    attrs = load_attributes(attributes)
    n_items = max([int(s.max()) for s in sequences if len(s)] + list(attrs) + [0]) + 1
    valid = split_interactions(sequences, VALID, n_items, attrs)
    test = split_interactions(sequences, TEST, n_items, attrs)
    tuner = EngineTuner(valid, sequences, seed=seed)
    rows: dict[str, dict[str, Any]] = {}
    with Progress(disable=not progress, transient=True) as bar:
        task = bar.add_task("sequential", total=4 + tuner.steps)
        with _phase(bar, task, "pop"):
            metrics, seconds = _final(PopularityRecommender(), test, sequences)
            rows["pop"] = {**metrics, "params": "-", "train_s": seconds}
        for kind in ("als", "bpr"):
            with _phase(bar, task, f"{kind}: grid on validation + test"):
                rows[kind] = _factor_row(kind, valid, test, sequences, seed)
        started = time.perf_counter()
        for label in tuner.run():
            bar.update(task, description=f"engine: {label}")
            bar.advance(task)
        with _phase(bar, task, "engine: test"):
            metrics, seconds = _final(SequentialRecommender(tuner.best), test, sequences)
        rows["engine"] = {**metrics, "params": tuner.describe(), "train_s": time.perf_counter() - started}
    _print_table(rows)
    result = {
        "eval": "sequential",
        "hr@10": rows["engine"]["hr@10"],
        "ndcg@10": rows["engine"]["ndcg@10"],
        "baselines": {k: {"hr@10": rows[k]["hr@10"], "ndcg@10": rows[k]["ndcg@10"]} for k in ("pop", "als", "bpr")},
        "train_s": round(rows["engine"]["train_s"], 1),
    }
    print(json.dumps(result))
    return result


def _factor_row(
    kind: str, valid: Interactions, test: Interactions, sequences: list[np.ndarray], seed: int
) -> dict[str, Any]:
    """Grid-search an `implicit` model on validation, then refit the best on the test view."""
    started = time.perf_counter()
    best: FactorParams = tune_factor_model(
        kind, valid, lambda m: evaluate(m, valid, sequences, VALID)["ndcg@10"], seed=seed
    )
    metrics, _ = _final(FACTOR_MODELS[kind](replace(best, seed=seed)), test, sequences)
    return {**metrics, "params": _short(best, kind), "train_s": time.perf_counter() - started}


def _short(p: FactorParams, kind: str) -> str:
    rate = f"alpha={p.alpha:g}" if kind == "als" else f"lr={p.learning_rate:g}"
    return f"f={p.factors} reg={p.regularization:g} {rate} it={p.iterations}"


def _print_table(rows: dict[str, dict[str, Any]]) -> None:
    table = Table(title="next-item full ranking (test split; tuned on validation)")
    for col in ("model", "HR@10", "NDCG@10", "HR@20", "NDCG@20", "train s", "chosen hyper-parameters"):
        table.add_column(col)
    for name in ("engine", "pop", "als", "bpr"):
        r = rows[name]
        cells = [f"{r[m]:.4f}" for m in ("hr@10", "ndcg@10", "hr@20", "ndcg@20")]
        table.add_row(name, *cells, f"{r['train_s']:.1f}", str(r["params"]))
    Console(width=200).print(table)
