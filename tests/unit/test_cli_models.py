"""``recsys models list|show|url`` against a local-folder store."""

import json
from pathlib import Path

import pytest

from jobs import cli
from shared.artifacts import ModelRef, publish_model
from shared.models import FM
from shared.preparation import PreparedData
from shared.settings import Settings
from shared.store import open_store


@pytest.fixture
def published(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tiny_model: FM, tiny_data: PreparedData
) -> list[ModelRef]:
    url = (tmp_path / "store").as_uri()
    monkeypatch.setenv("RECSYS_STORE_URL", url)
    store = open_store(Settings.model_validate({"store_url": url}))
    metrics = {"test": {"HR@10": 0.125, "NDCG@10": 0.0625}}
    return [publish_model(store, tiny_model, tiny_data, metrics=metrics, seed=1) for _ in range(2)]


def test_list(published: list[ModelRef], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["models", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["ref"] for r in rows] == [str(r) for r in published]
    assert [r["latest"] for r in rows] == [False, True]
    assert cli.main(["models", "list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and out[1].endswith("(latest)") and "HR@10 0.1250" in out[1]
    assert cli.main(["models", "list", "--dataset", "other"]) == 0
    assert "no published models" in capsys.readouterr().out


@pytest.mark.parametrize("form", ["tiny/fm@latest", "tiny/fm", "version"])
def test_show(published: list[ModelRef], capsys: pytest.CaptureFixture[str], form: str) -> None:
    text = str(published[1]) if form == "version" else form
    assert cli.main(["models", "show", text, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["ref"] == str(published[1]) and shown["metrics"]["test"]["HR@10"] == 0.125
    assert cli.main(["models", "show", text]) == 0
    assert "params.safetensors" in capsys.readouterr().out


def test_show_an_older_version(published: list[ModelRef], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["models", "show", str(published[0]), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["version"] == published[0].version


def test_url_lists_presigned_links(published: list[ModelRef], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["models", "url", "tiny/fm", "--expires", "60"]) == 0
    lines = dict(line.split("\t") for line in capsys.readouterr().out.splitlines())
    assert set(lines) == {"config.json", "params.safetensors", "manifest.json"}
    assert Path(lines["config.json"].removeprefix("file://")).is_file()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["models", "show", "tiny"], "invalid model reference"),
        (["models", "show", "tiny/ncf"], "no published model tiny/ncf"),
        (["models", "show", "tiny/fm@nope"], "not a complete published version"),
        (["models", "url", "tiny/fm", "--expires", "0"], "expiry"),
    ],
)
def test_errors_are_one_line_and_exit_2(
    published: list[ModelRef], capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_bad_store_url(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("RECSYS_STORE_URL", "ftp://host/x")
    assert cli.main(["models", "list"]) == 2
    assert "use s3://bucket/prefix or file:///path" in capsys.readouterr().err
