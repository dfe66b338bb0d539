"""``yellowcart eval multibehavior DIR``: our engine against popularity, ALS and BPR on the Taobao protocol.

Protocol (the data README): target = buy; score every item for each case, mask the user's training
purchases, report HR@10 / NDCG@10 averaged over test lines. Every choice (baseline grids, the engine's
blend weights) is made on valid.txt with its pairs removed from the training purchases; test.txt is scored
once per model, after training on all of buy.txt. Nothing here is tuned to one dataset.

The engine is tuned in two steps on the same validation fit: the first stage's blend weights
(coordinate search), then the second stage (gradient-boosted re-ranking of the blend's top candidates,
tree settings chosen on a fixed 25% of the validation users). Both are carried to the test run, where the
components are refit on all of buy.txt, as a served engine is refit on the whole log.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from itertools import product
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from yellowcart.feed.evaluate.blend import candidate_table, coordinate_search
from yellowcart.feed.evaluate.multibehavior_data import Split, load_folder, test_split, validation_split
from yellowcart.feed.evaluate.ranking import Cases, evaluate
from yellowcart.feed.recommend.base import Recommender
from yellowcart.feed.recommend.baselines import (
    ALSRecommender,
    BPRRecommender,
    FactorParams,
    PopularityRecommender,
)
from yellowcart.feed.recommend.multibehavior import MultiBehaviorParams, MultiBehaviorRecommender
from yellowcart.feed.recommend.second_stage import SecondStage, build_table, train_second_stage

K = 10
# Same budget for both factor baselines: 3 sizes x 2 regularisations x 2 training lengths = 12 fits each.
FACTORS = (32, 64, 128)
ALS_GRID = {"regularization": (0.01, 0.1), "iterations": (15, 40)}
BPR_GRID = {"regularization": (0.001, 0.01), "iterations": (100, 300)}


@dataclass
class ModelResult:
    """One row of the side-by-side table."""

    name: str
    metrics: dict[str, float]
    params: dict[str, Any] = field(default_factory=dict)
    train_s: float = 0.0


def cases_of(split: Split) -> Cases:
    return Cases(split.users, split.items, split.seen)


def _fit(model: Recommender, split: Split) -> float:
    start = time.perf_counter()
    model.fit(split.data)
    return time.perf_counter() - start


@contextmanager
def _phases(progress: bool, total: int) -> Iterator[Callable[[str], None]]:
    """A rich progress bar over the run's phases; ``step(description)`` advances it."""
    with Progress(disable=not progress, transient=True) as bar:
        task = bar.add_task("multibehavior", total=total)

        def step(description: str) -> None:
            bar.update(task, advance=1, description=description)

        yield step


def factor_grid(grid: Mapping[str, tuple[float, ...]], seed: int) -> list[FactorParams]:
    """Every combination of factors x the model's regularisation and iteration choices."""
    combos = product(FACTORS, grid["regularization"], grid["iterations"])
    return [FactorParams(factors=f, regularization=r, iterations=int(i), seed=seed) for f, r, i in combos]


def tune_factor_model(
    make: Callable[[FactorParams], Recommender], grid: list[FactorParams], valid: Split
) -> FactorParams:
    """The grid point with the best validation NDCG@10."""
    scored = []
    for params in grid:
        model = make(params)
        model.fit(valid.data)
        scored.append((evaluate(model, cases_of(valid), K)[f"ndcg@{K}"], params))
    return max(scored, key=lambda pair: pair[0])[1]


def final_result(name: str, model: Recommender, test: Split, params: dict[str, Any]) -> ModelResult:
    """Train on all of buy.txt and score the test lines once."""
    seconds = _fit(model, test)
    return ModelResult(name, evaluate(model, cases_of(test), K), params, seconds)


def tune_engine(valid: Split, als: FactorParams, seed: int) -> tuple[MultiBehaviorParams, float]:
    """Fit the engine once on validation training data, then search blend weights on its candidates."""
    params, _, stats = tune_engine_stages(valid, als, seed, second_stage=False)
    return params, float(stats["valid_ndcg"])


