"""Grid search of FM and NCF settings on validation data only; the best of each is refit and tested.

    python bench/tune.py --dataset amazon --out docs/tuning-amazon.json

Prints one JSON line per configuration (validation metrics, best epoch) and, at the end, the chosen
configuration of each model with its test metrics. The test split is never used to choose.
"""

import argparse
import itertools
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

import torch

from shared.datasets import load_raw, resolve
from shared.models import CONFIGS
from shared.preparation import PrepConfig, prepare
from shared.training import Protocol, train_and_evaluate

GRIDS: dict[str, dict[str, list[Any]]] = {
    "fm": {
        "loss": ["bce", "bpr"],
        "learning_rate": [1e-3, 3e-3],
        "l2": [0.0, 1e-4],
        "negative_sampling": ["static", "resample"],
    },
    "ncf": {
        "learning_rate": [1e-3, 3e-4],
        "l2": [0.0, 1e-5],
        "negative_sampling": ["static", "resample"],
    },
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="amazon")
    parser.add_argument("--models", default="fm,ncf")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--grid", type=json.loads, help="JSON {model: {field: [values]}} to search instead")
    parser.add_argument("--fixed", type=json.loads, default={}, help="JSON {model: {field: value}}")
    args = parser.parse_args()
    grids = args.grid or GRIDS
    torch.set_num_threads(1)  # small batches: one thread is fastest, and runs in parallel do not fight
    logging.basicConfig(level=logging.WARNING)
    spec = resolve(args.dataset)
    data = prepare(
        load_raw(spec, Path("data")),
        PrepConfig(
            args.dataset, spec.min_user_interactions, spec.min_item_interactions, seed=args.seed
        ),
    )
    rows: list[dict[str, Any]] = []
    for name in args.models.split(","):
        grid = grids[name]
        for values in itertools.product(*grid.values()):
            params = {**args.fixed.get(name, {}), **dict(zip(grid, values, strict=True))}
            config = CONFIGS[name](**params)
            start = time.perf_counter()
            result = train_and_evaluate(name, config, data, Protocol(refit=False), args.seed, "cpu")
            assert result.valid is not None
            row = {
                "model": name,
                "params": params,
                "best_epoch": result.best_epoch,
                "valid_HR@10": result.valid["HR@10"],
                "valid_NDCG@10": result.valid["NDCG@10"],
                "seconds": round(time.perf_counter() - start, 1),
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
    chosen: dict[str, Any] = {}
    for name in args.models.split(","):
        best = max((r for r in rows if r["model"] == name), key=lambda r: r["valid_NDCG@10"])
        # Refit = a fresh model trained on train + validation for the best epoch count; the grid
        # search above already found that count, so it is not searched again.
        config = CONFIGS[name](**{**best["params"], "max_epochs": best["best_epoch"]})
        result = train_and_evaluate(name, config, data, Protocol(validate=False), args.seed, "cpu")
        chosen[name] = {**best, "test": result.test}
        print(json.dumps({"chosen": name, **chosen[name]}), flush=True)
    report = {"dataset": args.dataset, "seed": args.seed, "grid": rows, "chosen": chosen}
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    args.out.with_suffix(".md").write_text(markdown(report))
    return 0


def markdown(report: dict[str, Any]) -> str:
    """The grid as a table, best validation NDCG@10 first, and each model's chosen setting on test."""
    lines = [
        f"Dataset `{report['dataset']}`, seed {report['seed']}. Selection on validation NDCG@10 only.",
        "",
        "| model | setting | best epoch | valid HR@10 | valid NDCG@10 | seconds |",
        "|---|---|---|---|---|---|",
    ]
    for row in sorted(report["grid"], key=lambda r: (r["model"], -r["valid_NDCG@10"])):
        setting = ", ".join(f"{k}={v}" for k, v in row["params"].items())
        lines.append(
            f"| {row['model']} | {setting} | {row['best_epoch']} | {row['valid_HR@10']:.4f} "
            f"| {row['valid_NDCG@10']:.4f} | {row['seconds']} |"
        )
    lines += ["", "| model | chosen setting | test HR@10 | test NDCG@10 |", "|---|---|---|---|"]
    for name, row in report["chosen"].items():
        setting = ", ".join(f"{k}={v}" for k, v in row["params"].items())
        lines.append(f"| {name} | {setting} | {row['test']['HR@10']:.4f} | {row['test']['NDCG@10']:.4f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
