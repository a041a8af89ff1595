"""Publish and load a model version through RECSYS_STORE_URL, against the bare transfer of the
same bytes through the same store (the bound). Prints JSON.

    RECSYS_STORE_URL=file:///tmp/bench-store python -m bench.store_roundtrip --users 50000 --items 20000
"""

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from shared.artifacts import ModelRef, load_published_model, publish_model
from shared.models import FM, FMConfig
from shared.preparation import PreparedData, PrepConfig
from shared.settings import Settings
from shared.store import ensure_store, open_store


def synthetic_data(n_users: int, n_items: int, per_user: int, seed: int) -> PreparedData:
    rng = np.random.default_rng(seed)
    users = np.repeat(np.arange(n_users, dtype=np.int64), per_user)
    items = rng.integers(0, n_items, size=len(users), dtype=np.int64)
    labels = np.tile(np.array([0] * (per_user - 2) + [1, 2], dtype=np.int8), n_users)
    return PreparedData(
        PrepConfig("bench", 1, 1),
        np.array([f"u{i}" for i in range(n_users)], dtype=object),
        np.array([f"i{i}" for i in range(n_items)], dtype=object),
        users, items, np.arange(len(users), dtype=np.int64), labels, {"bench": True},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20000)
    parser.add_argument("--items", type=int, default=10000)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--per-user", type=int, default=10)
    args = parser.parse_args()
    store = open_store(Settings())
    ensure_store(store)
    data = synthetic_data(args.users, args.items, args.per_user, seed=0)
    model = FM(args.users, args.items, FMConfig(embedding_dim=args.dim), seed=0)

    start = time.perf_counter()
    ref = publish_model(store, model, data, metrics={}, seed=0)
    publish_s = time.perf_counter() - start
    start = time.perf_counter()
    loaded = load_published_model(store, ModelRef(ref.dataset, ref.model))
    load_s = time.perf_counter() - start
    assert loaded.ref == ref

    # Bound: the same files moved with bare put_file/get_file, no hashing, manifests or parsing.
    sizes = {name: f["size"] for name, f in loaded.manifest["files"].items()}
    prepared = f"datasets/{ref.dataset}/{loaded.manifest['prep_hash']}/"
    keys = [ref.prefix + n for n in sizes] + [k for k in store.list(prepared) if not k.endswith("_SUCCESS")]
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, key in enumerate(keys):
            paths.append(Path(tmp) / f"f{i}")
            store.get_file(key, paths[-1])
        start = time.perf_counter()
        for i, path in enumerate(paths):
            store.put_file(f"bench-raw/f{i}", path)
        put_s = time.perf_counter() - start
        start = time.perf_counter()
        for i, path in enumerate(paths):
            store.get_file(f"bench-raw/f{i}", path)
        get_s = time.perf_counter() - start
        total_bytes = sum(p.stat().st_size for p in paths)
    for i in range(len(paths)):
        store.delete(f"bench-raw/f{i}")

    print(json.dumps({
        "store": store.url.split("://")[0],
        "bytes": total_bytes,
        "publish_s": round(publish_s, 3),
        "bare_put_s": round(put_s, 3),
        "load_verified_s": round(load_s, 3),
        "bare_get_s": round(get_s, 3),
        "publish_over_bare": round(publish_s / put_s, 2),
        "load_over_bare": round(load_s / get_s, 2),
    }, indent=2))


if __name__ == "__main__":
    main()
