"""Shared fixtures: tiny hand-made data, the bundled Amazon table, the optional shared datasets."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from shared.datasets import load_raw, resolve
from shared.interim_store import LocalFolderStore, ModelRef
from shared.preparation import PreparedData, PrepConfig, prepare
from tests.synthetic import publish_all, synthetic_data

# Tiny models train faster on one thread, and parallel test processes then do not oversubscribe.
torch.set_num_threads(1)

SHARED_DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"


@pytest.fixture(scope="session")
def amazon() -> PreparedData:
    """The bundled study table, prepared with the default settings."""
    spec = resolve("amazon")
    return prepare(load_raw(spec, Path("unused")), PrepConfig("amazon", 8, 8))


def block_interactions(n_users: int = 40, n_items: int = 20, seed: int = 0) -> pd.DataFrame:
    """Two communities: even users take even items, odd users odd items, in time order.

    Every user takes every item of their block; the last one (in time) differs between users, so a
    model that learns the blocks ranks it first among the user's remaining candidates.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for user in range(n_users):
        block = [i for i in range(n_items) if i % 2 == user % 2]
        order = rng.permutation(block)
        for t, item in enumerate(order):
            rows.append((f"u{user}", f"i{item:02d}", 1.0, 1_000_000 + 86_400 * t))
    return pd.DataFrame(rows, columns=["user", "item", "rating", "timestamp"])


@pytest.fixture
def blocks() -> PreparedData:
    return prepare(block_interactions(), PrepConfig("blocks", 1, 1))


@pytest.fixture
def tiny_csv(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.csv"
    block_interactions(n_users=30, n_items=16).to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def data() -> PreparedData:
    """A small power-law catalogue for the batch tests (tests/synthetic.py)."""
    return synthetic_data()


@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory, data: PreparedData) -> tuple[Path, dict[str, ModelRef]]:
    """A local store with FM, NCF and popularity trained on ``data`` and published."""
    root = tmp_path_factory.mktemp("store")
    return root, publish_all(root, data)


@pytest.fixture
def store(published: tuple[Path, dict[str, ModelRef]]) -> LocalFolderStore:
    return LocalFolderStore(published[0])
