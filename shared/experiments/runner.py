"""Run an experiment's variants over seeds, resumably, and write its CSV, table and plots.

Each (variant, seed) is one run, keyed by a hash of the model name, its full config, the protocol,
the seed and the prepared data's hash. A finished run is a JSON file under
``{reports}/{dataset}/runs/``; experiments on the same dataset share them, so ``sampling-eval``
after ``reproduce`` trains nothing. Every run is tested by exact full ranking and by sampled
ranking against negatives drawn once per (prepared data, seed, weighting) and saved beside the runs.
"""

import hashlib
import io
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from shared.artifacts import dataset_key
from shared.atomic import atomic_folder, atomic_write_bytes, atomic_write_text
from shared.datasets import load_raw, resolve
from shared.datasets.registry import DatasetSpec
from shared.errors import ConfigError, DatasetError
from shared.evaluation import DEFAULT_CHUNK, eval_target
from shared.experiments.grids import Variant, variants
from shared.experiments.plots import write_plots
from shared.experiments.tables import METRIC_COLUMNS, render_table
from shared.models import ModelConfig, Recommender
from shared.preparation import PreparedData, PrepConfig, prepare
from shared.preparation.split import SplitMode
from shared.presets import preset_protocol
from shared.ranking import metrics_from_ranks
from shared.sampled import SAMPLED_NEGATIVES, Weighting, draw_negatives, item_weights, sampled_ranks
from shared.seeding import derive_seed
from shared.store import ObjectStore
from shared.training import Protocol, train_and_evaluate

log = logging.getLogger(__name__)
RECORD_VERSION = 1
WEIGHTINGS: tuple[Weighting, ...] = ("uniform", "popularity")
DOWNLOADED_FILES = {"ml-100k": ("ml-100k/u.data", "ml-100k.zip"), "ml-1m": ("ml-1m/ratings.dat", "ml-1m.zip")}


@dataclass(frozen=True)
class ExperimentOptions:
    reports_dir: Path
    data_dir: Path
    seeds: tuple[int, ...]
    device: str = "cpu"
    max_epochs: int | None = None
    full_grid: bool = False
    report_only: bool = False
    eval_chunk_size: int = DEFAULT_CHUNK
    sampled_negatives: int = SAMPLED_NEGATIVES
    models: tuple[str, ...] | None = None
    """Only the variants of these models (None: all)."""


@dataclass
class Outcome:
    experiment: str
    dataset: str
    folder: Path
    computed: int
    reused: int
    missing: int
    seconds: float
    files: list[Path] = field(default_factory=list)


def missing_dataset(name: str, data_dir: Path) -> str | None:
    """Why a downloadable dataset cannot be used offline, or None when it can (bundled or present)."""
    if name not in DOWNLOADED_FILES:
        return None
    if any((data_dir / rel).exists() for rel in DOWNLOADED_FILES[name]):
        return None
    member, archive = DOWNLOADED_FILES[name]
    return f"{name} skipped: neither {data_dir / member} nor {data_dir / archive} exists (set RECSYS_DATA_DIR)"


@dataclass(frozen=True)
class RunPlan:
    key: str
    data: PreparedData
    config: ModelConfig
    protocol: Protocol
    identity: dict[str, Any]


