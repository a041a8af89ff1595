"""The chunk contract: ``(job_id, chunk) -> parts/part-NNNNN.parquet + part manifest``, then finalize.

A chunk's output key is a pure function of (job, chunk) and its bytes a pure function of the job's
inputs (deterministic scoring, stable tie-break, Parquet written with fixed options), so a chunk
delivered twice writes the same bytes, and one whose part already verifies is skipped.
"""

import io
import json
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from shared.artifacts import ModelRef, PublishedModel, load_published_model
from shared.artifacts.manifest import to_json_bytes
from shared.batch.records import JobKeys, JobSpec, done_chunks, load_spec
from shared.batch.scoring import Scorer
from shared.checksums import sha256_bytes
from shared.device import resolve_device
from shared.errors import RecsysError
from shared.evaluation import EvalTarget, eval_target, score_target_chunk
from shared.preparation.interactions import InteractionMatrix
from shared.ranking import KS, metrics_from_ranks
from shared.store import NotFound, ObjectStore


def parquet_bytes(table: pa.Table) -> bytes:
    """Deterministic Parquet: fixed codec, one row group, no pandas metadata."""
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd", compression_level=3, row_group_size=max(1, table.num_rows))
    return sink.getvalue()


def read_parquet(data: bytes) -> pa.Table:
    return pq.read_table(io.BytesIO(data))


def negatives_key(dataset: str, prep_hash: str, protocol: str, seed: int) -> str:
    """Keyed by the split's hash, beside (not inside) the split's immutable, manifested prefix."""
    return f"sampled-negatives/{dataset}/{prep_hash}/{protocol}-seed{seed}.parquet"


@dataclass
class LoadedModel:
    """A model version loaded once per process, with what scoring it needs."""

    published: PublishedModel
    _targets: dict[str, EvalTarget] = field(default_factory=dict)

    @cached_property
    def scorer(self) -> Scorer:
        """Built on first use: evaluation jobs and job submission never need the index."""
        data = self.published.data
        history = InteractionMatrix.from_pairs(data.users, data.items, data.n_users, data.n_items)
        popularity = np.bincount(data.train_matrix(with_valid=True).indices, minlength=data.n_items)
        return Scorer(self.published.model, history, popularity)

    @cached_property
    def raw_users(self) -> np.ndarray:
        """Raw user ids as str, sorted (the index order)."""
        return self.published.data.user_ids.astype(str)

    @cached_property
    def raw_items(self) -> np.ndarray:
        return self.published.data.item_ids.astype(str)

    def eval_target(self, store: ObjectStore, spec: JobSpec) -> EvalTarget:
        key = spec.negatives_key or ""
        if key not in self._targets:
            target = eval_target(self.published.data, "test")
            if spec.negatives_key:
                table = read_parquet(store.get_bytes(spec.negatives_key))
                if not np.array_equal(table.column("user").to_numpy(), target.users):
                    raise RecsysError(f"{spec.negatives_key} does not match the test users of {spec.model}")
                negatives = np.stack(table.column("negatives").to_numpy(zero_copy_only=False)).astype(np.int64)
                target = EvalTarget(target.users, target.targets, target.seen, target.n_items, negatives)
            self._targets[key] = target
        return self._targets[key]


class ModelCache:
    """Per-process cache: each model version is loaded, and its index built, once."""

    def __init__(self, capacity: int = 2, device: str = "cpu") -> None:
        self.capacity = capacity
        self.device_setting = device  # resolved on first load, inside the worker process (never before fork)
        self._models: OrderedDict[tuple[str, str], LoadedModel] = OrderedDict()
        self._users: OrderedDict[str, np.ndarray] = OrderedDict()

    def model(self, store: ObjectStore, ref: str) -> LoadedModel:
        key = (store.url, ref)
        if key not in self._models:
            device = resolve_device(self.device_setting)
            self._models[key] = LoadedModel(load_published_model(store, ModelRef.parse(ref), device))
            while len(self._models) > self.capacity:
                self._models.popitem(last=False)
        self._models.move_to_end(key)
        return self._models[key]

    def requested_users(self, store: ObjectStore, spec: JobSpec, loaded: LoadedModel) -> np.ndarray:
        if spec.users_key is None:
            return loaded.raw_users
        if spec.job_id not in self._users:
            self._users[spec.job_id] = read_parquet(store.get_bytes(spec.users_key)).column("user_id").to_numpy(
                zero_copy_only=False
            ).astype(str)
            while len(self._users) > 8:
                self._users.popitem(last=False)
        return self._users[spec.job_id]


