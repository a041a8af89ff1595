"""What a worker does with one delivery of a chunk: count it, cap redeliveries, run, report."""

import logging
from dataclasses import dataclass
from typing import Any

from shared.batch.chunks import ModelCache, all_parts_done, finalize, run_chunk
from shared.batch.records import JobKeys, load_spec, mark_failed, record_attempt, record_failure
from shared.errors import RecsysError
from shared.store import ObjectStore

log = logging.getLogger("recsys.batch")


@dataclass(frozen=True)
class ChunkOutcome:
    result: dict[str, Any]
    retry: bool = False
    all_done: bool = False


def execute_chunk(store: ObjectStore, job_id: str, chunk: int, cache: ModelCache, kind: str) -> ChunkOutcome:
    """Run one delivery. Bad input fails the job at once; other errors are retried until the cap."""
    spec = load_spec(store, job_id)
    if spec.kind != kind:
        raise RecsysError(f"job {job_id} is a {spec.kind} job, not {kind}")
    keys = JobKeys(job_id)
    if store.exists(keys.failed) or store.exists(keys.success):
        return ChunkOutcome({"job_id": job_id, "chunk": chunk, "skipped": True, "reason": "job finished"})
    attempts = record_attempt(store, job_id, chunk)
    if attempts > spec.max_attempts:
        error = f"chunk {chunk} was delivered {attempts} times (cap {spec.max_attempts}); giving up"
        record_failure(store, job_id, chunk, error, attempts)
        mark_failed(store, job_id, error)
        return ChunkOutcome({"job_id": job_id, "chunk": chunk, "failed": True})
    try:
        result = run_chunk(store, job_id, chunk, cache)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        log.exception("job %s chunk %d attempt %d failed", job_id, chunk, attempts)
        record_failure(store, job_id, chunk, error, attempts)
        final = isinstance(exc, RecsysError | ValueError) or attempts >= spec.max_attempts
        if final:
            mark_failed(store, job_id, f"chunk {chunk}: {error}")
        return ChunkOutcome({"job_id": job_id, "chunk": chunk, "failed": True}, retry=not final)
    return ChunkOutcome(result, all_done=all_parts_done(store, job_id))


def execute_finalize(store: ObjectStore, job_id: str, cache: ModelCache) -> dict[str, Any]:
    try:
        return finalize(store, job_id, cache)
    except Exception as exc:
        mark_failed(store, job_id, f"finalize: {type(exc).__name__}: {exc}")
        raise
