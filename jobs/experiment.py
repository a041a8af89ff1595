"""``python -m jobs.experiment`` / ``recsys experiment``: run an experiment and write its report.

    recsys experiment reproduce --dataset amazon --seeds 0 1 2

Writes ``{reports}/{dataset}/{experiment}/`` (runs.csv, table.md, metrics.png, curves.png,
meta.json); finished runs under ``{reports}/{dataset}/runs/`` are reused, never recomputed.
"""

import argparse
import logging
import sys
from pathlib import Path

from jobs.common import exit_process, guarded, run_main
from shared.datasets import resolve
from shared.device import resolve_device
from shared.errors import ConfigError
from shared.evaluation import DEFAULT_CHUNK
from shared.experiments import EXPERIMENTS, ExperimentOptions, experiment_names, missing_dataset, run_experiment
from shared.models import parse_model_names
from shared.sampled import SAMPLED_NEGATIVES
from shared.settings import Settings
from shared.store import ObjectStore, ensure_store, open_store

DEFAULT_STORE_URL = Settings.model_fields["store_url"].default


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help=f"one of {', '.join(EXPERIMENTS)}, or all")
    parser.add_argument("--dataset", nargs="+", default=["amazon"], help="one or more datasets (default: amazon)")
    parser.add_argument("--seeds", nargs="*", type=int, default=[0], help="seeds to run (default: 0)")
    parser.add_argument("--models", help="comma-separated subset of fm,ncf,pop,random (default: all)")
    parser.add_argument("--reports-dir", type=Path, default=Path("reports"), help="where reports go")
    parser.add_argument("--data-dir", type=Path, help="raw dataset cache (default: RECSYS_DATA_DIR)")
    parser.add_argument("--max-epochs", type=int, help="cap FM and NCF epochs (default: the preset's)")
    parser.add_argument(
        "--full-grid", action="store_true", help="negatives: the full factorial grid, not one factor at a time"
    )
    parser.add_argument(
        "--report-only", action="store_true", help="train nothing: report the runs already finished"
    )
    parser.add_argument("--eval-chunk-size", type=int, default=DEFAULT_CHUNK, help="users scored at once")
    parser.add_argument(
        "--sampled-negatives",
        type=int,
        default=SAMPLED_NEGATIVES,
        help=f"negatives per test item in sampled ranking (default: {SAMPLED_NEGATIVES})",
    )


def run(args: argparse.Namespace, settings: Settings) -> None:
    names = experiment_names(args.name)
    if not args.seeds:
        raise ConfigError("no seeds given: pass --seeds 0 1 2")
    if args.max_epochs is not None and args.max_epochs < 1:
        raise ConfigError("--max-epochs must be at least 1")
    if args.eval_chunk_size <= 0:
        raise ConfigError("--eval-chunk-size must be positive")
    if args.sampled_negatives < 1:
        raise ConfigError("--sampled-negatives must be at least 1")
    for dataset in args.dataset:
        resolve(dataset)  # unknown names fail before anything is trained or written
    options = ExperimentOptions(
        reports_dir=args.reports_dir,
        data_dir=args.data_dir or settings.data_dir,
        seeds=tuple(dict.fromkeys(args.seeds)),
        device=resolve_device(settings.device),
        max_epochs=args.max_epochs,
        full_grid=args.full_grid,
        report_only=args.report_only,
        eval_chunk_size=args.eval_chunk_size,
        sampled_negatives=args.sampled_negatives,
        models=tuple(parse_model_names(args.models)) if args.models else None,
    )
    store: ObjectStore | None = None
    if settings.store_url != DEFAULT_STORE_URL:
        store = open_store(settings)
        ensure_store(store)
    for dataset in args.dataset:
        note = missing_dataset(dataset, options.data_dir)
        if note is not None:
            print(f"note: {note}", file=sys.stderr)
            continue
        for name in names:
            outcome = run_experiment(name, dataset, options, store)
            print(
                f"{name} on {dataset}: {outcome.computed} runs computed, {outcome.reused} reused, "
                f"{outcome.missing} not run, {outcome.seconds:.0f} s; report in {outcome.folder}"
            )


def main(argv: list[str] | None = None) -> int:
    return run_main("python -m jobs.experiment", __doc__, add_arguments, execute, argv)


def execute(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s", stream=sys.stderr)
    return guarded(lambda: run(args, Settings()), "interrupted: finished runs are kept; rerun to resume")


if __name__ == "__main__":
    exit_process(main)