class Workspace:
    """One dataset's prepared splits, evaluation negatives and finished runs."""

    def __init__(self, dataset: str, options: ExperimentOptions) -> None:
        self.dataset = dataset
        self.options = options
        self.spec: DatasetSpec = resolve(dataset)
        self.root = options.reports_dir / dataset_key(dataset)
        self.runs_dir = self.root / "runs"
        self._raw: pd.DataFrame | None = None
        self._prepared: dict[tuple[SplitMode, int], PreparedData] = {}

    def prepared(self, split: SplitMode, seed: int) -> PreparedData:
        if (split, seed) not in self._prepared:
            if self._raw is None:
                self._raw = load_raw(self.spec, self.options.data_dir)
            config = PrepConfig(
                self.dataset, self.spec.min_user_interactions, self.spec.min_item_interactions, split, seed
            )
            self._prepared[(split, seed)] = prepare(self._raw, config)
        return self._prepared[(split, seed)]

    def negatives(self, data: PreparedData, seed: int, weighting: Weighting) -> np.ndarray:
        """The sampled-ranking negatives of the test users, drawn once and kept beside the runs."""
        n = self.options.sampled_negatives
        path = self.runs_dir / "negatives" / f"{data.prep_hash[:16]}-seed{seed}-{weighting}-{n}.npy"
        if path.exists():
            return np.asarray(np.load(path, allow_pickle=False), dtype=np.int64)
        target = eval_target(data, "test")
        rng = np.random.default_rng(derive_seed(seed, "sampled-eval", weighting))
        drawn = draw_negatives(
            target.seen, target.users, target.targets, n, item_weights(target.seen, weighting), rng
        )
        buffer = io.BytesIO()
        np.save(buffer, drawn.astype(np.int32), allow_pickle=False)
        atomic_write_bytes(path, buffer.getvalue())
        return drawn

    def plan(self, variant: Variant, seed: int) -> RunPlan:
        """What one (variant, seed) run trains on and the key its record is stored under."""
        data = self.prepared(variant.split, seed)
        config = variant.config(seed, self.options.max_epochs)
        protocol = preset_protocol(variant.preset, variant.refit, self.options.eval_chunk_size)
        identity = {
            "version": RECORD_VERSION,
            "model": variant.model,
            "config": config.model_dump(mode="json"),
            "protocol": {"validate": protocol.validate, "refit": protocol.refit},
            "prep_hash": data.prep_hash,
            "seed": seed,
            "sampled": {"negatives": self.options.sampled_negatives, "weightings": list(WEIGHTINGS)},
        }
        key = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()
        return RunPlan(key, data, config, protocol, identity)

    def finished(self, plan: RunPlan) -> dict[str, Any] | None:
        path = self.runs_dir / f"{plan.key[:24]}.json"
        if not path.exists():
            return None
        record: dict[str, Any] = json.loads(path.read_text())
        return record if record.get("key") == plan.key else None

    def run(self, variant: Variant, seed: int, plan: RunPlan) -> dict[str, Any]:
        """Train, test by full and sampled ranking, and save the run's record."""
        start = time.perf_counter()
        data = plan.data
        result = train_and_evaluate(variant.model, plan.config, data, plan.protocol, seed, self.options.device)
        sampled_start = time.perf_counter()
        negatives = {w: self.negatives(data, seed, w) for w in WEIGHTINGS}
        sampled = sampled_metrics(result.model, data, negatives, self.options.eval_chunk_size)
        record = {
            "key": plan.key,
            **plan.identity,
            "dataset": self.dataset,
            "split": variant.split,
            "preset": variant.preset,
            "valid": result.valid,
            "test": result.test,
            "sampled": sampled,
            "sampled_negatives_sha256": {
                w: hashlib.sha256(np.ascontiguousarray(a, dtype=np.int64).tobytes()).hexdigest()
                for w, a in negatives.items()
            },
            "best_epoch": result.best_epoch,
            "history": result.history,
            "train_seconds": round(result.train_seconds, 3),
            "eval_seconds": round(result.eval_seconds + time.perf_counter() - sampled_start, 3),
            "wall_seconds": round(time.perf_counter() - start, 3),
        }
        atomic_write_text(self.runs_dir / f"{plan.key[:24]}.json", json.dumps(record, indent=2, sort_keys=True) + "\n")
        return record


def sampled_metrics(
    model: Recommender, data: PreparedData, negatives: dict[Weighting, np.ndarray], chunk_size: int
) -> dict[str, dict[str, float]]:
    """HR, NDCG and MRR at k of the test item among each weighting's negatives (Coverage is not defined)."""
    target = eval_target(data, "test")
    ranks: dict[Weighting, list[np.ndarray]] = {w: [] for w in negatives}
    for start in range(0, len(target.users), chunk_size):
        stop = start + chunk_size
        scores = model.score(target.users[start:stop])
        for weighting, drawn in negatives.items():
            ranks[weighting].append(sampled_ranks(scores, target.targets[start:stop], drawn[start:stop]))
    out: dict[str, dict[str, float]] = {}
    for weighting, parts in ranks.items():
        all_ranks = np.concatenate(parts)
        metrics = metrics_from_ranks(all_ranks, np.empty((len(all_ranks), 0), dtype=np.int64), data.n_items)
        out[weighting] = {k: v for k, v in metrics.items() if not k.startswith("Coverage")}
    return out


