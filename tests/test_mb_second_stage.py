"""The multi-behaviour engine's learned second stage, on synthetic shoppers with a planted signal.

Planted: every shopper views 12 items and carts 4 of them; half the items are "good" (other shoppers
bought them often). The held-out purchase is always a carted *and* good item. A first stage that only
knows "viewed" ties all twelve; the second stage must learn "carted and converts" from its features.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import scipy.sparse as sp

from yellowcart.feed.evaluate.ranking import Cases, evaluate
from yellowcart.feed.recommend import second_stage as stage
from yellowcart.feed.recommend.base import Interactions
from yellowcart.feed.recommend.multibehavior import MultiBehaviorParams, MultiBehaviorRecommender

N_USERS, N_ITEMS, TRAIN_USERS = 700, 80, 500
GOOD = np.arange(N_ITEMS // 2, N_ITEMS)


def _matrix(pairs: list[tuple[int, int]]) -> sp.csr_matrix:
    users, items = zip(*pairs, strict=True) if pairs else ((), ())
    m = sp.csr_matrix((np.ones(len(pairs), np.float32), (users, items)), shape=(N_USERS, N_ITEMS))
    m.sum_duplicates()
    m.data[:] = 1.0
    return m


def planted() -> tuple[Interactions, np.ndarray, np.ndarray]:
    """Training data and one held-out purchase per user (not in the training purchases)."""
    rng = np.random.default_rng(7)
    view, cart, buy, held = [], [], [], []
    for u in range(N_USERS):
        viewed = rng.choice(N_ITEMS, size=12, replace=False)
        carted = viewed[:4]
        good_carted = [i for i in carted if i in GOOD]
        if not good_carted:  # make sure one carted item is good
            carted = np.concatenate([[rng.choice(np.setdiff1d(GOOD, viewed))], carted[1:]])
            viewed = np.concatenate([carted[:1], viewed[1:]])
            good_carted = [int(carted[0])]
        target = int(rng.choice(good_carted))
        view += [(u, int(i)) for i in viewed]
        cart += [(u, int(i)) for i in carted]
        held.append((u, target))
        # earlier purchases: a good item they did not view (makes good items convert overall)
        buy += [(u, int(i)) for i in rng.choice(np.setdiff1d(GOOD, viewed), size=2, replace=False)]
    data = Interactions(N_USERS, N_ITEMS, {"view": _matrix(view), "cart": _matrix(cart), "buy": _matrix(buy)}, "buy")
    pairs = np.asarray(held)
    return data, pairs[:, 0], pairs[:, 1]


@pytest.fixture(scope="module")
def fitted() -> tuple[MultiBehaviorRecommender, np.ndarray, np.ndarray]:
    data, users, items = planted()
    engine = MultiBehaviorRecommender(MultiBehaviorParams(weights={"own:view": 1.0}, factors=8, iterations=3))
    engine.fit(data)
    return engine, users, items


def test_second_stage_learns_the_planted_signal_and_beats_the_first_stage(
    fitted: tuple[MultiBehaviorRecommender, np.ndarray, np.ndarray],
) -> None:
    engine, users, items = fitted
    train, unseen = slice(0, TRAIN_USERS), slice(TRAIN_USERS, N_USERS)
    table = stage.build_table(engine, users[train], items[train])
    assert table.features.shape[:2] == table.labels.shape and table.labels.sum() == TRAIN_USERS
    trained, stats = stage.train_second_stage(table)
    assert trained is not None, stats
    assert stats["second_stage_holdout_ndcg"] > stats["first_stage_holdout_ndcg"]
    cases = Cases(users[unseen], items[unseen], engine.target)
    engine.second_stage = None
    before = evaluate(engine, cases)["ndcg@10"]
    engine.second_stage = trained
    after = evaluate(engine, cases)["ndcg@10"]
    assert after > before + 0.1, (before, after)
    # still a full ranking: every item scored, candidates above every other item
    scores = engine.score(users[unseen][:3])
    assert scores.shape == (3, N_ITEMS) and np.isfinite(scores).all()
    # more candidates (100) than unbought items: bought items are not lifted, they stay at the bottom
    for row, user in zip(scores, users[unseen][:3], strict=True):
        bought = engine.target[user].indices
        assert not set(np.argsort(-row)[: N_ITEMS - len(bought)].tolist()) & set(bought.tolist())


def _live_rows(engine: MultiBehaviorRecommender, user: int) -> dict[str, sp.csr_matrix]:
    """A live shopper's rows as the serving side builds them: 1 x n_items CSR per behaviour from item lists."""
    rows = {}
    for name, matrix in [*engine.own.items(), (engine.target_name, engine.target)]:
        items = matrix[user].indices
        rows[name] = sp.csr_matrix((np.ones(len(items)), (np.zeros(len(items), int), items)), shape=(1, N_ITEMS))
    return rows


