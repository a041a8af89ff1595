"""Tiny synthetic datasets and quickly trained models for the batch tests."""

from pathlib import Path

import numpy as np
import pandas as pd

from shared.artifacts import ModelRef, publish_model
from shared.models import FM, NCF, FMConfig, NCFConfig, Popularity, RandomModel, Recommender
from shared.preparation import PreparedData, PrepConfig, prepare
from shared.store import LocalStore


def synthetic_raw(n_users: int = 60, n_items: int = 140, per_user: int = 8, seed: int = 0) -> pd.DataFrame:
    """Power-law item popularity; every user has ``per_user`` distinct items with distinct times."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, n_items + 1) ** 0.8
    rows = []
    for user in range(n_users):
        items = rng.choice(n_items, size=per_user, replace=False, p=weights / weights.sum())
        for t, item in enumerate(items):
            rows.append((f"u{user:04d}", f"i{item:04d}", 5.0, 1_600_000_000 + 86400 * t + user))
    return pd.DataFrame(rows, columns=["user", "item", "rating", "timestamp"])


def synthetic_data(**kwargs: int) -> PreparedData:
    return prepare(synthetic_raw(**kwargs), PrepConfig("synth", 1, 1))


def trained(name: str, data: PreparedData, epochs: int = 2) -> Recommender:
    model: Recommender
    if name == "fm":
        model = FM(data.n_users, data.n_items, FMConfig(embedding_dim=8, max_epochs=epochs, batch_size=256))
    elif name == "ncf":
        model = NCF(data.n_users, data.n_items,
                    NCFConfig(gmf_dim=8, mlp_layers=(16, 8), max_epochs=epochs, batch_size=256))
    elif name == "pop":
        model = Popularity(data.n_users, data.n_items)
    else:
        model = RandomModel(data.n_users, data.n_items)
    model.fit(data.train_matrix(with_valid=True))
    return model


def publish_all(root: Path, data: PreparedData, names: tuple[str, ...] = ("fm", "ncf", "pop")) -> dict[str, ModelRef]:
    store = LocalStore(root)
    return {name: publish_model(store, trained(name, data), data, metrics={}, seed=0) for name in names}
