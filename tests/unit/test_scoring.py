import numpy as np
import pytest

from shared.batch.scoring import Scorer
from shared.preparation.interactions import InteractionMatrix
from shared.ranking import mask_seen, top_k
from tests.synthetic import trained


def _scorer(model, data):
    history = InteractionMatrix.from_pairs(data.users, data.items, data.n_users, data.n_items)
    popularity = np.bincount(data.train_matrix(with_valid=True).indices, minlength=data.n_items)
    return Scorer(model, history, popularity), history


def _brute(model, history, users, k, exclude_seen=True):
    scores = model.score(users)
    if exclude_seen:
        scores = mask_seen(scores, history.dense_mask(users))
    return scores, top_k(scores, k)


@pytest.mark.parametrize("k", [1, 10, 50])
@pytest.mark.parametrize("exclude_seen", [True, False])
def test_faiss_top_k_equals_brute_force_for_fm(data, k, exclude_seen):
    model = trained("fm", data)
    scorer, history = _scorer(model, data)
    assert scorer.method == "faiss-flat-ip"
    users = np.arange(data.n_users)
    got = scorer.top_k(users, k, exclude_seen)
    scores, (want_items, want_scores) = _brute(model, history, users, k, exclude_seen)
    np.testing.assert_allclose(got.scores, want_scores, rtol=0, atol=1e-6)
    for row, user in enumerate(users):
        # tie-tolerant: every returned item scores at least the brute-force k-th score
        kth = want_scores[row, -1]
        assert np.all(scores[row, got.items[row]] >= kth - 1e-6)
        assert len(set(got.items[row])) == k
        differ = set(got.items[row]) ^ set(want_items[row])
        assert all(abs(scores[row, i] - kth) <= 1e-6 for i in differ), user
        if exclude_seen:
            assert not np.isin(got.items[row], history.row(user)).any()


def test_fm_index_has_bias_dimension_and_exact_scores(data):
    model = trained("fm", data)
    scorer, _ = _scorer(model, data)
    assert scorer.index is not None and scorer.index.d == model.config.embedding_dim + 1
    got = scorer.top_k(np.array([0, 5]), 5, exclude_seen=False)
    full = model.score(np.array([0, 5]))
    np.testing.assert_allclose(got.scores, np.take_along_axis(full, got.items, axis=1), rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", ["ncf", "pop", "random"])
def test_dense_top_k_is_exactly_ranking_top_k(data, name):
    model = trained(name, data)
    scorer, history = _scorer(model, data)
    users = np.arange(0, data.n_users, 3)
    got = scorer.top_k(users, 10)
    _, (items, scores) = _brute(model, history, users, 10)
    np.testing.assert_array_equal(got.items, items)
    np.testing.assert_array_equal(got.scores, scores)


@pytest.mark.parametrize("name", ["fm", "ncf"])
def test_k_is_clamped_to_candidates_without_padding_ids(data, name):
    model = trained(name, data)
    scorer, history = _scorer(model, data)
    users = np.arange(4)
    got = scorer.top_k(users, data.n_items + 5)
    for row, user in enumerate(users):
        listed = got.items[row][got.items[row] >= 0]
        assert len(listed) == data.n_items - len(history.row(user))
        assert len(set(listed)) == len(listed)
        assert np.all(got.items[row][len(listed):] == -1)


def test_fallback_is_popularity_with_index_tie_break(data):
    scorer, _ = _scorer(trained("pop", data), data)
    got = scorer.fallback(3, 8)
    counts = np.bincount(data.train_matrix(with_valid=True).indices, minlength=data.n_items)
    want = sorted(range(data.n_items), key=lambda i: (-counts[i], i))[:8]
    assert got.items.tolist() == [want] * 3


def test_k_must_be_positive(data):
    scorer, _ = _scorer(trained("pop", data), data)
    with pytest.raises(ValueError):
        scorer.top_k(np.arange(2), 0)
