"""Markdown tables of an experiment, rendered from its CSV rows alone, and the README's results block."""

from collections.abc import Sequence
from itertools import combinations
from pathlib import Path

import pandas as pd

from shared.experiments.grids import EXPERIMENTS
from shared.experiments.stats import kendall_tau, mean_sd

_METRICS = {
    "valid": ("HR@10", "NDCG@10"),
    "test": ("HR@5", "HR@10", "NDCG@10", "MRR", "HR@20", "NDCG@20", "Coverage@10"),
    "uniform": ("HR@10", "NDCG@10"),
    "popularity": ("HR@10", "NDCG@10"),
}
METRIC_COLUMNS: dict[str, tuple[str, str]] = {
    f"{source}_{metric}": (source, metric) for source, metrics in _METRICS.items() for metric in metrics
}
"""CSV column → (protocol, metric): full ranking on valid / test, sampled with 99 negatives."""

STUDY_REPORTED: dict[str, tuple[float, float]] = {
    "ncf": (0.0709, 0.0433),
    "fm": (0.0606, 0.0354),
    "pop": (0.0356, 0.0129),
    "random": (0.0049, 0.0022),
}
"""HR@10 / NDCG@10 the original study reported on ``amazon`` (tuned on test, last epoch)."""

PROTOCOLS = {"test": "full ranking", "uniform": "sampled, uniform", "popularity": "sampled, popularity"}
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"


def _table(header: Sequence[str], body: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(cells) + " |" for cells in body]


