"""The job record, kept in the store next to the job's outputs (not in Celery's result backend).

```
jobs/{job_id}/job.json                    the spec, written once after the input was validated
jobs/{job_id}/input/users.parquet         requested raw user ids (recommend jobs with --users)
jobs/{job_id}/attempts/NNNNN-{uuid}       one empty marker per delivery of chunk NNNNN
jobs/{job_id}/failures/NNNNN.json         why chunk NNNNN gave up
jobs/{job_id}/parts/part-NNNNN.parquet    a chunk's rows
jobs/{job_id}/parts/part-NNNNN.json       its part manifest {rows, size, sha256}: the "done" marker
jobs/{job_id}/manifest.json, _SUCCESS     written by finalize, _SUCCESS last
jobs/{job_id}/_FAILED                     {reason}: the job will not finish
```

Every key is written once by one writer (or rewritten with identical bytes), so no
read-modify-write race exists: the state is derived from which keys exist.
"""

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.artifacts.manifest import to_json_bytes
from shared.errors import RecsysError
from shared.store import NotFound, ObjectStore

JobKind = Literal["recommend", "evaluate"]
Protocol = Literal["full", "sampled-uniform-99", "sampled-pop-99"]
State = Literal["RUNNING", "FINALIZING", "SUCCEEDED", "FAILED"]


class JobSpec(BaseModel):
    """Everything a chunk needs to know, besides its own number."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    job_id: str
    kind: JobKind
    model: str = Field(description="concrete model reference DATASET/MODEL@VERSION")
    k: int = Field(ge=1)
    include_seen: bool = False
    protocol: Protocol = "full"
    chunk_size: int = Field(ge=1)
    n_users: int = Field(ge=1)
    n_chunks: int = Field(ge=1)
    users_key: str | None = None
    negatives_key: str | None = None
    seed: int = 0
    max_attempts: int = Field(3, ge=1)
    created_at: float

    def bounds(self, chunk: int) -> tuple[int, int]:
        if not 0 <= chunk < self.n_chunks:
            raise RecsysError(f"job {self.job_id} has no chunk {chunk}")
        lo = chunk * self.chunk_size
        return lo, min(self.n_users, lo + self.chunk_size)


@dataclass(frozen=True)
class JobKeys:
    job_id: str

    @property
    def prefix(self) -> str:
        return f"jobs/{self.job_id}"

    @property
    def spec(self) -> str:
        return f"{self.prefix}/job.json"

    @property
    def users(self) -> str:
        return f"{self.prefix}/input/users.parquet"

    def part(self, chunk: int) -> str:
        return f"{self.prefix}/parts/part-{chunk:05d}.parquet"

    def part_manifest(self, chunk: int) -> str:
        return f"{self.prefix}/parts/part-{chunk:05d}.json"

    def attempt(self, chunk: int) -> str:
        return f"{self.prefix}/attempts/{chunk:05d}-{uuid.uuid4().hex}"

    def failure(self, chunk: int) -> str:
        return f"{self.prefix}/failures/{chunk:05d}.json"

    @property
    def manifest(self) -> str:
        return f"{self.prefix}/manifest.json"

    @property
    def metrics(self) -> str:
        return f"{self.prefix}/metrics.json"

    @property
    def per_user(self) -> str:
        return f"{self.prefix}/per_user.parquet"

    @property
    def success(self) -> str:
        return f"{self.prefix}/_SUCCESS"

    @property
    def failed(self) -> str:
        return f"{self.prefix}/_FAILED"


def new_job_id(kind: JobKind) -> str:
    return f"{kind[:3]}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{uuid.uuid4().hex[:8]}"


def load_spec(store: ObjectStore, job_id: str) -> JobSpec:
    try:
        return JobSpec.model_validate_json(store.get_bytes(JobKeys(job_id).spec))
    except NotFound as exc:
        raise RecsysError(f"no job {job_id!r} in {store.url}; check the id printed by recommend/evaluate") from exc


def mark_failed(store: ObjectStore, job_id: str, reason: str) -> None:
    """Record that the job will not finish (the first reason is kept)."""
    keys = JobKeys(job_id)
    if not store.exists(keys.failed) and not store.exists(keys.success):
        store.put_bytes(keys.failed, to_json_bytes({"reason": reason, "at": time.time()}))


def record_attempt(store: ObjectStore, job_id: str, chunk: int) -> int:
    """Count this delivery of the chunk; returns how many deliveries there have been."""
    keys = JobKeys(job_id)
    store.put_bytes(keys.attempt(chunk), b"")
    return len(store.list(f"{keys.prefix}/attempts/{chunk:05d}-"))


def record_failure(store: ObjectStore, job_id: str, chunk: int, error: str, attempts: int) -> None:
    record = {"chunk": chunk, "error": error, "attempts": attempts}
    store.put_bytes(JobKeys(job_id).failure(chunk), to_json_bytes(record))


def done_chunks(store: ObjectStore, job_id: str) -> list[int]:
    keys = store.list(f"{JobKeys(job_id).prefix}/parts/part-")
    return sorted(int(k[-10:-5]) for k in keys if k.endswith(".json"))


@dataclass(frozen=True)
class JobStatus:
    spec: JobSpec
    state: State
    done: int
    failures: list[dict[str, Any]]
    reason: str | None
    elapsed_s: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "job_id": self.spec.job_id,
            "kind": self.spec.kind,
            "model": self.spec.model,
            "state": self.state,
            "chunks_done": self.done,
            "chunks_total": self.spec.n_chunks,
            "failures": self.failures,
            "reason": self.reason,
            "elapsed_s": round(self.elapsed_s, 3),
        }

    def line(self) -> str:
        text = (
            f"{self.spec.job_id} {self.state} {self.done}/{self.spec.n_chunks} chunks, "
            f"{len(self.failures)} failed, {self.elapsed_s:.1f}s"
        )
        return text + (f": {self.reason}" if self.reason else "")


def job_status(store: ObjectStore, job_id: str) -> JobStatus:
    spec = load_spec(store, job_id)
    keys = JobKeys(job_id)
    failures = [json.loads(store.get_bytes(k)) for k in store.list(f"{keys.prefix}/failures/")]
    done = len(done_chunks(store, job_id))
    reason = None
    end = time.time()
    if store.exists(keys.success):
        state: State = "SUCCEEDED"
        end = json.loads(store.get_bytes(keys.success))["finished_at"]
    elif store.exists(keys.failed):
        state = "FAILED"
        record = json.loads(store.get_bytes(keys.failed))
        reason, end = record["reason"], record["at"]
    else:
        state = "FINALIZING" if done == spec.n_chunks else "RUNNING"
    return JobStatus(spec, state, done, failures, reason, max(0.0, end - spec.created_at))
