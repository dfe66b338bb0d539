"""HR@k / NDCG@k with one positive per case: hand-computed examples and properties."""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from yellowcart.feed.evaluate.metrics import hr_ndcg_at_k, positive_ranks


def test_hand_computed_ranks_and_metrics() -> None:
    # given two cases: the positive ranked first, then third
    scores = np.array([[0.9, 0.1, 0.5, 0.2], [0.9, 0.1, 0.5, 0.2]])
    positives = np.array([0, 3])
    # when / then
    assert positive_ranks(scores, positives).tolist() == [0, 2]
    hr, ndcg = hr_ndcg_at_k(scores, positives, k=2)
    assert hr == 0.5
    assert math.isclose(ndcg, 0.5)
    hr3, ndcg3 = hr_ndcg_at_k(scores, positives, k=3)
    assert hr3 == 1.0
    assert math.isclose(ndcg3, (1.0 + 1.0 / math.log2(4)) / 2)


def test_ties_are_pessimistic() -> None:
    # a constant scorer gets no credit: the positive ranks behind every tied item
    scores = np.zeros((1, 5))
    assert positive_ranks(scores, np.array([0])).tolist() == [4]
    assert hr_ndcg_at_k(scores, np.array([0]), k=4) == (0.0, 0.0)
    assert hr_ndcg_at_k(scores, np.array([0]), k=5)[0] == 1.0


def test_masking_lifts_the_positive_and_masked_positive_never_hits() -> None:
    scores = np.array([[0.9, 0.8, 0.1]])
    seen = sp.csr_matrix(np.array([[1.0, 1.0, 0.0]]))
    assert hr_ndcg_at_k(scores, np.array([2]), k=1, seen=seen) == (1.0, 1.0)
    assert hr_ndcg_at_k(scores, np.array([0]), k=3, seen=seen) == (0.0, 0.0)
    assert scores[0, 0] == 0.9  # the caller's array is not modified


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float64, (6, 8), elements=st.floats(-5, 5)),
    st.lists(st.integers(0, 7), min_size=6, max_size=6),
    st.integers(1, 8),
)
def test_properties(scores: np.ndarray, positives: list[int], k: int) -> None:
    pos = np.array(positives)
    hr, ndcg = hr_ndcg_at_k(scores, pos, k=k)
    assert 0.0 <= ndcg <= hr <= 1.0
    perfect = np.zeros_like(scores)
    perfect[np.arange(6), pos] = 1.0
    assert hr_ndcg_at_k(perfect, pos, k=k) == (1.0, 1.0)