def row(experiment: str, variant: Variant, seed: int, record: dict[str, Any]) -> dict[str, Any]:
    """One CSV row: what was run, its metrics on every protocol, and its cost."""
    out: dict[str, Any] = {
        "experiment": experiment,
        "dataset": record["dataset"],
        "variant": variant.label,
        "model": variant.model,
        "preset": variant.preset,
        "split": variant.split,
        "seed": seed,
        **variant.factors,
    }
    valid = record["valid"] or {}
    for column, (source, metric) in METRIC_COLUMNS.items():
        if source == "valid":
            out[column] = valid.get(metric, float("nan"))
        elif source == "test":
            out[column] = record["test"][metric]
        else:
            out[column] = record["sampled"][source][metric]
    out["max_epochs"] = record["config"].get("max_epochs")
    out["best_epoch"] = record["best_epoch"]
    out["train_seconds"] = record["train_seconds"]
    out["eval_seconds"] = record["eval_seconds"]
    out["wall_seconds"] = record["wall_seconds"]
    out["run"] = record["key"][:24]
    return out


def run_experiment(
    experiment: str, dataset: str, options: ExperimentOptions, store: ObjectStore | None = None
) -> Outcome:
    """Run (or reuse) every variant × seed, then write ``{reports}/{dataset}/{experiment}/``."""
    if not options.seeds:
        raise ConfigError("no seeds given: pass --seeds 0 1 2")
    torch.set_num_threads(1)
    started = time.perf_counter()
    space = Workspace(dataset, options)
    grid = [v for v in variants(experiment, options.full_grid) if options.models is None or v.model in options.models]
    if not grid:
        raise ConfigError(f"{experiment} has no configurations for models {', '.join(options.models or ())}")
    rows: list[dict[str, Any]] = []
    histories: list[tuple[Variant, int, list[dict[str, Any]]]] = []
    computed = reused = missing = 0
    total = len(grid) * len(options.seeds)
    for seed in options.seeds:
        for variant in grid:
            plan = space.plan(variant, seed)
            record = space.finished(plan)
            if record is not None:
                reused += 1
                state = "reused"
            elif options.report_only:
                missing += 1
                log.warning("%s %s seed %d: not run yet", experiment, variant.label, seed)
                continue
            else:
                record = space.run(variant, seed, plan)
                computed += 1
                state = f"computed in {record['wall_seconds']:.1f}s"
            log.warning(
                "[%d/%d] %s %s seed %d: %s; test HR@10 %.4f NDCG@10 %.4f",
                computed + reused + missing,
                total,
                experiment,
                variant.label,
                seed,
                state,
                record["test"]["HR@10"],
                record["test"]["NDCG@10"],
            )
            rows.append(row(experiment, variant, seed, record))
            histories.append((variant, seed, record["history"]))
    if not rows:
        raise DatasetError(f"{experiment} on {dataset}: no finished runs to report (run it without --report-only)")
    frame = pd.DataFrame(rows)
    folder = space.root / experiment
    with atomic_folder(folder) as staging:
        frame.to_csv(staging / "runs.csv", index=False)
        (staging / "table.md").write_text(render_table(experiment, frame, dataset))
        write_plots(experiment, frame, histories, staging)
        meta = {
            "experiment": experiment,
            "dataset": dataset,
            "seeds": list(options.seeds),
            "configurations": len(grid),
            "runs_computed": computed,
            "runs_reused": reused,
            "runs_missing": missing,
            "max_epochs_cap": options.max_epochs,
            "full_grid": options.full_grid,
            "models": list(options.models) if options.models else None,
            "invocation_seconds": round(time.perf_counter() - started, 1),
        }
        (staging / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    files = sorted(p for p in folder.iterdir() if p.is_file())
    if store is not None:
        prefix = f"reports/{dataset_key(dataset)}"
        for path in files:
            store.put_file(f"{prefix}/{experiment}/{path.name}", path)
        for run_id in frame["run"]:
            path = space.runs_dir / f"{run_id}.json"
            store.put_file(f"{prefix}/runs/{path.name}", path)
    return Outcome(
        experiment, dataset, folder, computed, reused, missing, time.perf_counter() - started, files
    )
