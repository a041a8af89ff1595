"""The train command end to end on a tiny dataset, and its answers to bad input."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from jobs.cli import main as recsys
from jobs.train import main as train

FAST = ["--epochs", "2", "--patience", "1"]


def _visible(root: Path) -> list[Path]:
    return sorted(
        p
        for p in root.rglob("*")
        if not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


def test_train_end_to_end_on_a_tiny_csv(tiny_csv, tmp_path, capsys):
    out_json = tmp_path / "results.json"
    code = train(
        [
            "--dataset",
            f"csv:{tiny_csv}",
            "--min-user-interactions",
            "3",
            "--min-item-interactions",
            "3",
            "--output-dir",
            str(tmp_path / "out"),
            "--output-json",
            str(out_json),
            *FAST,
        ]
    )
    assert code == 0
    report = json.loads(out_json.read_text())
    assert report["dataset"]["users"] == 30 and report["dataset"]["items"] == 16
    assert set(report["models"]) == {"fm", "ncf", "pop", "random"}
    for name, result in report["models"].items():
        assert 0 <= result["test"]["HR@10"] <= 1
        assert result["valid"]["users"] == 30
        assert result["train_seconds"] >= 0 and result["eval_seconds"] >= 0
        assert (result["best_epoch"] is not None) == (name in ("fm", "ncf"))
    (run,) = (tmp_path / "out").glob("*/*")
    assert (run / "results.json").exists()
    assert (run / "prepared" / "interactions.parquet").exists()
    assert (run / "models" / "fm" / "params.safetensors").exists()
    assert "HR@10" in capsys.readouterr().out


def test_same_seed_gives_the_same_model_bytes(tiny_csv, tmp_path):
    args = [
        "--dataset",
        f"csv:{tiny_csv}",
        "--min-user-interactions",
        "3",
        "--models",
        "fm,random",
        *FAST,
    ]
    for name in ("a", "b"):
        assert train([*args, "--output-dir", str(tmp_path / name)]) == 0
    (a,), (b,) = (tmp_path / "a").glob("*/*"), (tmp_path / "b").glob("*/*")
    for rel in (
        "models/fm/params.safetensors",
        "prepared/interactions.parquet",
        "models/fm/config.json",
    ):
        assert (a / rel).read_bytes() == (b / rel).read_bytes()


def test_study_preset_trains_on_everything_but_the_last_item(tiny_csv, tmp_path):
    out_json = tmp_path / "r.json"
    args = ["--dataset", f"csv:{tiny_csv}", "--min-user-interactions", "3", "--models", "fm,pop"]
    assert (
        train(
            [
                *args,
                "--preset",
                "study",
                "--epochs",
                "2",
                "--output-dir",
                str(tmp_path),
                "--output-json",
                str(out_json),
            ]
        )
        == 0
    )
    report = json.loads(out_json.read_text())
    assert report["run"]["validate"] is False
    assert report["models"]["fm"]["valid"] is None
    assert report["models"]["fm"]["best_epoch"] == 2
    assert report["models"]["fm"]["config"]["batch_size"] == 64


@pytest.mark.parametrize(
    "args,message",
    [
        (["--dataset", "nope"], "unknown dataset 'nope'"),
        (["--models", "fm,svd"], "unknown model(s) svd"),
        (["--dataset", "csv:/does/not/exist.csv"], "no such file"),
        (["--eval-chunk-size", "0"], "--eval-chunk-size must be positive"),
        (["--epochs", "0"], "invalid option max_epochs"),
        (["--negatives", "-1"], "invalid option negatives"),
        (["--min-user-interactions", "500"], "nothing left after the 500/8 k-core"),
    ],
)
def test_bad_input_is_one_clear_line_and_leaves_nothing(args, message, tmp_path, capsys):
    code = train(
        [*args, "--output-dir", str(tmp_path / "out"), "--output-json", str(tmp_path / "r.json")]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[-1].startswith("error: ") and message in err[-1]
    assert _visible(tmp_path) == [] or _visible(tmp_path / "out") == []
    assert not (tmp_path / "r.json").exists()


def test_malformed_csv_is_refused(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("user,item,timestamp\na,x,yesterday\nb,y,2\n")
    assert train(["--dataset", f"csv:{bad}", "--output-dir", str(tmp_path / "out")]) == 2
    assert "timestamps are not integers" in capsys.readouterr().err
    assert _visible(tmp_path / "out") == [] if (tmp_path / "out").exists() else True


def test_recsys_command_has_train(tiny_csv, tmp_path):
    code = recsys(
        [
            "train",
            "--dataset",
            f"csv:{tiny_csv}",
            "--min-user-interactions",
            "3",
            "--models",
            "pop",
            "--output-dir",
            str(tmp_path),
        ]
    )
    assert code == 0


def test_python_dash_m_entrypoint_exits_non_zero_on_bad_input(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "jobs.train", "--dataset", "nope", "--output-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip().endswith(
        "choose one of: amazon, amazon-2014, amazon-2018, ml-100k, ml-1m, csv:PATH"
    )