def test_live_rows_give_the_same_features_and_scores_as_training_rows(
    fitted: tuple[MultiBehaviorRecommender, np.ndarray, np.ndarray],
) -> None:
    engine, users, items = fitted
    if engine.second_stage is None:
        engine.second_stage, _ = stage.train_second_stage(
            stage.build_table(engine, users[:TRAIN_USERS], items[:TRAIN_USERS])
        )
    batch = np.array([3, 11, 42])
    rows = stage.training_rows(engine, batch)
    first = engine.first_stage(batch)
    candidates = stage.select_candidates(engine, rows, first, 30)
    batch_features, names = stage.candidate_features(engine, rows, candidates, first)
    for position, user in enumerate(batch):
        live = _live_rows(engine, int(user))
        live_first = stage.first_stage(engine, live)
        np.testing.assert_allclose(live_first[0], first[position], rtol=1e-6)
        live_candidates = stage.select_candidates(engine, live, live_first, 30)
        np.testing.assert_array_equal(live_candidates[0], candidates[position])
        live_features, live_names = stage.candidate_features(engine, live, live_candidates)
        assert live_names == names
        np.testing.assert_allclose(live_features[0], batch_features[position], rtol=1e-6)
        np.testing.assert_allclose(engine.score_rows(live)[0], engine.score(np.array([user]))[0], rtol=1e-9)
    # a shopper the engine never saw: only live rows, some behaviours missing
    fresh = {"view": sp.csr_matrix(([1.0, 1.0], ([0, 0], [GOOD[0], 5])), shape=(1, N_ITEMS))}
    assert engine.score_rows(fresh).shape == (1, N_ITEMS)


def test_score_candidates_matches_columns_by_name(
    fitted: tuple[MultiBehaviorRecommender, np.ndarray, np.ndarray],
) -> None:
    engine, users, items = fitted
    trained, _ = stage.train_second_stage(stage.build_table(engine, users[:TRAIN_USERS], items[:TRAIN_USERS]))
    assert trained is not None
    rows = stage.training_rows(engine, np.array([5]))
    candidates = stage.select_candidates(engine, rows, engine.first_stage(np.array([5])), 20)
    features, names = stage.candidate_features(engine, rows, candidates)
    flat = features[0]
    expected = trained.score_candidates(flat, names)
    order = np.random.default_rng(0).permutation(len(names))
    np.testing.assert_allclose(trained.score_candidates(flat[:, order], [names[i] for i in order]), expected)
    with pytest.raises(ValueError, match="needs features"):
        trained.score_candidates(flat[:, 1:], names[1:])


def test_engine_with_second_stage_survives_a_pickle_round_trip(
    fitted: tuple[MultiBehaviorRecommender, np.ndarray, np.ndarray],
) -> None:
    engine, users, items = fitted
    engine.second_stage, _ = stage.train_second_stage(
        stage.build_table(engine, users[:TRAIN_USERS], items[:TRAIN_USERS])
    )
    assert engine.second_stage is not None
    restored = pickle.loads(pickle.dumps(engine))
    batch = np.arange(TRAIN_USERS, TRAIN_USERS + 20)
    np.testing.assert_array_equal(restored.score(batch), engine.score(batch))
    assert restored.second_stage is not None
    assert restored.second_stage.feature_names == engine.second_stage.feature_names


def test_an_engine_pickled_before_the_second_stage_loads_without_one(
    fitted: tuple[MultiBehaviorRecommender, np.ndarray, np.ndarray],
) -> None:
    engine = fitted[0]
    state = {k: v for k, v in engine.__dict__.items() if k not in {"second_stage", "target_name", "_item_statistics"}}
    old = MultiBehaviorRecommender.__new__(MultiBehaviorRecommender)
    old.__setstate__(state)
    assert old.second_stage is None and old.target_name == "buy"
    np.testing.assert_allclose(old.score(np.array([1, 2])), engine.first_stage(np.array([1, 2])))
