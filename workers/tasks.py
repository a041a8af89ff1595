"""Thin tasks: validate the payload, call ``shared.batch``, return a small dict."""

from functools import cache
from typing import Any

from celery import Task
from pydantic import BaseModel, ConfigDict, Field

from shared.batch.chunks import ModelCache
from shared.batch.execute import execute_chunk, execute_finalize
from shared.store import ObjectStore, open_store
from workers.app import SETTINGS, TASK_NAMES, app

_CACHE = ModelCache(device=SETTINGS.device)  # one per worker process: each model version loads once


class ChunkPayload(BaseModel):
    model_config = ConfigDict(extra="forbid")
    job_id: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    chunk: int = Field(ge=0)


class JobPayload(BaseModel):
    model_config = ConfigDict(extra="forbid")
    job_id: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")


@cache
def _store() -> ObjectStore:
    return open_store(SETTINGS)


class RetryableChunk(Exception):
    """Raised so Celery redelivers a chunk whose failure may be transient."""


def _chunk(task: Task, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    args = ChunkPayload.model_validate(payload)
    outcome = execute_chunk(_store(), args.job_id, args.chunk, _CACHE, kind)
    if outcome.retry:
        raise task.retry(exc=RetryableChunk(str(outcome.result)), countdown=1, max_retries=None)
    if outcome.all_done:
        app.send_task(TASK_NAMES["finalize"], kwargs={"job_id": args.job_id}, queue=SETTINGS.queue)
    return outcome.result


@app.task(name=TASK_NAMES["recommend"], bind=True)
def recommend_chunk(self: Task, **payload: Any) -> dict[str, Any]:
    return _chunk(self, "recommend", payload)


@app.task(name=TASK_NAMES["evaluate"], bind=True)
def evaluate_chunk(self: Task, **payload: Any) -> dict[str, Any]:
    return _chunk(self, "evaluate", payload)


@app.task(name=TASK_NAMES["finalize"])
def finalize_job(**payload: Any) -> dict[str, Any]:
    args = JobPayload.model_validate(payload)
    return execute_finalize(_store(), args.job_id, _CACHE)
