"""``python -m jobs.train`` / ``recsys train``: clean, split, train, evaluate, write results.

Everything lands in a hidden staging folder that becomes ``{output_dir}/{dataset}/{run_id}`` only
when the whole run succeeds.
"""

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

import torch
from pydantic import ValidationError

from jobs.common import exit_process, guarded, run_main
from shared.artifacts import dataset_key, publish_run
from shared.atomic import atomic_folder, atomic_write_text
from shared.datasets import CsvOptions, dataset_names, load_raw, resolve
from shared.device import resolve_device
from shared.errors import ConfigError
from shared.evaluation import DEFAULT_CHUNK, eval_target, expected_random_hr
from shared.models import MODEL_NAMES, parse_model_names
from shared.preparation import PreparedData, PrepConfig, prepare
from shared.presets import PRESETS, preset_configs, preset_protocol
from shared.settings import Settings
from shared.store import ObjectStore, StoreError, ensure_store, open_store
from shared.training import ModelResult, train_and_evaluate

log = logging.getLogger("recsys.train")
TABLE_METRICS = ("HR@5", "HR@10", "NDCG@10", "MRR@10", "HR@20", "NDCG@20", "Coverage@10")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", default="amazon", help=f"one of {', '.join(dataset_names())}")
    parser.add_argument(
        "--models", default=",".join(MODEL_NAMES), help="comma-separated (default: all)"
    )
    parser.add_argument("--preset", choices=PRESETS, default="default")
    parser.add_argument(
        "--split", choices=("time", "random"), default="time", help="leave-one-out order"
    )
    parser.add_argument("--min-user-interactions", type=int, help="k-core threshold for users")
    parser.add_argument("--min-item-interactions", type=int, help="k-core threshold for items")
    parser.add_argument("--no-refit", action="store_true", help="test the model trained on train only")
    parser.add_argument("--no-publish", action="store_true", help="do not publish to RECSYS_STORE_URL")
    parser.add_argument("--epochs", type=int, help="maximum epochs of FM and NCF")
    parser.add_argument("--patience", type=int, help="early-stopping patience in epochs")
    parser.add_argument("--negatives", type=int, help="training negatives per positive")
    parser.add_argument("--negative-sampling", choices=("static", "resample"))
    parser.add_argument("--negative-weighting", choices=("uniform", "popularity"))
    parser.add_argument("--loss", choices=("bce", "bpr"))
    parser.add_argument("--eval-chunk-size", type=int, default=DEFAULT_CHUNK, help="users scored at once")
    parser.add_argument("--seed", type=int, help="global seed (default: RECSYS_SEED)")
    parser.add_argument(
        "--data-dir", type=Path, help="raw dataset cache (default: RECSYS_DATA_DIR)"
    )
    parser.add_argument("--output-dir", type=Path, help="results root (default: RECSYS_OUTPUT_DIR)")
    parser.add_argument("--output-json", type=Path, help="also write the results JSON here")
    csv = parser.add_argument_group("csv:PATH datasets")
    csv.add_argument("--csv-user-col", default="user")
    csv.add_argument("--csv-item-col", default="item")
    csv.add_argument("--csv-rating-col", default="rating")
    csv.add_argument("--csv-time-col", default="timestamp")
    csv.add_argument("--csv-sep", default=",")
    csv.add_argument("--csv-time-unit", default="s", help="s, ms, us, ns or iso")


def _neural_overrides(args: argparse.Namespace) -> dict[str, Any]:
    names = {
        "epochs": "max_epochs",
        "patience": "patience",
        "negatives": "negatives",
        "negative_sampling": "negative_sampling",
        "negative_weighting": "negative_weighting",
        "loss": "loss",
    }
    return {
        field: getattr(args, arg) for arg, field in names.items() if getattr(args, arg) is not None
    }


def _table(results: dict[str, ModelResult]) -> str:
    header = f"{'model':<8} {'split':<6} " + " ".join(f"{m:>11}" for m in TABLE_METRICS)
    lines = [header, "-" * len(header)]
    for name, result in results.items():
        for split, metrics in (("valid", result.valid), ("test", result.test)):
            if metrics is not None:
                lines.append(
                    f"{name:<8} {split:<6} "
                    + " ".join(f"{metrics[m]:>11.4f}" for m in TABLE_METRICS)
                )
    return "\n".join(lines)


