"""Validate a job's input, write its record, and run it in-process (the embedded default).

Nothing is written to the store until every input checked out, so bad input never leaves a job
behind; once ``job.json`` exists, a dispatch failure marks the job FAILED rather than RUNNING.
"""

import math
import time
from pathlib import Path
from typing import Any, get_args

import numpy as np
import pyarrow as pa

from shared.artifacts import ModelRef, resolve
from shared.artifacts.manifest import to_json_bytes
from shared.batch.chunks import ModelCache, finalize, negatives_key, parquet_bytes, run_chunk
from shared.batch.records import JobKeys, JobSpec, Protocol, mark_failed, new_job_id
from shared.errors import ConfigError, RecsysError
from shared.evaluation import eval_target, sampled_negatives
from shared.ranking import KS
from shared.sampled import SAMPLED_NEGATIVES
from shared.seeding import derive_seed
from shared.store import ObjectStore


def read_user_file(path: Path) -> list[str]:
    """Raw user ids, one per line; blank lines ignored; duplicates kept once, first come first."""
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"user file {path} does not exist") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"user file {path} is not UTF-8 text; give one raw user id per line") from exc
    users: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        value = line.strip()
        if not value:
            continue
        if any(ch.isspace() for ch in value) or "," in value or "\x00" in value:
            raise ConfigError(f"user file {path}, line {number}: {value[:40]!r} is not one user id; give one per line")
        users.append(value)
    if not users:
        raise ConfigError(f"user file {path} holds no user ids; give one raw user id per line")
    return list(dict.fromkeys(users))


def _check_sizes(k: int, chunk_size: int) -> None:
    if k <= 0:
        raise ConfigError(f"--k must be a positive number of items, got {k}")
    if chunk_size <= 0:
        raise ConfigError(f"--chunk-size must be a positive number of users, got {chunk_size}")


def _resolve(store: ObjectStore, ref_text: str) -> ModelRef:
    return resolve(store, ModelRef.parse(ref_text))


def submit_recommend(
    store: ObjectStore,
    cache: ModelCache,
    ref_text: str,
    *,
    k: int,
    users_file: Path | None,
    include_seen: bool,
    chunk_size: int,
    seed: int,
    max_attempts: int,
) -> JobSpec:
    _check_sizes(k, chunk_size)
    ref = _resolve(store, ref_text)
    users = read_user_file(users_file) if users_file is not None else None
    job_id = new_job_id("recommend")
    keys = JobKeys(job_id)
    if users is None:
        n_users = cache.model(store, str(ref)).published.data.n_users
        users_key = None
    else:
        n_users, users_key = len(users), keys.users
        store.put_bytes(users_key, parquet_bytes(pa.table({"user_id": pa.array(users, pa.string())})))
    spec = JobSpec(
        job_id=job_id, kind="recommend", model=str(ref), k=k, include_seen=include_seen, chunk_size=chunk_size,
        n_users=n_users, n_chunks=math.ceil(n_users / chunk_size), users_key=users_key, seed=seed,
        max_attempts=max_attempts, created_at=time.time(),
    )
    store.put_bytes(keys.spec, to_json_bytes(spec.model_dump()))
    return spec


def submit_evaluate(
    store: ObjectStore,
    cache: ModelCache,
    ref_text: str,
    *,
    protocol: Protocol,
    chunk_size: int,
    seed: int,
    max_attempts: int,
) -> JobSpec:
    _check_sizes(max(KS), chunk_size)
    if protocol not in get_args(Protocol):
        raise ConfigError(f"unknown protocol {protocol!r}; choose {', '.join(get_args(Protocol))}")
    ref = _resolve(store, ref_text)
    data = cache.model(store, str(ref)).published.data
    target = eval_target(data, "test")
    if len(target.users) == 0:
        raise ConfigError(f"{ref} has no test users to evaluate")
    neg_key = None
    if protocol != "full":
        neg_key = ensure_sampled_negatives(store, ref.dataset, data.prep_hash, protocol, seed, target)
    job_id = new_job_id("evaluate")
    spec = JobSpec(
        job_id=job_id, kind="evaluate", model=str(ref), k=max(KS), protocol=protocol, chunk_size=chunk_size,
        n_users=len(target.users), n_chunks=math.ceil(len(target.users) / chunk_size), negatives_key=neg_key,
        seed=seed, max_attempts=max_attempts, created_at=time.time(),
    )
    store.put_bytes(JobKeys(job_id).spec, to_json_bytes(spec.model_dump()))
    return spec


def ensure_sampled_negatives(
    store: ObjectStore, dataset: str, prep_hash: str, protocol: str, seed: int, target: Any
) -> str:
    """The split's fixed sampled negatives: drawn once per (split, protocol, seed), shared by all models."""
    key = negatives_key(dataset, prep_hash, protocol, seed)
    if not store.exists(key):
        weighting = "popularity" if protocol == "sampled-pop-99" else "uniform"
        try:
            negatives = sampled_negatives(
                target, weighting, SAMPLED_NEGATIVES, derive_seed(seed, "sampled-eval", protocol, prep_hash)
            )
        except ValueError as exc:
            raise ConfigError(f"{protocol} cannot run on this split: {exc}") from exc
        offsets = np.arange(0, (len(negatives) + 1) * SAMPLED_NEGATIVES, SAMPLED_NEGATIVES, dtype=np.int32)
        table = pa.table({
            "user": pa.array(target.users, pa.int64()),
            "negatives": pa.ListArray.from_arrays(pa.array(offsets), pa.array(negatives.reshape(-1), pa.int64())),
        })
        store.put_bytes(key, parquet_bytes(table))
    return key


def run_in_process(store: ObjectStore, spec: JobSpec, cache: ModelCache) -> dict[str, Any]:
    """The embedded runner: the same chunk and finalize functions the workers run, one after another."""
    try:
        for chunk in range(spec.n_chunks):
            run_chunk(store, spec.job_id, chunk, cache)
        return finalize(store, spec.job_id, cache)
    except BaseException as exc:
        mark_failed(store, spec.job_id, f"{type(exc).__name__}: {exc}")
        if isinstance(exc, RecsysError):
            raise
        raise RecsysError(f"job {spec.job_id} failed: {type(exc).__name__}: {exc}") from exc