def verified_part(store: ObjectStore, spec: JobSpec, chunk: int) -> tuple[dict[str, Any], bytes] | None:
    """The part manifest and the part's bytes if both exist and the part matches its sha256, else None."""
    keys = JobKeys(spec.job_id)
    try:
        manifest: dict[str, Any] = json.loads(store.get_bytes(keys.part_manifest(chunk)))
        data = store.get_bytes(keys.part(chunk))
    except NotFound:
        return None
    return (manifest, data) if sha256_bytes(data) == manifest["sha256"] and len(data) == manifest["size"] else None


def _recommend_table(store: ObjectStore, spec: JobSpec, chunk: int, cache: ModelCache) -> pa.Table:
    loaded = cache.model(store, spec.model)
    lo, hi = spec.bounds(chunk)
    raw = cache.requested_users(store, spec, loaded)[lo:hi]
    pos = np.minimum(np.searchsorted(loaded.raw_users, raw), len(loaded.raw_users) - 1)
    known = loaded.raw_users[pos] == raw
    items = np.full((len(raw), spec.k), -1, dtype=np.int64)
    scores = np.full((len(raw), spec.k), -np.inf, dtype=np.float32)
    model_top = loaded.scorer.top_k(pos[known], spec.k, exclude_seen=not spec.include_seen)
    width = model_top.items.shape[1]
    items[known, :width], scores[known, :width] = model_top.items, model_top.scores
    fallback = loaded.scorer.fallback(int((~known).sum()), spec.k)
    width = fallback.items.shape[1]
    items[~known, :width], scores[~known, :width] = fallback.items, fallback.scores
    item_ids = loaded.raw_items
    lengths = (items >= 0).sum(axis=1)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    valid = items >= 0  # -1 only ever trails a row's real items
    return pa.table(
        {
            "user_id": pa.array(raw, pa.string()),
            "item_ids": pa.ListArray.from_arrays(pa.array(offsets), pa.array(item_ids[items[valid]], pa.string())),
            "scores": pa.ListArray.from_arrays(pa.array(offsets), pa.array(scores[valid], pa.float32())),
            "source": pa.array(np.where(known, "model", "fallback"), pa.string()),
        }
    )


def _evaluate_table(store: ObjectStore, spec: JobSpec, chunk: int, cache: ModelCache) -> pa.Table:
    loaded = cache.model(store, spec.model)
    target = loaded.eval_target(store, spec)
    lo, hi = spec.bounds(chunk)
    part = target.chunk(lo, hi)
    result = score_target_chunk(loaded.published.model, part, spec.k)
    raw = loaded.raw_users[part.users]
    k = result.top_items.shape[1]
    offsets = np.arange(0, (len(raw) + 1) * k, k, dtype=np.int32)
    return pa.table(
        {
            "user_id": pa.array(raw, pa.string()),
            "user": pa.array(part.users, pa.int64()),
            "rank": pa.array(result.ranks.astype(np.int64), pa.int64()),
            "top_items": pa.ListArray.from_arrays(
                pa.array(offsets), pa.array(result.top_items.reshape(-1), pa.int64())
            ),
        }
    )


def run_chunk(store: ObjectStore, job_id: str, chunk: int, cache: ModelCache) -> dict[str, Any]:
    """Compute one chunk and write its part, then its part manifest; skip one that verifies."""
    spec = load_spec(store, job_id)
    keys = JobKeys(job_id)
    existing = verified_part(store, spec, chunk)
    if existing is not None:
        return {"job_id": job_id, "chunk": chunk, "rows": existing[0]["rows"], "skipped": True}
    builder = _recommend_table if spec.kind == "recommend" else _evaluate_table
    table = builder(store, spec, chunk, cache)
    data = parquet_bytes(table)
    store.put_bytes(keys.part(chunk), data)
    manifest = {
        "chunk": chunk, "key": keys.part(chunk), "rows": table.num_rows, "size": len(data), "sha256": sha256_bytes(data)
    }
    if spec.kind == "recommend":
        manifest["fallback"] = int(np.sum(table.column("source").to_numpy(zero_copy_only=False) == "fallback"))
    store.put_bytes(keys.part_manifest(chunk), to_json_bytes(manifest))
    return {"job_id": job_id, "chunk": chunk, "rows": table.num_rows, "skipped": False}


