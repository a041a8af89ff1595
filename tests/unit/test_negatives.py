import numpy as np
import pytest

from shared.errors import DatasetError
from shared.preparation import InteractionMatrix, NegativeSampler


@pytest.fixture
def matrix() -> InteractionMatrix:
    rng = np.random.default_rng(3)
    users = rng.integers(0, 200, 3000)
    items = rng.integers(0, 60, 3000)
    keys = np.unique(users * 60 + items)
    return InteractionMatrix.from_pairs(keys // 60, keys % 60, 200, 60)


@pytest.mark.parametrize("weighting", ["uniform", "popularity"])
def test_never_a_positive_right_counts_reproducible(matrix, weighting):
    sampler = NegativeSampler(matrix, weighting)
    users, _ = matrix.pairs()
    a = sampler.sample(users, 5, np.random.default_rng(7))
    b = sampler.sample(users, 5, np.random.default_rng(7))
    assert a.shape == (len(users), 5)
    assert (a == b).all()
    assert not matrix.contains(np.repeat(users, 5), a.reshape(-1)).any()
    assert ((a >= 0) & (a < matrix.n_items)).all()


def test_a_user_holding_almost_every_item_still_gets_valid_negatives():
    users = np.concatenate([np.zeros(9, dtype=np.int64), [1]])
    items = np.concatenate([np.arange(9), [0]])
    m = InteractionMatrix.from_pairs(users, items, 2, 10)
    for weighting in ("uniform", "popularity"):
        out = NegativeSampler(m, weighting).sample(
            np.zeros(50, dtype=np.int64), 3, np.random.default_rng(0)
        )  # type: ignore[arg-type]
        assert (out == 9).all()


def test_uniform_sampler_is_uniform_over_the_complement(matrix):
    sampler = NegativeSampler(matrix)
    user = 0
    draws = sampler.sample(np.full(20000, user), 1, np.random.default_rng(1)).ravel()
    allowed = np.setdiff1d(np.arange(matrix.n_items), matrix.row(user))
    freq = np.bincount(draws, minlength=matrix.n_items)[allowed] / len(draws)
    assert np.abs(freq - 1 / len(allowed)).max() < 0.01


def test_user_with_every_item_is_refused():
    m = InteractionMatrix.from_pairs(np.zeros(3, dtype=np.int64), np.arange(3), 1, 3)
    with pytest.raises(DatasetError, match="every item"):
        NegativeSampler(m)
