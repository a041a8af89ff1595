"""CI check of a fetched recommendation job: every user of the model's split exactly once, k items each.

Runs inside the worker container (it has ``shared`` and pandas):
    python check_recs.py --model amazon/fm@latest --k 10 DIR
DIR holds the Parquet part files written by ``recsys fetch JOB_ID --out DIR --format parquet``.
"""

import argparse
import itertools
import sys
from pathlib import Path

import pandas as pd

from shared.artifacts import ModelRef, load_prepared, read_manifest, resolve
from shared.settings import Settings
from shared.store import open_store


def check(folder: Path, model: str, k: int) -> list[str]:
    store = open_store(Settings())
    ref = resolve(store, ModelRef.parse(model))
    manifest = read_manifest(store, ref)
    data = load_prepared(store, manifest["dataset"], manifest["prep_hash"])
    expected = {str(user) for user in data.user_ids}
    parts = sorted(folder.glob("*.parquet"))
    if not parts:
        return [f"no Parquet files in {folder}"]
    rows = pd.concat([pd.read_parquet(part) for part in parts], ignore_index=True)
    problems: list[str] = []
    users = rows["user_id"].astype(str)
    if users.duplicated().any():
        repeated = users[users.duplicated()]
        problems.append(f"{len(repeated)} users appear more than once, e.g. {repeated.iloc[0]}")
    if set(users) != expected:
        missing, extra = expected - set(users), set(users) - expected
        problems.append(f"{len(missing)} users of {ref} missing, {len(extra)} unknown users present")
    for column in ("item_ids", "scores"):
        lengths = rows[column].map(len)
        if not (lengths == k).all():
            problems.append(f"{int((lengths != k).sum())} rows do not have exactly {k} {column}")
    duplicated_items = rows["item_ids"].map(lambda items: len(set(items)) != len(items))
    if duplicated_items.any():
        problems.append(f"{int(duplicated_items.sum())} rows repeat an item")
    unsorted = rows["scores"].map(lambda scores: any(a < b for a, b in itertools.pairwise(scores)))
    if unsorted.any():
        problems.append(f"{int(unsorted.sum())} rows are not sorted best first")
    print(f"{len(rows)} rows in {len(parts)} part(s) for {ref}; {len(expected)} users expected; k={k}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--model", required=True)
    parser.add_argument("--k", type=int, required=True)
    args = parser.parse_args(argv)
    problems = check(args.folder, args.model, args.k)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if not problems:
        print("recommendations OK: every user once, k items each, best first")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
