import itertools

import numpy as np
import pandas as pd
import pytest

from shared.errors import DatasetError
from shared.preparation import clean, drop_duplicates, k_core


def test_duplicates_keep_the_latest_and_original_order():
    frame = pd.DataFrame(
        {
            "user": ["a", "a", "b", "a"],
            "item": ["x", "y", "x", "x"],
            "rating": [1.0, 2.0, 3.0, 4.0],
            "timestamp": np.array([5, 1, 2, 7], dtype=np.int64),
        }
    )
    out = drop_duplicates(frame)
    assert list(zip(out.user, out.item, out.rating, strict=True)) == [
        ("a", "y", 2.0),
        ("b", "x", 3.0),
        ("a", "x", 4.0),
    ]
    assert out["row"].tolist() == [1, 2, 3]


def test_duplicate_with_equal_timestamps_keeps_the_later_row():
    frame = pd.DataFrame(
        {"user": ["a", "a"], "item": ["x", "x"], "rating": [1.0, 2.0], "timestamp": [3, 3]}
    )
    assert drop_duplicates(frame)["rating"].tolist() == [2.0]


def _brute_force_core(
    edges: set[tuple[int, int]], min_user: int, min_item: int
) -> set[tuple[int, int]]:
    """The largest edge set induced by some (users, items) subsets meeting both thresholds."""
    users = sorted({u for u, _ in edges})
    items = sorted({i for _, i in edges})
    best: set[tuple[int, int]] = set()
    for nu in range(len(users) + 1):
        for us in itertools.combinations(users, nu):
            for ni in range(len(items) + 1):
                for its in itertools.combinations(items, ni):
                    sub = {(u, i) for u, i in edges if u in us and i in its}
                    ok = all(sum(1 for e in sub if e[0] == u) >= min_user for u in us) and all(
                        sum(1 for e in sub if e[1] == i) >= min_item for i in its
                    )
                    if ok and len(sub) > len(best):
                        best = sub
    return best


@pytest.mark.parametrize("seed", range(6))
def test_k_core_is_the_largest_subset_meeting_both_thresholds(seed):
    rng = np.random.default_rng(seed)
    edges = {
        (int(u), int(i))
        for u, i in zip(rng.integers(0, 5, 14), rng.integers(0, 5, 14), strict=True)
    }
    frame = pd.DataFrame(
        {
            "user": [u for u, _ in edges],
            "item": [i for _, i in edges],
            "timestamp": np.arange(len(edges)),
        }
    )
    core = k_core(frame, 2, 2)
    got = set(zip(core.user, core.item, strict=True))
    assert core.user.value_counts().min() >= 2 if len(core) else True
    assert core.item.value_counts().min() >= 2 if len(core) else True
    assert got == _brute_force_core(edges, 2, 2)


def test_k_core_on_the_study_table_is_a_fixpoint(amazon):
    assert np.bincount(amazon.users).min() >= 8
    assert np.bincount(amazon.items).min() >= 8
    assert amazon.stats["interactions"] == 52_022
    assert (amazon.stats["users"], amazon.stats["items"]) == (4_275, 2_080)


def test_nothing_left_after_k_core_is_a_clear_error():
    frame = pd.DataFrame(
        {"user": ["a", "b"], "item": ["x", "y"], "rating": [1.0, 1.0], "timestamp": [1, 2]}
    )
    with pytest.raises(DatasetError, match="nothing left"):
        clean(frame, 3, 3, "tiny")
