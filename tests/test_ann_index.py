"""AnnIndex: recall against exact inner-product search, id mapping, storage, fallback and threads."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from yellowcart.feed.recommend.ann import EXACT_BELOW, AnnIndex

DIM = 32


def catalogue(n: int, seed: int = 3) -> np.ndarray:
    """Clustered vectors with a spread of norms, like ALS item factors."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(64, DIM))
    vectors = centres[rng.integers(0, 64, size=n)] + 0.7 * rng.normal(size=(n, DIM))
    vectors *= rng.lognormal(0.0, 0.5, size=(n, 1))
    return vectors.astype(np.float32)


def queries(m: int, seed: int = 4) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(m, DIM)).astype(np.float32)


def exact(vectors: np.ndarray, ids: np.ndarray, q: np.ndarray, k: int) -> np.ndarray:
    scores = q @ vectors.T
    return ids[np.argsort(-scores, axis=1, kind="stable")[:, :k]]


@pytest.fixture(scope="module")
def big() -> tuple[np.ndarray, np.ndarray, AnnIndex]:
    vectors = catalogue(20_000)
    ids = 10**12 + np.random.default_rng(5).permutation(20_000).astype(np.int64) * 7  # not row numbers
    return vectors, ids, AnnIndex.build(vectors, ids, seed=1)


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth, strict=True)]))


def test_recall_against_exact(big: tuple[np.ndarray, np.ndarray, AnnIndex]) -> None:
    vectors, ids, index = big
    assert not index.exact and len(index) == 20_000
    q = queries(200)
    for k in (10, 200):
        found, _ = index.search(q, k)
        assert found.shape == (200, k)
        assert recall(found, exact(vectors, ids, q, k)) >= 0.95  # measured 0.995 (k=10), 0.971 (k=200)


def test_ids_and_scores_map_back(big: tuple[np.ndarray, np.ndarray, AnnIndex]) -> None:
    vectors, ids, index = big
    row_of = {int(i): r for r, i in enumerate(ids)}
    q = queries(20, seed=9)
    for one in q:
        found, scores = index.search(one, 50)
        assert found.dtype == np.int64 and len(set(found.tolist())) == 50
        rows = np.array([row_of[int(i)] for i in found])  # every id is one of ours
        np.testing.assert_allclose(scores, vectors[rows] @ one, rtol=1e-4, atol=1e-3)
        assert np.all(np.diff(scores) <= 1e-6)  # best first
    # probing every list is exact search: the same ids as numpy, in the same order
    full = AnnIndex.build(vectors, ids, seed=1, nprobe=10**6)
    found, _ = full.search(q, 10)
    np.testing.assert_array_equal(found, exact(vectors, ids, q, 10))


def test_single_query_matches_batch(big: tuple[np.ndarray, np.ndarray, AnnIndex]) -> None:
    _, _, index = big
    q = queries(5, seed=11)
    batch_ids, batch_scores = index.search(q, 30)
    for i, one in enumerate(q):
        ids, scores = index.search(one, 30)
        np.testing.assert_array_equal(ids, batch_ids[i])
        np.testing.assert_allclose(scores, batch_scores[i], rtol=1e-5)


def test_round_trip_through_bytes(big: tuple[np.ndarray, np.ndarray, AnnIndex]) -> None:
    vectors, ids, index = big
    blob = index.to_bytes()
    assert isinstance(blob, bytes)
    loaded = AnnIndex.from_bytes(blob)
    assert len(loaded) == len(index) and not loaded.exact and loaded.nprobe == index.nprobe
    q = queries(50, seed=12)
    a_ids, a_scores = index.search(q, 100)
    b_ids, b_scores = loaded.search(q, 100)
    np.testing.assert_array_equal(a_ids, b_ids)
    np.testing.assert_array_equal(a_scores, b_scores)
    small = AnnIndex.build(vectors[:300], ids[:300])
    again = AnnIndex.from_bytes(small.to_bytes())
    assert again.exact
    np.testing.assert_array_equal(small.search(q, 20)[0], again.search(q, 20)[0])
    with pytest.raises(ValueError):
        AnnIndex.from_bytes(b"not an index")


def test_build_is_deterministic_given_seed() -> None:
    vectors = catalogue(5_000, seed=21)
    ids = np.arange(5_000, dtype=np.int64)
    assert AnnIndex.build(vectors, ids, seed=2).to_bytes() == AnnIndex.build(vectors, ids, seed=2).to_bytes()


def test_small_catalogue_is_exact() -> None:
    n = EXACT_BELOW - 1
    vectors = catalogue(n, seed=13)
    ids = np.arange(n, dtype=np.int64)[::-1] + 100
    index = AnnIndex.build(vectors, ids)
    assert index.exact and len(index) == n
    q = queries(30, seed=14)
    found, scores = index.search(q, 25)
    np.testing.assert_array_equal(found, exact(vectors, ids, q, 25))
    np.testing.assert_allclose(scores, np.sort(q @ vectors.T, axis=1)[:, ::-1][:, :25], rtol=1e-5)


def test_k_larger_than_n() -> None:
    vectors = catalogue(40, seed=15)
    ids = np.arange(1000, 1040, dtype=np.int64)
    index = AnnIndex.build(vectors, ids)
    found, scores = index.search(queries(1)[0], 500)
    assert found.shape == (40,) and scores.shape == (40,)
    assert sorted(found.tolist()) == ids.tolist()
    assert np.all(np.diff(scores) <= 0)
    # an IVF index asked for more than the probed lists hold still returns k distinct real ids
    ivf = AnnIndex.build(catalogue(3_000, seed=16), np.arange(3_000, dtype=np.int64), nprobe=1, exact_below=0)
    assert not ivf.exact
    found, _ = ivf.search(queries(3, seed=17), 2_500)
    assert found.shape == (3, 2_500)
    assert all(len(set(row.tolist())) == 2_500 and row.min() >= 0 for row in found)
    everything, _ = ivf.search(queries(1, seed=18)[0], 10_000)
    assert sorted(everything.tolist()) == list(range(3_000))


def test_concurrent_searches_match_sequential(big: tuple[np.ndarray, np.ndarray, AnnIndex]) -> None:
    _, _, index = big
    q = queries(400, seed=19)
    sequential = [index.search(one, 200) for one in q]
    with ThreadPoolExecutor(max_workers=8) as pool:
        concurrent = list(pool.map(lambda one: index.search(one, 200), q))
    for (a_ids, a_scores), (b_ids, b_scores) in zip(sequential, concurrent, strict=True):
        np.testing.assert_array_equal(a_ids, b_ids)
        np.testing.assert_array_equal(a_scores, b_scores)


def test_rejects_bad_input() -> None:
    vectors = catalogue(100, seed=20)
    with pytest.raises(ValueError):
        AnnIndex.build(vectors, np.arange(99))
    with pytest.raises(ValueError):
        AnnIndex.build(vectors, np.zeros(100, dtype=np.int64))
    index = AnnIndex.build(vectors, np.arange(100))
    with pytest.raises(ValueError):
        index.search(np.zeros(DIM + 1, dtype=np.float32), 5)
    with pytest.raises(ValueError):
        index.search(np.zeros(DIM, dtype=np.float32), 0)