def tune_engine_stages(
    valid: Split, als: FactorParams, seed: int, *, second_stage: bool = True
) -> tuple[MultiBehaviorParams, SecondStage | None, dict[str, Any]]:
    """Blend weights, then (optionally) the second stage, both on one engine fitted on validation data.

    Returns the parameters, the trained second stage (None when it did not beat the blend on held-out
    validation users) and what was chosen. Attach the stage to an engine refit on all data:
    ``engine.second_stage = stage`` (``fit`` keeps it)."""
    base = MultiBehaviorParams(
        factors=als.factors, regularization=als.regularization, iterations=als.iterations, seed=seed
    )
    engine = MultiBehaviorRecommender(base)
    engine.fit(valid.data)
    weights, valid_ndcg = coordinate_search(candidate_table(engine, cases_of(valid)), k=K)
    params = base.with_weights(weights)
    stats: dict[str, Any] = {"valid_ndcg": valid_ndcg}
    if not second_stage or not any(weights.values()):
        return params, None, stats
    engine.params = params
    table = build_table(engine, valid.users, valid.items)
    stage, stage_stats = train_second_stage(table, seed=seed)
    return params, stage, stats | stage_stats


def _factor_params(params: FactorParams) -> dict[str, Any]:
    return {"factors": params.factors, "reg": params.regularization, "iters": params.iterations}


def run_models(valid: Split, test: Split, seed: int, step: Callable[[str], None]) -> list[ModelResult]:
    """Tune every model on validation, then train it on all purchases and score the test lines."""
    results = [final_result("pop", PopularityRecommender(), test, {})]
    step("tuning ALS on valid")
    als = tune_factor_model(ALSRecommender, factor_grid(ALS_GRID, seed), valid)
    results.append(final_result("als", ALSRecommender(als), test, _factor_params(als)))
    step("tuning BPR on valid")
    bpr = tune_factor_model(BPRRecommender, factor_grid(BPR_GRID, seed), valid)
    results.append(final_result("bpr", BPRRecommender(bpr), test, _factor_params(bpr)))
    step("tuning engine blend and second stage on valid")
    start = time.perf_counter()
    engine_params, stage, stats = tune_engine_stages(valid, als, seed)
    tuning_s = time.perf_counter() - start
    step("engine on test")
    shown = {k: round(v, 3) for k, v in engine_params.weights.items() if v}
    shown |= {k: round(v, 4) if isinstance(v, float) else v for k, v in stats.items()}
    model = MultiBehaviorRecommender(engine_params)
    model.second_stage = stage
    engine = final_result("engine", model, test, shown)
    return [replace(engine, train_s=engine.train_s + tuning_s), *results]


def print_table(results: list[ModelResult], total_s: float, console: Console) -> None:
    """Side-by-side HR@10 / NDCG@10 with the chosen hyper-parameters and training seconds."""
    table = Table(title=f"multibehavior (full ranking, K={K}); total {total_s:.1f} s")
    for column in ("model", f"HR@{K}", f"NDCG@{K}", "train s", "chosen on valid"):
        table.add_column(column)
    for r in results:
        params = ", ".join(f"{k}={v}" for k, v in r.params.items())
        row = (r.name, f"{r.metrics[f'hr@{K}']:.4f}", f"{r.metrics[f'ndcg@{K}']:.4f}", f"{r.train_s:.1f}")
        table.add_row(*row, params)
    console.print(table)


def summary(results: list[ModelResult]) -> dict[str, Any]:
    """The one JSON line: engine figures, baselines, and the engine's tuning + training seconds."""
    engine, *baselines = results
    return {
        "eval": "multibehavior",
        f"hr@{K}": round(engine.metrics[f"hr@{K}"], 4),
        f"ndcg@{K}": round(engine.metrics[f"ndcg@{K}"], 4),
        "baselines": {
            r.name: {f"hr@{K}": round(r.metrics[f"hr@{K}"], 4), f"ndcg@{K}": round(r.metrics[f"ndcg@{K}"], 4)}
            for r in baselines
        },
        "train_s": round(engine.train_s, 1),
    }


def run_multibehavior(path: Path, *, progress: bool = True, seed: int = 0) -> dict[str, Any]:
    """Run the whole protocol on a Taobao-layout folder, print the table and the JSON line, return it."""
    start = time.perf_counter()
    console = Console()
    with _phases(progress, total=5) as step:
        step("loading")
        folder = load_folder(Path(path))
        results = run_models(validation_split(folder), test_split(folder), seed, step)
    print_table(results, time.perf_counter() - start, console)
    result = summary(results)
    print(json.dumps(result))
    return result
