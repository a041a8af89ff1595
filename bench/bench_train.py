"""Training seconds per epoch (FM, NCF) and full-ranking evaluation seconds on a dataset, as JSON.

    python bench/bench_train.py --dataset amazon --epochs 3

Evaluation time is reported beside a bound measured in the same run on the same user and item
arrays: the bare float32 matrix product of user and item embeddings plus torch.topk(10), on the same threads.
"""

import argparse
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from shared.datasets import load_raw, resolve
from shared.evaluation import eval_target, evaluate
from shared.models import NeuralRecommender, build_model
from shared.preparation import PrepConfig, prepare
from shared.presets import preset_configs


def _bound_seconds(user_vectors: torch.Tensor, item_vectors: torch.Tensor, k: int = 10) -> float:
    start = time.perf_counter()
    torch.topk(user_vectors @ item_vectors.T, k, dim=1)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="amazon")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    spec = resolve(args.dataset)
    data = prepare(
        load_raw(spec, Path("data")),
        PrepConfig(args.dataset, spec.min_user_interactions, spec.min_item_interactions),
    )
    train = data.train_matrix()
    target = eval_target(data, "test")
    configs = preset_configs("default", seed=0)
    out: dict[str, Any] = {
        "dataset": args.dataset,
        "users": data.n_users,
        "items": data.n_items,
        "evaluated_users": len(target.users),
        "torch_threads": args.threads,
        "machine": f"{platform.machine()} {platform.processor()}".strip(),
        "models": {},
    }
    for name in ("fm", "ncf", "pop"):
        model = build_model(name, configs[name], data.n_users, data.n_items)
        row: dict[str, Any] = {}
        if isinstance(model, NeuralRecommender):
            times = []
            for _ in range(args.epochs):
                start = time.perf_counter()
                model.train_epoch(train)
                times.append(time.perf_counter() - start)
            row["train_seconds_per_epoch"] = round(float(np.mean(times)), 3)
        else:
            model.fit(train)
        start = time.perf_counter()
        evaluate(model, target)
        row["eval_seconds"] = round(time.perf_counter() - start, 3)
        out["models"][name] = row
    dim = 64
    generator = torch.Generator().manual_seed(0)
    users = torch.randn(len(target.users), dim, generator=generator)
    items = torch.randn(data.n_items, dim, generator=generator)
    bound = min(_bound_seconds(users, items) for _ in range(3))
    out["bound_gemm_topk_seconds"] = round(bound, 4)
    for row in out["models"].values():
        row["eval_over_bound"] = round(row["eval_seconds"] / bound, 1)
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
