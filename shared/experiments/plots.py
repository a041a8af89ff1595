"""PNG plots (matplotlib, Agg): metric bars with sd error bars, and FM / NCF training curves."""

from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.ticker import MaxNLocator

from shared.experiments.tables import STUDY_REPORTED

if TYPE_CHECKING:
    from shared.experiments.grids import Variant

BAR_METRICS: dict[str, list[str]] = {
    "sampling-eval": [f"{p}_{m}" for m in ("HR@10", "NDCG@10") for p in ("test", "uniform", "popularity")],
}
DEFAULT_BARS = ["test_HR@10", "test_NDCG@10"]
TITLES = {"test": "full ranking", "uniform": "sampled (uniform)", "popularity": "sampled (popularity)"}


def bar_plot(
    frame: pd.DataFrame,
    columns: list[str],
    path: Path,
    title: str,
    reference: dict[str, dict[str, float]] | None = None,
) -> None:
    """Mean per variant with sd error bars; ``reference`` (variant → column → value) as red marks."""
    labels = list(dict.fromkeys(frame["variant"]))
    stats = frame.groupby("variant", sort=False)[columns].agg(["mean", "std"]).reindex(labels)
    ncols = min(3, len(columns))
    nrows = -(-len(columns) // ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(max(4.0, 0.45 * len(labels)) * ncols, 3.6 * nrows), squeeze=False
    )
    for ax, column in zip(axes.flat, columns, strict=False):
        means = stats[(column, "mean")].to_numpy()
        sds = stats[(column, "std")].fillna(0).to_numpy()
        ax.bar(range(len(labels)), means, yerr=sds, capsize=3, color="tab:blue", alpha=0.8)
        known = reference or {}
        marks = [(i, known[label][column]) for i, label in enumerate(labels) if column in known.get(label, {})]
        if marks:
            ax.scatter(*zip(*marks, strict=True), color="tab:red", marker="_", s=300, zorder=3, label="study reported")
            ax.legend(fontsize=7)
        ax.set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=7)
        protocol, metric = column.split("_", 1)
        ax.set_title(f"{metric}, {TITLES.get(protocol, protocol)}", fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    for ax in list(axes.flat)[len(columns) :]:
        ax.set_visible(False)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def curve_plot(histories: list[tuple["Variant", int, list[dict[str, Any]]]], path: Path, title: str) -> bool:
    """Loss and validation NDCG@10 per epoch, one line per (variant, seed), FM and NCF in rows."""
    models = [m for m in ("fm", "ncf") if any(v.model == m and h for v, _, h in histories)]
    if not models:
        return False
    fig, axes = plt.subplots(len(models), 2, figsize=(10, 3.4 * len(models)), squeeze=False)
    for row, model in zip(axes, models, strict=True):
        labels = list(dict.fromkeys(v.label for v, _, h in histories if v.model == model and h))
        colours = {label: plt.get_cmap("tab20")(i % 20) for i, label in enumerate(labels)}
        for variant, seed, history in histories:
            if variant.model != model or not history:
                continue
            epochs = [h["epoch"] for h in history]
            first = seed == min(s for v, s, h in histories if v.label == variant.label and h)
            for ax, key in zip(row, ("loss", "valid_NDCG@10"), strict=True):
                ax.plot(
                    epochs,
                    [h[key] for h in history],
                    color=colours[variant.label],
                    alpha=0.8,
                    linewidth=1,
                    label=variant.label if first else None,
                )
        row[0].set_title(f"{model}: training loss per epoch", fontsize=9)
        row[1].set_title(f"{model}: validation NDCG@10 per epoch", fontsize=9)
        for ax in row:
            ax.set_xlabel("epoch")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.grid(alpha=0.3)
        row[1].legend(fontsize=6, loc="best")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return True


def write_plots(
    experiment: str,
    frame: pd.DataFrame,
    histories: list[tuple["Variant", int, list[dict[str, Any]]]],
    folder: Path,
) -> list[Path]:
    dataset = str(frame["dataset"].iloc[0])
    written = [folder / "metrics.png"]
    reference: dict[str, dict[str, float]] = {}
    if experiment == "reproduce" and dataset == "amazon":
        for label, model, preset in frame[["variant", "model", "preset"]].drop_duplicates().itertuples(index=False):
            if preset == "study" and model in STUDY_REPORTED:
                hr, ndcg = STUDY_REPORTED[model]
                reference[label] = {"test_HR@10": hr, "test_NDCG@10": ndcg}
    bar_plot(frame, BAR_METRICS.get(experiment, DEFAULT_BARS), written[0], f"{experiment} on {dataset}", reference)
    if curve_plot(histories, folder / "curves.png", f"{experiment} on {dataset}: training curves"):
        written.append(folder / "curves.png")
    return written
