"""The trainer publishes every model of a successful run to RECSYS_STORE_URL."""

from pathlib import Path

import numpy as np
import pytest

from jobs import cli
from shared.artifacts import ModelRef, list_models, load_published_model
from shared.settings import Settings
from shared.store import open_store
from tests.conftest import new_bucket
from tests.support import seaweed

pytestmark = pytest.mark.integration
TRAIN = ["train", "--dataset", "amazon-2014"]


def test_train_publishes_to_s3_creating_the_bucket(
    s3_env: seaweed.SeaweedServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = f"s3://{new_bucket()}/prod"
    monkeypatch.setenv("RECSYS_STORE_URL", url)
    monkeypatch.setenv("RECSYS_S3_ENDPOINT_URL", s3_env.endpoint)
    assert cli.main([*TRAIN, "--models", "pop,random", "--output-dir", str(tmp_path / "out")]) == 0
    assert "published amazon-2014/pop@" in capsys.readouterr().out
    store = open_store(Settings.model_validate({"store_url": url, "s3_endpoint_url": s3_env.endpoint}))
    rows = list_models(store)
    assert [(r["dataset"], r["model"], r["latest"]) for r in rows] == [
        ("amazon-2014", "pop", True), ("amazon-2014", "random", True)]
    published = load_published_model(store, ModelRef.parse("amazon-2014/pop@latest"))
    assert published.manifest["metrics"]["test"]["HR@10"] == pytest.approx(rows[0]["test"]["HR@10"])
    assert published.manifest["extra"]["preset"] == "default"
    # Held-out items and seen-item masks rebuild from the published split alone.
    assert (published.data.test_item >= 0).sum() == published.data.stats["test_users"]
    seen = published.data.train_matrix(with_valid=True)
    assert seen.n_items == published.model.n_items
    assert np.isfinite(published.model.score(np.arange(3))).all()
    assert cli.main(["models", "list"]) == 0
    assert "amazon-2014/random@" in capsys.readouterr().out


def test_train_says_before_training_when_it_may_not_create_the_bucket(
    s3_env: seaweed.SeaweedServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", seaweed.READER[0])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", seaweed.READER[1])
    monkeypatch.setenv("RECSYS_STORE_URL", f"s3://{new_bucket()}/prod")
    monkeypatch.setenv("RECSYS_S3_ENDPOINT_URL", s3_env.endpoint)
    assert cli.main([*TRAIN, "--models", "random", "--output-dir", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "may not create it" in err
    assert [line for line in err.splitlines() if line.startswith("error: ")] == [err.splitlines()[-1]]
    # The store is checked before training: no time is spent and no run folder is written.
    assert "training" not in err
    assert not (tmp_path / "out").exists()


def test_no_publish_leaves_the_store_alone(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("RECSYS_STORE_URL", (tmp_path / "store").as_uri())
    assert cli.main([*TRAIN, "--models", "random", "--no-publish", "--output-dir", str(tmp_path / "out")]) == 0
    assert not (tmp_path / "store").exists()