def _groups(frame: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """Rows per variant, in the order the variants first appear."""
    return [(str(label), frame[frame["variant"] == label]) for label in dict.fromkeys(frame["variant"])]


def _seconds(frame: pd.DataFrame) -> str:
    return f"{frame['wall_seconds'].mean():.0f}"


def _heading(column: str) -> str:
    """``test_HR@10`` → ``HR@10`` (test is the default), ``valid_NDCG@10`` → ``valid NDCG@10``."""
    return column.removeprefix("test_").replace("_", " ")


def _summary(frame: pd.DataFrame, columns: Sequence[str], study: bool = False) -> list[str]:
    header = ["variant", "seeds", *map(_heading, columns), "best epoch", "s / run"]
    if study:
        header[2 + len(columns) : 2 + len(columns)] = ["study's HR@10 / NDCG@10"]
    body = []
    for label, rows in _groups(frame):
        cells = [label, str(len(rows)), *(mean_sd(rows[c].tolist()) for c in columns)]
        if study:
            model = str(rows["model"].iloc[0])
            reported = STUDY_REPORTED.get(model) if rows["preset"].iloc[0] == "study" else None
            cells.append(f"{reported[0]:.4f} / {reported[1]:.4f}" if reported else "")
        epochs = rows["best_epoch"].dropna()
        cells += [mean_sd(epochs.tolist(), 1) if len(epochs) else "–", _seconds(rows)]
        body.append(cells)
    return _table(header, body)


def agreement(frame: pd.DataFrame, metric: str = "HR@10") -> list[tuple[str, str, float, list[float]]]:
    """Kendall τ between the model orderings of each pair of protocols.

    Returns (protocol a, protocol b, τ of the orderings by mean over seeds, τ per seed).
    """
    out = []
    for a, b in combinations(PROTOCOLS, 2):
        col_a, col_b = f"{a}_{metric}", f"{b}_{metric}"
        means = frame.groupby("variant", sort=False)[[col_a, col_b]].mean()
        per_seed = [
            kendall_tau(rows[col_a].tolist(), rows[col_b].tolist())
            for _, rows in frame.groupby("seed", sort=True)
            if len(rows) > 1
        ]
        out.append((a, b, kendall_tau(means[col_a].tolist(), means[col_b].tolist()), per_seed))
    return out


def _sampling_eval(frame: pd.DataFrame) -> list[str]:
    columns = [f"{p}_{m}" for p in PROTOCOLS for m in ("HR@10", "NDCG@10")]
    header = ["variant", *(f"{PROTOCOLS[c.split('_')[0]]} {c.split('_')[1]}" for c in columns)]
    body = [[label, *(mean_sd(rows[c].tolist()) for c in columns)] for label, rows in _groups(frame)]
    lines = _table(header, body)
    lines += ["", "Agreement of the model orderings (Kendall τ-b; per seed as mean ± sd):", ""]
    tau_body = []
    for metric in ("HR@10", "NDCG@10"):
        for a, b, tau, per_seed in agreement(frame, metric):
            tau_body.append([metric, f"{PROTOCOLS[a]} vs {PROTOCOLS[b]}", mean_sd([tau], 3), mean_sd(per_seed, 3)])
    return lines + _table(["metric", "protocols", "τ of mean metrics", "τ per seed"], tau_body)


def _hyper(frame: pd.DataFrame) -> list[str]:
    lines = _summary(frame, ["valid_NDCG@10", "test_HR@10", "test_NDCG@10"])
    lines += ["", "Chosen on mean validation NDCG@10 (tested on the model trained on train only):", ""]
    body = []
    for model, rows in frame.groupby("model", sort=False):
        means = rows.groupby("variant", sort=False)["valid_NDCG@10"].mean()
        best = str(means.idxmax())
        chosen = rows[rows["variant"] == best]
        body.append(
            [str(model), best, mean_sd(chosen["valid_NDCG@10"].tolist()), mean_sd(chosen["test_HR@10"].tolist()),
             mean_sd(chosen["test_NDCG@10"].tolist())]
        )
    return lines + _table(["model", "chosen", "valid NDCG@10", "test HR@10", "test NDCG@10"], body)


def render_table(experiment: str, frame: pd.DataFrame, dataset: str) -> str:
    """The experiment's Markdown tables: test metrics are full ranking unless a column says otherwise."""
    if experiment == "sampling-eval":
        lines = _sampling_eval(frame)
    elif experiment == "hyper":
        lines = _hyper(frame)
    elif experiment == "reproduce":
        lines = _summary(frame, ["test_HR@10", "test_NDCG@10", "test_MRR"], study=dataset == "amazon")
    else:
        lines = _summary(frame, ["valid_NDCG@10", "test_HR@10", "test_NDCG@10", "test_Coverage@10"])
    return "\n".join(lines) + "\n"


def readme_block(reports_dir: Path, dataset: str, link_root: str) -> str:
    """The README's results: every experiment of ``dataset`` found under ``reports_dir``, from its CSV."""
    root = reports_dir / dataset
    parts = [BEGIN, "<!-- generated by `recsys report` from reports/*/*/runs.csv: do not edit by hand -->", ""]
    found = [name for name in EXPERIMENTS if (root / name / "runs.csv").exists()]
    if not found:
        parts += [f"No experiment results for `{dataset}` yet: run `recsys experiment all --dataset {dataset}`.", ""]
    for name in found:
        frame = pd.read_csv(root / name / "runs.csv")
        seeds = ", ".join(str(s) for s in sorted(frame["seed"].unique()))
        link = f"{link_root}/{dataset}/{name}"
        epochs = frame["max_epochs"].dropna() if "max_epochs" in frame else pd.Series(dtype=float)
        caps = ", ".join(str(int(e)) for e in sorted(epochs.unique()))
        cap = f", FM/NCF max_epochs {caps}" if caps else ""
        parts += [
            f"### `{name}`",
            "",
            f"{frame['variant'].nunique()} configurations × seeds {seeds}: {len(frame)} runs{cap}, "
            f"wall time {frame['wall_seconds'].sum() / 60:.1f} min summed over runs "
            f"([runs.csv]({link}/runs.csv)). Mean ± sd over seeds.",
            "",
            render_table(name, frame, dataset).rstrip("\n"),
            "",
        ]
        plots = [f for f in ("metrics.png", "curves.png") if (root / name / f).exists()]
        parts += [f"![{name}: {f.removesuffix('.png')}]({link}/{f})" for f in plots]
        parts.append("")
    parts.append(END)
    return "\n".join(parts)


def replace_block(text: str, block: str) -> str:
    """``text`` with everything from the begin marker to the end marker replaced by ``block``."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"the README has no {BEGIN} … {END} markers")
    return text[:start] + block + text[end + len(END) :]
