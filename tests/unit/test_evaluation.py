import numpy as np
import pytest

from shared.evaluation import eval_target, evaluate, expected_random_hr
from shared.models import FMConfig, NCFConfig, PopularityConfig, RandomConfig, build_model


@pytest.mark.parametrize(
    "name,config",
    [
        ("fm", FMConfig(embedding_dim=8, max_epochs=2)),
        ("ncf", NCFConfig(gmf_dim=8, mlp_layers=(16, 8), max_epochs=1)),
        ("pop", PopularityConfig()),
        ("random", RandomConfig()),
    ],
)
def test_metrics_do_not_depend_on_chunk_size(amazon, name, config):
    model = build_model(name, config, amazon.n_users, amazon.n_items)
    model.fit(amazon.train_matrix())
    target = eval_target(amazon, "valid")
    # a subset keeps the test quick; chunking still splits it unevenly
    target = type(target)(target.users[:600], target.targets[:600], target.seen, target.n_items)
    results = [evaluate(model, target, chunk_size=size) for size in (1, 7, len(target.users))]
    for other in results[1:]:
        assert np.array_equal(results[0].ranks, other.ranks)
        assert results[0].metrics == other.metrics


def test_random_hit_rate_matches_ten_over_candidates(amazon):
    """A free check of the evaluator: a random ranking hits with probability min(10, C) / C."""
    target = eval_target(amazon, "test")
    hits = []
    for seed in range(5):
        model = build_model("random", RandomConfig(seed=seed), amazon.n_users, amazon.n_items)
        hits.append(evaluate(model, target).metrics["HR@10"])
    expected = expected_random_hr(target)
    # five independent runs over 4,275 users: the standard error of their mean is
    # sqrt(p(1-p) / (5 n)) ≈ 0.00047 at p ≈ 0.0048; allow five of them.
    se = np.sqrt(expected * (1 - expected) / (5 * len(target.users)))
    assert abs(np.mean(hits) - expected) < 5 * se


def test_test_candidates_exclude_train_and_validation_items(amazon):
    valid, test = eval_target(amazon, "valid"), eval_target(amazon, "test")
    assert (test.candidates() == valid.candidates() - 1).all()
    rows, items = test.seen.gather(test.users)
    assert not np.any(items[rows == 0] == test.targets[0])


def test_popularity_masks_seen_items(amazon):
    model = build_model("pop", PopularityConfig(), amazon.n_users, amazon.n_items)
    model.fit(amazon.train_matrix())
    from shared.evaluation import score_chunk

    target = eval_target(amazon, "valid")
    result = score_chunk(model, target.users[:200], target.targets[:200], target.seen, 20)
    rows, seen_items = target.seen.gather(target.users[:200])
    listed = result.top_items[rows]
    assert not (listed == seen_items[:, None]).any()
