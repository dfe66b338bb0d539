"""The multi-behaviour evaluation on a tiny synthetic folder in the Taobao layout."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from yellowcart.feed.evaluate import multibehavior_data as mbd
from yellowcart.feed.evaluate.multibehavior import run_multibehavior
from yellowcart.feed.recommend.base import Interactions
from yellowcart.feed.recommend.baselines import ALSRecommender, BPRRecommender, PopularityRecommender
from yellowcart.feed.recommend.multibehavior import MultiBehaviorParams, MultiBehaviorRecommender

N_USERS, N_ITEMS = 40, 50


def _write(path: Path, name: str, pairs: list[tuple[int, int]]) -> None:
    path.joinpath(f"{name}.txt").write_text("".join(f"{u} {i}\n" for u, i in pairs))


def make_folder(path: Path) -> Path:
    """Everyone buys the popular items 0 and 1; each shopper's held-out purchases are items they viewed
    (and often carted or collected) but had not bought: popularity cannot find them, own behaviour can."""
    rng = np.random.default_rng(1)
    files: dict[str, list[tuple[int, int]]] = {n: [] for n in ("buy", "valid", "test", "view", "cart", "collect")}
    for u in range(N_USERS):
        valid, test = 10 + (3 * u) % 40, 10 + (3 * u + 1) % 40
        noise = [int(i) for i in rng.choice(np.arange(2, 10), size=2, replace=False)]
        files["buy"] += [(u, 0), (u, 1), (u, valid)]
        files["valid"].append((u, valid))
        files["test"].append((u, test))
        files["view"] += [(u, valid), (u, test)] + [(u, i) for i in noise]
        files["cart" if u % 2 else "collect"].append((u, test))
    # user 0 has two more held-out lines each (each its own case)
    files["buy"] += [(0, 45), (0, 46)]
    files["valid"] += [(0, 45), (0, 46)]
    files["test"] += [(0, 47), (0, 48)]
    files["view"] += [(0, 45), (0, 46), (0, 47), (0, 48)]
    for name, pairs in files.items():
        _write(path, name, pairs)
    path.joinpath("statistics.json").write_text(json.dumps({"n_users": N_USERS, "n_items": N_ITEMS + 5}))
    return path


def test_loader_discovers_behaviours_and_sizes(tmp_path: Path) -> None:
    folder = mbd.load_folder(make_folder(tmp_path))
    assert sorted(folder.auxiliary) == ["cart", "collect", "view"]
    assert (folder.n_users, folder.n_items) == (N_USERS, N_ITEMS + 5)  # statistics.json wins when larger
    assert len(folder.valid) == N_USERS + 2 and len(folder.test) == N_USERS + 2


def test_validation_removes_valid_pairs_and_test_keeps_all_purchases(tmp_path: Path) -> None:
    folder = mbd.load_folder(make_folder(tmp_path))
    valid, test = mbd.validation_split(folder), mbd.test_split(folder)
    buy_valid = valid.data.behaviours["buy"]
    assert all(buy_valid[u, i] == 0 and valid.seen[u, i] == 0 for u, i in folder.valid)
    assert buy_valid.nnz == len(folder.buy) - len(folder.valid)
    assert test.seen.nnz == len(folder.buy)
    assert all(test.seen[u, i] == 1 for u, i in folder.valid)
    assert valid.data.target == "buy" and set(valid.data.behaviours) == {"buy", "view", "cart", "collect"}


@pytest.mark.parametrize("model", [PopularityRecommender(), ALSRecommender(), BPRRecommender()])
def test_baselines_follow_the_protocol(tmp_path: Path, model: object) -> None:
    split = mbd.test_split(mbd.load_folder(make_folder(tmp_path)))
    _check_protocol(model, split.data)


def test_engine_follows_the_protocol(tmp_path: Path) -> None:
    split = mbd.test_split(mbd.load_folder(make_folder(tmp_path)))
    engine = MultiBehaviorRecommender(MultiBehaviorParams(weights={"own:view": 1.0, "knn": 0.1}, factors=8))
    _check_protocol(engine, split.data)
    items, _ = engine.recommend(3, 3, exclude=np.array([0, 1]))
    assert 10 + (3 * 3 + 1) % 40 in items.tolist()  # the viewed-and-carted, not yet bought item


def _check_protocol(model: object, data: Interactions) -> None:
    model.fit(data)  # type: ignore[attr-defined]
    scores = model.score(np.array([0, 1]))  # type: ignore[attr-defined]
    assert scores.shape == (2, data.n_items)
    items, values = model.recommend(0, 5, exclude=np.array([0, 1]))  # type: ignore[attr-defined]
    assert len(items) == 5 and not {0, 1} & set(items.tolist())
    assert np.all(np.diff(values) <= 0)
    similar, _ = model.similar_items(2, 3)  # type: ignore[attr-defined]
    assert 2 not in similar.tolist()


def test_run_returns_the_json_shape_and_engine_beats_popularity(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_multibehavior(make_folder(tmp_path), progress=False)
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(last) == result
    assert result["eval"] == "multibehavior"
    assert set(result["baselines"]) == {"pop", "als", "bpr"}
    for figures in [result, *result["baselines"].values()]:
        assert 0.0 <= figures["ndcg@10"] <= figures["hr@10"] <= 1.0
    assert result["hr@10"] > result["baselines"]["pop"]["hr@10"]
    assert result["ndcg@10"] > result["baselines"]["pop"]["ndcg@10"]
    assert result["hr@10"] >= 0.9
    assert result["train_s"] >= 0.0
