"""End to end through Redis and real Celery worker processes (1 and 2 of them)."""

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobs.cli import main
from shared.artifacts import load_published_model, publish_model
from shared.batch.chunks import read_parquet
from shared.batch.records import JobKeys, job_status
from shared.evaluation import eval_target, evaluate
from shared.store import LocalStore, ensure_store, open_store
from tests.conftest import s3_settings
from workers.local import LocalWorker, worker_env

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", params=[1, 2], ids=["1-worker-celery", "2-workers-recsys"])
def worker(request, redis_url, published, tmp_path_factory) -> Iterator[tuple[int, dict[str, str]]]:
    """One process through ``celery -A workers.app worker``, two through ``recsys worker``."""
    env = worker_env(redis_url, published[0].as_uri(), f"test-{request.param}")
    log = tmp_path_factory.mktemp("logs") / "worker.log"
    proc = LocalWorker(env, request.param, log, via_recsys=request.param == 2)
    yield request.param, env
    proc.stop()


def _run(monkeypatch, capsys, env, *argv) -> str:
    for key, value in env.items():
        if key.startswith("RECSYS_"):
            monkeypatch.setenv(key, value)
    assert main(list(argv)) == 0
    return capsys.readouterr().out.strip().splitlines()[0]


def _wait(store, job_id: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while (status := job_status(store, job_id)).state not in ("SUCCEEDED", "FAILED"):
        assert time.monotonic() < deadline, status.line()
        time.sleep(0.2)
    assert status.state == "SUCCEEDED", status.line()


@pytest.mark.parametrize("chunk_size", [5, 17, 1000])
@pytest.mark.parametrize("model", ["fm", "ncf"])
def test_worker_evaluation_equals_in_process(monkeypatch, capsys, worker, published, model, chunk_size):
    store = LocalStore(published[0])
    job_id = _run(monkeypatch, capsys, worker[1], "evaluate", "--model", f"synth/{model}@latest",
                  "--chunk-size", str(chunk_size))
    _wait(store, job_id)
    got = json.loads(store.get_bytes(JobKeys(job_id).metrics))["metrics"]
    loaded = load_published_model(store, published[1][model])
    assert got == evaluate(loaded.model, eval_target(loaded.data, "test")).metrics
    assert job_status(store, job_id).done == -(-got["users"] // chunk_size)


def test_worker_sampled_evaluation_equals_embedded(monkeypatch, capsys, worker, published):
    store = LocalStore(published[0])
    argv = ("evaluate", "--model", "synth/ncf@latest", "--protocol", "sampled-pop-99", "--chunk-size", "8")
    queued = _run(monkeypatch, capsys, worker[1], *argv)
    monkeypatch.delenv("RECSYS_BROKER_URL")
    embedded = _run(monkeypatch, capsys, {}, *argv)
    _wait(store, queued)
    metrics = [json.loads(store.get_bytes(JobKeys(j).metrics))["metrics"] for j in (queued, embedded)]
    assert metrics[0] == metrics[1]


def test_worker_recommend_parts_equal_embedded_and_cover_every_user(
    monkeypatch, capsys, worker, published, tmp_path, data
):
    store = LocalStore(published[0])
    users = tmp_path / "users.txt"
    wanted = [*map(str, data.user_ids[::2]), "ghost-1", "ghost-2"]
    users.write_text("\n".join(wanted) + "\n")
    argv = ("recommend", "--model", "synth/fm@latest", "--k", "6", "--users", str(users), "--chunk-size", "4")
    queued = _run(monkeypatch, capsys, worker[1], *argv)
    monkeypatch.delenv("RECSYS_BROKER_URL")
    embedded = _run(monkeypatch, capsys, {}, *argv)
    _wait(store, queued)
    manifests = [json.loads(store.get_bytes(JobKeys(j).manifest)) for j in (queued, embedded)]
    assert [p["sha256"] for p in manifests[0]["parts"]] == [p["sha256"] for p in manifests[1]["parts"]]
    rows = [r for p in manifests[0]["parts"] for r in read_parquet(store.get_bytes(p["key"])).to_pylist()]
    assert [r["user_id"] for r in rows] == wanted
    assert all(len(r["item_ids"]) == 6 for r in rows)
    assert [r["source"] for r in rows[-2:]] == ["fallback", "fallback"]
    assert manifests[0]["fallback_rows"] == 2 and manifests[0]["scoring"] == "faiss-flat-ip"


def test_bad_model_with_a_broker_leaves_no_job(monkeypatch, capsys, worker, published):
    store = LocalStore(published[0])
    before = set(store.list("jobs/"))
    for key, value in worker[1].items():
        if key.startswith("RECSYS_"):
            monkeypatch.setenv(key, value)
    assert main(["recommend", "--model", "synth/fm@nope", "--k", "5"]) == 2
    assert "is not a complete published version" in capsys.readouterr().err
    assert set(store.list("jobs/")) == before


def test_unreachable_broker_marks_the_job_failed(monkeypatch, capsys, published):
    store = LocalStore(published[0])
    monkeypatch.setenv("RECSYS_STORE_URL", Path(published[0]).as_uri())
    monkeypatch.setenv("RECSYS_BROKER_URL", "redis://127.0.0.1:1/0")
    assert main(["recommend", "--model", "synth/pop@latest", "--k", "5"]) == 2
    captured = capsys.readouterr()
    assert "could not enqueue" in captured.err
    job_id = re.search(r"could not enqueue job (\S+)", captured.err)[1]  # type: ignore[index]
    assert job_status(store, job_id).state == "FAILED"


def test_workers_on_the_s3_store_match_the_local_embedded_run(monkeypatch, capsys, s3_env, redis_url, published,
                                                              tmp_path):
    """The whole path on a real S3 server (SeaweedFS): same parts and metrics as the local store."""
    settings = s3_settings(s3_env.endpoint)
    s3 = open_store(settings)
    ensure_store(s3)
    local = LocalStore(published[0])
    for ref in published[1].values():
        loaded = load_published_model(local, ref)
        publish_model(s3, loaded.model, loaded.data, metrics={}, seed=0)
    env = worker_env(redis_url, settings.store_url, "test-s3", RECSYS_S3_ENDPOINT_URL=s3_env.endpoint)
    worker = LocalWorker(env, 1, tmp_path / "worker.log")
    try:
        argv = ("recommend", "--model", "synth/fm@latest", "--k", "5", "--chunk-size", "16")
        queued = _run(monkeypatch, capsys, env, *argv)
        _wait(s3, queued)
        evaluation = _run(monkeypatch, capsys, env, "evaluate", "--model", "synth/ncf", "--chunk-size", "9")
        _wait(s3, evaluation)
        assert main(["fetch", queued, "--url"]) == 0
        urls = capsys.readouterr().out.split()
    finally:
        worker.stop()
    monkeypatch.delenv("RECSYS_BROKER_URL")
    embedded = _run(monkeypatch, capsys, {"RECSYS_STORE_URL": local.url}, *argv)
    parts = [[p["sha256"] for p in json.loads(store.get_bytes(JobKeys(j).manifest))["parts"]]
             for store, j in ((s3, queued), (local, embedded))]
    assert parts[0] == parts[1] and len(parts[0]) == 4
    got = json.loads(s3.get_bytes(JobKeys(evaluation).metrics))["metrics"]
    loaded = load_published_model(local, published[1]["ncf"])
    assert got == evaluate(loaded.model, eval_target(loaded.data, "test")).metrics
    assert len(urls) == 5 and all(u.startswith(s3_env.endpoint) for u in urls)
