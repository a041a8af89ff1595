"""The contract every model meets: learn structured data, batch = one-user scoring, save → load."""

import numpy as np
import pytest

from shared.evaluation import eval_target, evaluate
from shared.models import (
    FMConfig,
    NCFConfig,
    PopularityConfig,
    RandomConfig,
    build_model,
    load_model,
)

FAST = dict(max_epochs=40, batch_size=64, learning_rate=0.01)
CONFIGS = {
    "fm": FMConfig(embedding_dim=8, **FAST),
    "fm-bpr": FMConfig(embedding_dim=8, loss="bpr", **FAST),
    "ncf": NCFConfig(gmf_dim=8, mlp_layers=(16, 8), **FAST),
    "pop": PopularityConfig(),
    "random": RandomConfig(seed=3),
}


@pytest.fixture(params=list(CONFIGS))
def fitted(request, blocks):
    key = request.param
    model = build_model(key.split("-")[0], CONFIGS[key], blocks.n_users, blocks.n_items, seed=0)
    model.fit(blocks.train_matrix(with_valid=True))
    return key, model


def test_batch_scoring_equals_one_user_at_a_time(fitted):
    _, model = fitted
    users = np.arange(model.n_users)
    together = model.score(users)
    assert together.dtype == np.float32 and together.shape == (model.n_users, model.n_items)
    one_by_one = np.vstack([model.score(np.array([u])) for u in users])
    assert np.array_equal(together, one_by_one)
    reversed_order = model.score(users[::-1])[::-1]
    assert np.array_equal(together, reversed_order)


def test_save_then_load_gives_identical_scores(fitted, tmp_path):
    _, model = fitted
    model.save(tmp_path / "m")
    assert not list(tmp_path.glob("m/*.pkl")) and not list(tmp_path.glob("m/*.pt"))
    again = load_model(tmp_path / "m")
    users = np.arange(model.n_users)
    assert np.array_equal(model.score(users), again.score(users))


def test_learned_models_recover_the_held_out_items(fitted, blocks):
    key, model = fitted
    metrics = evaluate(model, eval_target(blocks, "test")).metrics
    if key in ("fm", "fm-bpr", "ncf"):
        # The held-out item is the only candidate of the user's own block.
        assert metrics["HR@5"] >= 0.95
        assert metrics["MRR"] >= 0.9
    elif key == "random":
        assert metrics["MRR"] < 0.5


def test_popularity_ranks_by_train_counts(blocks):
    model = build_model("pop", PopularityConfig(), blocks.n_users, blocks.n_items)
    train = blocks.train_matrix()
    model.fit(train)
    counts = np.bincount(train.indices, minlength=blocks.n_items)
    assert np.array_equal(model.score(np.array([0]))[0], counts.astype(np.float32))


def test_ncf_split_first_layer_scores_equal_the_forward_pass(blocks):
    import torch

    model = build_model("ncf", CONFIGS["ncf"], blocks.n_users, blocks.n_items, seed=1)
    model.fit(blocks.train_matrix())
    users = np.arange(blocks.n_users)
    fast = model.score(users)
    u = torch.from_numpy(np.repeat(users, blocks.n_items))
    i = torch.from_numpy(np.tile(np.arange(blocks.n_items), len(users)))
    with torch.no_grad():
        slow = model.module(u, i).numpy().reshape(len(users), blocks.n_items)  # type: ignore[attr-defined]
    np.testing.assert_allclose(fast, slow, rtol=1e-5, atol=1e-5)


def test_training_is_reproducible_by_seed(blocks):
    def scores(seed: int) -> np.ndarray:
        m = build_model(
            "fm", FMConfig(embedding_dim=4, max_epochs=2), blocks.n_users, blocks.n_items, seed=seed
        )
        m.fit(blocks.train_matrix())
        return m.score(np.arange(blocks.n_users))

    assert np.array_equal(scores(5), scores(5))
    assert not np.array_equal(scores(5), scores(6))


@pytest.mark.parametrize("name", ["fm", "ncf"])
def test_parameter_snapshot_does_not_follow_later_training(name, blocks):
    # Early stopping keeps the best epoch's snapshot and restores it after later epochs.
    model = build_model(name, CONFIGS[name], blocks.n_users, blocks.n_items, seed=0)
    train = blocks.train_matrix(with_valid=False)
    model.train_epoch(train)
    snapshot = model.parameters()
    frozen = {k: v.copy() for k, v in snapshot.items()}
    model.train_epoch(train)
    assert all(np.array_equal(snapshot[k], frozen[k]) for k in frozen)
    assert not all(np.array_equal(model.parameters()[k], frozen[k]) for k in frozen)
