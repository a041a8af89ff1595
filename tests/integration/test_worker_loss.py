"""A worker process killed (SIGKILL) in the middle of a chunk: the chunk is redelivered, up to the cap."""

import json
import os
import signal
import time

import pytest

from jobs.cli import main
from shared.artifacts import publish_model
from shared.batch.records import JobKeys, job_status
from shared.models import NCF
from shared.store import LocalStore
from tests.synthetic import synthetic_data
from workers.local import LocalWorker, worker_env

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def slow_store(tmp_path_factory):
    """An untrained NCF over 3000 items: one 1500-user chunk takes seconds, long enough to be killed."""
    data = synthetic_data(n_users=1500, n_items=3000, per_user=5)
    root = tmp_path_factory.mktemp("slow-store")
    store = LocalStore(root)
    store.ensure_ready()
    publish_model(store, NCF(data.n_users, data.n_items), data, metrics={}, seed=0)
    return store


def _kill_deliveries(store, worker, job_id, kills, timeout=120.0):
    """SIGKILL the worker's child each time a new delivery of chunk 0 starts, ``kills`` times."""
    keys = JobKeys(job_id)
    killed = 0
    deadline = time.monotonic() + timeout
    while killed < kills:
        assert time.monotonic() < deadline, job_status(store, job_id).line()
        attempts = len(store.list(f"{keys.prefix}/attempts/"))
        if attempts > killed:
            assert not store.exists(keys.part_manifest(0)), "the chunk finished before it could be killed"
            for pid in worker.children():
                os.kill(pid, signal.SIGKILL)
            killed += 1
        time.sleep(0.02)


def _wait_final(store, job_id, timeout=180.0):
    deadline = time.monotonic() + timeout
    while (status := job_status(store, job_id)).state not in ("SUCCEEDED", "FAILED"):
        assert time.monotonic() < deadline, status.line()
        time.sleep(0.2)
    return status


def _submit(monkeypatch, capsys, env, *extra):
    for key, value in env.items():
        if key.startswith("RECSYS_"):
            monkeypatch.setenv(key, value)
    assert main(["recommend", "--model", "synth/ncf@latest", "--k", "10", "--chunk-size", "1500", *extra]) == 0
    return capsys.readouterr().out.split()[0]


def _run_with_kills(monkeypatch, capsys, redis_url, store, tmp_path, max_attempts, kills):
    """One-chunk job on one worker process, killed at the start of its first ``kills`` deliveries."""
    env = worker_env(redis_url, store.url, f"test-loss-{max_attempts}-{kills}", RECSYS_MAX_ATTEMPTS=str(max_attempts))
    worker = LocalWorker(env, 1, tmp_path / "worker.log")
    try:
        job_id = _submit(monkeypatch, capsys, env)
        _kill_deliveries(store, worker, job_id, kills=kills)
        return job_id, _wait_final(store, job_id)
    finally:
        worker.stop()


def test_killed_chunk_is_redelivered_and_gives_the_same_part(monkeypatch, capsys, redis_url, slow_store, tmp_path):
    job_id, status = _run_with_kills(monkeypatch, capsys, redis_url, slow_store, tmp_path, max_attempts=3, kills=1)
    assert status.state == "SUCCEEDED", status.line()
    assert len(slow_store.list(f"{JobKeys(job_id).prefix}/attempts/")) == 2
    monkeypatch.delenv("RECSYS_BROKER_URL")
    embedded = _submit(monkeypatch, capsys, {"RECSYS_STORE_URL": slow_store.url})
    parts = [json.loads(slow_store.get_bytes(JobKeys(j).manifest))["parts"] for j in (job_id, embedded)]
    assert parts[0][0]["sha256"] == parts[1][0]["sha256"]


def test_chunk_killed_on_every_delivery_fails_the_job_after_the_cap(monkeypatch, capsys, redis_url, slow_store,
                                                                    tmp_path):
    job_id, status = _run_with_kills(monkeypatch, capsys, redis_url, slow_store, tmp_path, max_attempts=2, kills=2)
    assert status.state == "FAILED"
    assert "delivered 3 times (cap 2)" in (status.reason or "")
    assert not slow_store.exists(JobKeys(job_id).part(0))
