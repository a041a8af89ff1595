import math

import numpy as np
import pytest

from shared.ranking import heldout_ranks, mask_seen, metrics_from_ranks, top_k


def test_rank_counts_higher_scores_and_lower_index_ties():
    scores = np.array([[0.1, 0.9, 0.5, 0.5, 0.2]], dtype=np.float32)
    assert heldout_ranks(scores, np.array([1])).tolist() == [1]  # the best item
    assert heldout_ranks(scores, np.array([2])).tolist() == [2]  # tie with item 3, lower index wins
    assert heldout_ranks(scores, np.array([3])).tolist() == [3]  # tie with item 2 ranks below it
    assert heldout_ranks(scores, np.array([0])).tolist() == [5]


def test_seen_items_never_outrank_the_target():
    scores = np.array([[5.0, 1.0, 0.0]], dtype=np.float32)
    masked = mask_seen(scores, np.array([[True, False, False]]))
    assert heldout_ranks(masked, np.array([1])).tolist() == [1]


def test_metrics_by_hand():
    ranks = np.array([1, 3, 25])  # hit at 1, hit at 3 (k>=5), miss everywhere
    top = np.array([[0, 1, 2, 3, 4], [0, 1, 2, 3, 5], [0, 6, 7, 8, 9]])
    m = metrics_from_ranks(ranks, top, n_items=20, ks=(1, 5))
    assert m["HR@1"] == pytest.approx(1 / 3)
    assert m["HR@5"] == pytest.approx(2 / 3)
    assert m["NDCG@5"] == pytest.approx((1.0 + 1 / math.log2(4)) / 3)
    assert m["MRR@5"] == pytest.approx((1 + 1 / 3) / 3)
    assert m["MRR"] == pytest.approx((1 + 1 / 3 + 1 / 25) / 3)
    assert m["Coverage@1"] == pytest.approx(1 / 20)  # item 0 only
    assert m["Coverage@5"] == pytest.approx(10 / 20)  # items 0..9


def test_top_k_breaks_ties_by_index_and_orders_best_first():
    scores = np.array([[1.0, 3.0, 3.0, 2.0, 3.0], [0.0, 0.0, 0.0, 0.0, 1.0]], dtype=np.float32)
    items, values = top_k(scores, 3)
    assert items.tolist() == [[1, 2, 4], [4, 0, 1]]
    assert values.tolist() == [[3.0, 3.0, 3.0], [1.0, 0.0, 0.0]]


def test_top_k_marks_missing_candidates():
    scores = mask_seen(
        np.arange(4, dtype=np.float32)[None, :], np.array([[False, True, True, True]])
    )
    items, _ = top_k(scores, 3)
    assert items.tolist() == [[0, -1, -1]]


def test_top_k_matches_a_full_stable_sort():
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 5, size=(50, 40)).astype(np.float32)  # many ties
    items, _ = top_k(scores, 7)
    expected = np.argsort(-scores, axis=1, kind="stable")[:, :7]
    assert (items == expected).all()


def test_top_k_rejects_non_positive_k():
    with pytest.raises(ValueError):
        top_k(np.zeros((1, 3), dtype=np.float32), 0)
