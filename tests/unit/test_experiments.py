"""The experiment runner end to end on a tiny CSV: files, resuming, the README block, bad input."""

import json
from pathlib import Path

import pandas as pd
import pytest

import shared.experiments.runner as runner
from jobs.experiment import main as experiment
from jobs.report import main as report
from shared.experiments import EXPERIMENTS, missing_dataset, readme_block, variants
from shared.experiments.tables import BEGIN, END
from tests.conftest import SHARED_DATASETS

PNG = b"\x89PNG"


def _args(tiny_csv: Path, reports: Path, name: str = "all", seeds: tuple[str, ...] = ("0",)) -> list[str]:
    return [
        name,
        "--dataset",
        f"csv:{tiny_csv}",
        "--seeds",
        *seeds,
        "--max-epochs",
        "2",
        "--sampled-negatives",
        "5",
        "--reports-dir",
        str(reports),
    ]


def _folder(reports: Path) -> Path:
    (folder,) = [p for p in reports.iterdir() if p.is_dir()]
    return folder


def test_every_experiment_writes_its_csv_table_and_plots(tiny_csv, tmp_path, monkeypatch):
    monkeypatch.setenv("RECSYS_STORE_URL", (tmp_path / "store").as_uri())
    reports = tmp_path / "reports"
    assert experiment(_args(tiny_csv, reports, seeds=("0", "1"))) == 0
    root = _folder(reports)
    for name in EXPERIMENTS:
        folder = root / name
        frame = pd.read_csv(folder / "runs.csv")
        assert len(frame) == 2 * len(variants(name))
        assert {"variant", "seed", "wall_seconds", "test_HR@10", "uniform_HR@10", "popularity_NDCG@10"} <= set(frame)
        assert frame["test_HR@10"].between(0, 1).all()
        table = (folder / "table.md").read_text()
        assert table.startswith("| variant") and "± " in table
        for plot in ("metrics.png", "curves.png"):
            assert (folder / plot).read_bytes().startswith(PNG)
        meta = json.loads((folder / "meta.json").read_text())
        assert meta["runs_computed"] + meta["runs_reused"] == len(frame)
        # a store other than the default local one gets a copy of every file
        assert (tmp_path / "store" / "reports" / root.name / name / "runs.csv").exists()
    assert "Kendall τ" in (root / "sampling-eval" / "table.md").read_text()
    assert "Chosen on mean validation NDCG@10" in (root / "hyper" / "table.md").read_text()
    # one draw of evaluation negatives per (prepared data, seed, weighting), seen by every model
    records = [json.loads(p.read_text()) for p in (root / "runs").glob("*.json")]
    for seed in (0, 1):
        time_split = [r for r in records if r["seed"] == seed and r["split"] == "time"]
        assert len({json.dumps(r["sampled_negatives_sha256"], sort_keys=True) for r in time_split}) == 1
    # sampling-eval trained nothing of its own: its runs are reproduce's
    reproduce = pd.read_csv(root / "reproduce" / "runs.csv")
    assert set(pd.read_csv(root / "sampling-eval" / "runs.csv")["run"]) == set(reproduce["run"])


def test_resuming_skips_finished_configurations(tiny_csv, tmp_path, monkeypatch):
    reports = tmp_path / "reports"
    assert experiment(_args(tiny_csv, reports, "reproduce")) == 0
    first = pd.read_csv(_folder(reports) / "reproduce" / "runs.csv")

    calls: list[str] = []
    real = runner.train_and_evaluate

    def counting(name, *args, **kwargs):
        calls.append(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(runner, "train_and_evaluate", counting)
    assert experiment(_args(tiny_csv, reports, "reproduce")) == 0
    assert calls == []
    again = pd.read_csv(_folder(reports) / "reproduce" / "runs.csv")
    pd.testing.assert_frame_equal(first, again)
    # a new seed trains only its own runs
    assert experiment(_args(tiny_csv, reports, "reproduce", seeds=("0", "1"))) == 0
    assert len(calls) == len(variants("reproduce"))
    meta = json.loads((_folder(reports) / "reproduce" / "meta.json").read_text())
    assert (meta["runs_reused"], meta["runs_computed"]) == (len(first), len(first))


def test_report_rewrites_only_the_marked_block_from_the_csvs(tiny_csv, tmp_path, monkeypatch):
    reports = tmp_path / "reports"
    assert experiment(_args(tiny_csv, reports, "reproduce")) == 0
    dataset = _folder(reports).name
    readme = tmp_path / "README.md"
    readme.write_text(f"# title\n\nprose before\n\n{BEGIN}\nstale\n{END}\n\nprose after\n")
    monkeypatch.chdir(tmp_path)
    args = ["--dataset", dataset, "--reports-dir", "reports", "--readme", "README.md"]
    assert report([*args, "--check"]) == 1
    assert report(args) == 0
    text = readme.read_text()
    block = readme_block(Path("reports"), dataset, "reports")
    assert text == f"# title\n\nprose before\n\n{block}\n\nprose after\n"
    assert (reports / dataset / "reproduce" / "table.md").read_text().strip() in text
    assert f"(reports/{dataset}/reproduce/metrics.png)" in text
    assert report([*args, "--check"]) == 0

    csv = reports / dataset / "reproduce" / "runs.csv"
    frame = pd.read_csv(csv)
    frame.loc[frame["variant"] == "pop", "test_HR@10"] = 0.123456
    frame.to_csv(csv, index=False)
    assert report([*args, "--check"]) == 1
    assert report(args) == 0
    assert "| pop | 1 | 0.1235 |" in readme.read_text()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["nope"], "unknown experiment 'nope'"),
        (["reproduce", "--dataset", "nope"], "unknown dataset 'nope'"),
        (["reproduce", "--seeds"], "no seeds given"),
        (["reproduce", "--max-epochs", "0"], "--max-epochs"),
        (["reproduce", "--models", "fm,nope"], "unknown model(s) nope"),
    ],
)
def test_bad_input_is_one_error_line_and_writes_nothing(argv, message, tmp_path, capsys):
    reports = tmp_path / "reports"
    assert experiment([*argv, "--reports-dir", str(reports)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and message in err[0]
    assert not reports.exists()


def test_report_without_markers_is_an_error(tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text("no markers\n")
    assert report(["--readme", str(readme), "--reports-dir", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith("error: ")
    assert readme.read_text() == "no markers\n"


def test_movielens_is_skipped_with_a_note_when_absent(tmp_path, capsys):
    reports = tmp_path / "reports"
    argv = ["reproduce", "--dataset", "ml-100k", "--data-dir", str(tmp_path), "--reports-dir", str(reports)]
    assert experiment(argv) == 0
    assert "note: ml-100k skipped" in capsys.readouterr().err
    assert not reports.exists()


@pytest.mark.skipif(not (SHARED_DATASETS / "ml-100k" / "u.data").exists(), reason="no dev copy of ml-100k")
def test_movielens_dev_copy_is_found():
    assert missing_dataset("ml-100k", SHARED_DATASETS) is None


def test_models_option_keeps_only_their_configurations(tiny_csv, tmp_path):
    reports = tmp_path / "reports"
    assert experiment([*_args(tiny_csv, reports, "negatives"), "--models", "fm"]) == 0
    frame = pd.read_csv(_folder(reports) / "negatives" / "runs.csv")
    assert set(frame["model"]) == {"fm"}
    assert len(frame) == len([v for v in variants("negatives") if v.model == "fm"])