def all_parts_done(store: ObjectStore, job_id: str) -> bool:
    return len(done_chunks(store, job_id)) == load_spec(store, job_id).n_chunks


def finalize(store: ObjectStore, job_id: str, cache: ModelCache) -> dict[str, Any]:
    """Idempotent fan-in: verify every part, write the job manifest (and metrics), then ``_SUCCESS``."""
    spec = load_spec(store, job_id)
    keys = JobKeys(job_id)
    if store.exists(keys.success):
        return {"job_id": job_id, "finalized": False, "reason": "already finalized"}
    parts, tables = [], []
    for chunk in range(spec.n_chunks):
        verified = verified_part(store, spec, chunk)
        if verified is None:
            raise RecsysError(f"job {job_id}: part {chunk} is missing or does not verify; cannot finalize")
        parts.append(verified[0])
        if spec.kind == "evaluate":
            tables.append(read_parquet(verified[1]))
    rows = sum(p["rows"] for p in parts)
    if rows != spec.n_users:
        raise RecsysError(f"job {job_id}: parts hold {rows} rows, expected {spec.n_users}")
    manifest: dict[str, Any] = {
        "job_id": job_id,
        "kind": spec.kind,
        "model": spec.model,
        "k": spec.k,
        "options": {"include_seen": spec.include_seen, "protocol": spec.protocol, "chunk_size": spec.chunk_size,
                    "users_key": spec.users_key, "negatives_key": spec.negatives_key, "seed": spec.seed},
        "rows": rows,
        "parts": parts,
    }
    if spec.kind == "recommend":
        manifest["fallback_rows"] = sum(p["fallback"] for p in parts)
        manifest["scoring"] = cache.model(store, spec.model).scorer.method
    else:
        manifest["files"], manifest["metrics"] = _write_metrics(store, spec, tables, cache)
    store.put_bytes(keys.manifest, to_json_bytes(manifest))
    store.put_bytes(keys.success, to_json_bytes({"finished_at": time.time(), "rows": rows}))
    return {"job_id": job_id, "finalized": True, "rows": rows}


def metrics_from_parts(tables: list[pa.Table], n_items: int) -> tuple[dict[str, float], pa.Table]:
    table = pa.concat_tables(tables)
    ranks = table.column("rank").to_numpy()
    tops = np.stack(table.column("top_items").to_numpy(zero_copy_only=False)).astype(np.int64)
    metrics: dict[str, float] = metrics_from_ranks(ranks, tops, n_items, KS)
    metrics["users"] = len(ranks)
    per_user: dict[str, Any] = {"user_id": table.column("user_id"), "rank": table.column("rank")}
    for k in KS:
        hit = ranks <= k
        per_user[f"HR@{k}"] = pa.array(hit.astype(np.float64))
        per_user[f"NDCG@{k}"] = pa.array(np.where(hit, 1.0 / np.log2(ranks + 1.0), 0.0))
    per_user["RR"] = pa.array(1.0 / ranks)
    return metrics, pa.table(per_user)


def _write_metrics(
    store: ObjectStore, spec: JobSpec, tables: list[pa.Table], cache: ModelCache
) -> tuple[list[dict[str, Any]], dict[str, float]]:
    keys = JobKeys(spec.job_id)
    n_items = cache.model(store, spec.model).published.model.n_items
    metrics, per_user = metrics_from_parts(tables, n_items)
    files = []
    for key, data in (
        (keys.per_user, parquet_bytes(per_user)),
        (keys.metrics, to_json_bytes({"model": spec.model, "protocol": spec.protocol, "metrics": metrics})),
    ):
        store.put_bytes(key, data)
        files.append({"key": key, "size": len(data), "sha256": sha256_bytes(data)})
    return files, metrics
