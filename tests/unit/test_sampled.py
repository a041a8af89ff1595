"""Sampled-ranking helpers: the drawn negatives and the ranks among them, checked by hand."""

import numpy as np
import pytest

from shared.preparation import InteractionMatrix
from shared.sampled import draw_negatives, item_weights, sampled_ranks


@pytest.fixture
def seen() -> InteractionMatrix:
    # user 0 saw items 0, 1; user 1 saw 2; user 2 saw nothing; 10 items
    return InteractionMatrix.from_pairs(np.array([0, 0, 1]), np.array([0, 1, 2]), 3, 10)


def test_negatives_are_distinct_unseen_and_never_the_target(seen):
    users, targets = np.array([0, 1, 2]), np.array([5, 9, 0])
    drawn = draw_negatives(seen, users, targets, 7, item_weights(seen, "uniform"), np.random.default_rng(1))
    assert drawn.shape == (3, 7)
    for row, user, target in zip(drawn, users, targets, strict=True):
        assert len(set(row)) == 7
        assert target not in row
        assert not set(row) & set(seen.row(user))
    # exactly 7 candidates remain for user 0 (10 - 2 seen - 1 target): all of them are drawn
    assert sorted(drawn[0]) == [2, 3, 4, 6, 7, 8, 9]


def test_same_generator_seed_draws_the_same_negatives(seen):
    args = (seen, np.array([0, 1, 2]), np.array([5, 9, 0]), 4, item_weights(seen, "uniform"))
    a = draw_negatives(*args, np.random.default_rng(3))
    b = draw_negatives(*args, np.random.default_rng(3))
    assert np.array_equal(a, b)


def test_popularity_weighting_prefers_popular_items_and_zero_weight_comes_last(seen):
    weights = item_weights(seen, "popularity")
    assert weights.tolist() == [1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
    # user 2 has 3 positive-weight candidates besides its target 9: they are always the first picks
    drawn = draw_negatives(seen, np.array([2]), np.array([9]), 3, weights, np.random.default_rng(0))
    assert sorted(drawn[0]) == [0, 1, 2]


def test_too_few_candidates_is_an_error(seen):
    with pytest.raises(ValueError, match="fewer than 8"):
        draw_negatives(seen, np.array([0]), np.array([5]), 8, item_weights(seen, "uniform"), np.random.default_rng(0))


def test_sampled_ranks_count_negatives_above_the_target_with_index_ties():
    scores = np.array(
        [
            [0.9, 0.1, 0.5, 0.7, 0.3],  # target 2 (0.5): negatives 0 (0.9) above, 1 and 4 below
            [0.5, 0.5, 0.5, 0.0, 0.0],  # target 1 (0.5): tie with 0 (lower index, above), tie with 2 (below)
            [0.0, 0.0, 0.0, 0.0, 1.0],  # target 4 (1.0): everything below
        ]
    )
    targets = np.array([2, 1, 4])
    negatives = np.array([[0, 1, 4], [0, 2, 3], [0, 1, 2]])
    assert sampled_ranks(scores, targets, negatives).tolist() == [2, 2, 1]