def run(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    seed = settings.seed if args.seed is None else args.seed
    device = resolve_device(settings.device)
    if settings.torch_threads:
        torch.set_num_threads(settings.torch_threads)
    models = parse_model_names(args.models)
    if args.eval_chunk_size <= 0:
        raise ConfigError("--eval-chunk-size must be positive")
    csv_options = CsvOptions(
        user_col=args.csv_user_col,
        item_col=args.csv_item_col,
        rating_col=args.csv_rating_col,
        time_col=args.csv_time_col,
        sep=args.csv_sep,
        time_unit=args.csv_time_unit,
    )
    spec = resolve(args.dataset, csv_options)
    prep_config = PrepConfig(
        dataset=args.dataset,
        min_user_interactions=args.min_user_interactions or spec.min_user_interactions,
        min_item_interactions=args.min_item_interactions or spec.min_item_interactions,
        split=args.split,
        seed=seed,
    )
    configs = preset_configs(args.preset, seed)
    overrides = _neural_overrides(args)
    try:
        configs = {
            name: cfg.model_validate({**cfg.model_dump(), **overrides})
            if name in ("fm", "ncf")
            else cfg
            for name, cfg in configs.items()
        }
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(f"invalid option {first['loc'][0]}: {first['msg']}") from exc
    protocol = preset_protocol(
        args.preset, refit=not args.no_refit, eval_chunk_size=args.eval_chunk_size
    )

    # Check the store before hours of training, not after.
    store = None if args.no_publish else open_store(settings)
    if store is not None:
        ensure_store(store)
    log.info("loading %s", args.dataset)
    data = prepare(load_raw(spec, args.data_dir or settings.data_dir), prep_config)
    _log_statistics(data)
    run_id = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + f"-{args.preset}"
    target = (args.output_dir or settings.output_dir) / dataset_key(args.dataset) / run_id
    results: dict[str, ModelResult] = {}
    with atomic_folder(target) as staging:
        data.save(staging / "prepared")
        for name in models:
            log.info("training %s on %s (%s)", name, device, args.preset)
            results[name] = train_and_evaluate(name, configs[name], data, protocol, seed, device)
            results[name].model.save(staging / "models" / name)
        report = _report(args, data, results, seed, device, protocol.validate, protocol.refit)
        (staging / "results.json").write_text(json.dumps(report, indent=2) + "\n")
    if args.output_json:
        atomic_write_text(args.output_json, json.dumps(report, indent=2) + "\n")
    print(_table(results))
    print(f"\nresults written to {target}")
    if store is not None:
        report["published"] = _publish(store, data, results, seed, {"run_id": run_id, "preset": args.preset})
    return report


def _publish(
    store: ObjectStore, data: PreparedData, results: dict[str, ModelResult], seed: int, extra: dict[str, Any]
) -> list[str]:
    models = {
        name: (r.model, {k: v for k, v in r.summary().items() if k != "config"}) for name, r in results.items()
    }
    try:
        refs = publish_run(store, data, models, seed=seed, extra=extra)
    except StoreError as exc:
        # Same error class, so callers can still tell "unreachable" from "denied".
        raise type(exc)(f"the run folder is complete, but publishing to {store.url} failed: {exc}") from exc
    for ref in refs:
        print(f"published {ref}")
    return [str(ref) for ref in refs]


def _log_statistics(data: PreparedData) -> None:
    s = data.stats
    log.info(
        "%s after cleaning: %d users, %d items, %d interactions, density %.5f; "
        "per user min/median/max %d/%g/%d; per item %d/%g/%d; %d validation and %d test users",
        data.config.dataset,
        s["users"],
        s["items"],
        s["interactions"],
        s["density"],
        s["per_user"]["min"],
        s["per_user"]["median"],
        s["per_user"]["max"],
        s["per_item"]["min"],
        s["per_item"]["median"],
        s["per_item"]["max"],
        s["valid_users"],
        s["test_users"],
    )


def _report(
    args: argparse.Namespace,
    data: PreparedData,
    results: dict[str, ModelResult],
    seed: int,
    device: str,
    validate: bool,
    refit: bool,
) -> dict[str, Any]:
    return {
        "dataset": {
            "name": args.dataset,
            **data.stats,
            "prep_hash": data.prep_hash,
            "split": data.config.split,
            "min_user_interactions": data.config.min_user_interactions,
            "min_item_interactions": data.config.min_item_interactions,
        },
        "run": {
            "preset": args.preset,
            "seed": seed,
            "device": device,
            "validate": validate,
            "refit": refit and validate,
        },
        "checks": {"expected_random_HR@10_test": expected_random_hr(eval_target(data, "test"))},
        "models": {name: result.summary() for name, result in results.items()},
    }


def main(argv: list[str] | None = None) -> int:
    return run_main("python -m jobs.train", __doc__, add_arguments, execute, argv)


def execute(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    return guarded(lambda: run(args, Settings()), "interrupted: no partial run folder or model version is visible")


if __name__ == "__main__":
    exit_process(main)
