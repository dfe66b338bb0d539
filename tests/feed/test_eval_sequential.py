"""`yellowcart eval sequential`: the S3-Rec split and masking, and an engine that learns "a then b"."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

from yellowcart.feed.evaluate.sequential import run_sequential
from yellowcart.feed.evaluate.sequential_split import (
    TEST,
    VALID,
    cases,
    load_sequences,
    masked,
    split_interactions,
)
from yellowcart.feed.recommend.sequential import SequentialParams, SequentialRecommender

PAIRS = [(4, 5), (6, 7), (8, 9), (10, 11)]  # item a is always followed by item b


def _write_planted(path: pathlib.Path, n_users: int = 80, seed: int = 0) -> pathlib.Path:
    """Amazon layout: popular filler items, an earlier planted pair, and a final planted pair."""
    rng = np.random.default_rng(seed)
    lines = []
    for user in range(1, n_users + 1):
        first, last = rng.choice(len(PAIRS), size=2, replace=False)
        filler = rng.choice(np.arange(12, 24), size=3, replace=False, p=_popular(12))
        seq = [int(filler[0]), *PAIRS[first], int(filler[1]), int(filler[2]), *PAIRS[last]]
        lines.append(" ".join(map(str, [user, *seq])))
    lines.append(f"{n_users + 1} 12")  # a one-item user has no target: it must not break the run
    path.write_text("\n".join(lines) + "\n")
    return path


def _popular(n: int) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1)
    return np.asarray(weights / weights.sum())


@pytest.fixture
def planted(tmp_path: pathlib.Path) -> pathlib.Path:
    return _write_planted(tmp_path / "Planted.txt")


def test_seq_engine_beats_popularity_on_planted_pattern(planted: pathlib.Path) -> None:
    result = run_sequential(planted, progress=False)
    assert result["ndcg@10"] > result["baselines"]["pop"]["ndcg@10"]
    assert result["hr@10"] >= 0.9  # b always follows a, and the final a is in every training prefix


def test_seq_result_shape_and_json_line(planted: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_sequential(planted, progress=False)
    assert set(result) == {"eval", "hr@10", "ndcg@10", "baselines", "train_s"}
    assert result["eval"] == "sequential"
    assert set(result["baselines"]) == {"pop", "als", "bpr"}
    for metrics in result["baselines"].values():
        assert set(metrics) == {"hr@10", "ndcg@10"}
        assert 0.0 <= metrics["ndcg@10"] <= metrics["hr@10"] <= 1.0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == result


def test_seq_attributes_file_is_optional(planted: pathlib.Path, tmp_path: pathlib.Path) -> None:
    attributes = tmp_path / "attrs.json"
    attributes.write_text(json.dumps({str(i): [i % 3, 10 + i % 2] for i in range(1, 24)}))
    with_attrs = run_sequential(planted, attributes=attributes, progress=False)
    assert with_attrs["ndcg@10"] > with_attrs["baselines"]["pop"]["ndcg@10"]


def test_seq_split_holds_out_last_two_for_validation_and_last_one_for_test(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "tiny.txt"
    path.write_text("1 3 5 7 9\n2 2\n")
    sequences = load_sequences(path)
    valid = split_interactions(sequences, VALID, 10, {})
    test = split_interactions(sequences, TEST, 10, {})
    assert valid.sequences is not None and test.sequences is not None
    assert valid.sequences[0].tolist() == [3, 5] and test.sequences[0].tolist() == [3, 5, 7]
    assert valid.matrix("interact")[0].indices.tolist() == [3, 5]
    users, targets = cases(sequences, VALID)
    assert users.tolist() == [0] and targets.tolist() == [7]
    users, targets = cases(sequences, TEST)
    assert users.tolist() == [0, 1] and targets.tolist() == [9, 2]


def test_seq_masking_excludes_history_and_padding_item() -> None:
    scores = masked(np.ones((2, 6), dtype=np.float32), [np.array([1, 3]), np.array([], dtype=np.int64)])
    assert np.isneginf(scores[:, 0]).all()
    assert np.isneginf(scores[0, [1, 3]]).all() and np.isfinite(scores[0, [2, 4, 5]]).all()
    assert np.isfinite(scores[1, 1:]).all()


def test_seq_engine_recommends_the_planted_successor(planted: pathlib.Path) -> None:
    sequences = load_sequences(planted)
    model = SequentialRecommender(SequentialParams(weights={"trans": 1.0, "slit": 1.0, "ease": 0.5}))
    model.fit(split_interactions(sequences, TEST, 24, {}))
    items, _ = model.similar_items(4, 1)
    assert items.tolist() == [5]
    live = model.score_histories([np.array([12, 8])])[0]
    assert int(np.argmax(live)) == 9  # the real-time path: a fresh history changes the answer
