import json

import numpy as np
import pytest

from jobs.cli import main
from shared.artifacts import load_published_model
from shared.batch.chunks import ModelCache, read_parquet, run_chunk
from shared.batch.execute import execute_chunk
from shared.batch.records import JobKeys, job_status
from shared.batch.submit import run_in_process, submit_evaluate, submit_recommend
from shared.errors import RecsysError
from shared.evaluation import EvalTarget, eval_target, evaluate
from shared.preparation.interactions import InteractionMatrix
from shared.store import LocalStore


@pytest.fixture
def store(batch_store: LocalStore) -> LocalStore:
    """This module's store: the one holding the published synthetic models."""
    return batch_store


def _recommend(store, model="fm", k=5, users_file=None, include_seen=False, chunk_size=16):
    cache = ModelCache()
    spec = submit_recommend(store, cache, f"synth/{model}@latest", k=k, users_file=users_file,
                            include_seen=include_seen, chunk_size=chunk_size, seed=0, max_attempts=3)
    run_in_process(store, spec, cache)
    return spec


def _rows(store, spec):
    manifest = json.loads(store.get_bytes(JobKeys(spec.job_id).manifest))
    rows = []
    for part in manifest["parts"]:
        rows += read_parquet(store.get_bytes(part["key"])).to_pylist()
    return manifest, rows


@pytest.mark.parametrize("model", ["fm", "ncf", "pop"])
def test_bulk_output_every_user_once_k_items_no_seen(store, data, model):
    spec = _recommend(store, model, k=7, chunk_size=13)
    manifest, rows = _rows(store, spec)
    assert [r["user_id"] for r in rows] == list(data.user_ids.astype(str))
    history = InteractionMatrix.from_pairs(data.users, data.items, data.n_users, data.n_items)
    item_ids = data.item_ids.astype(str)
    for user, row in enumerate(rows):
        assert len(row["item_ids"]) == 7 == len(row["scores"]) and row["source"] == "model"
        assert not set(row["item_ids"]) & set(item_ids[history.row(user)])
        assert row["scores"] == sorted(row["scores"], reverse=True)
    assert manifest["rows"] == data.n_users and manifest["k"] == 7
    assert job_status(store, spec.job_id).state == "SUCCEEDED"


def test_unknown_users_get_the_popularity_fallback(store, data, tmp_path):
    users = tmp_path / "users.txt"
    users.write_text("nobody\nu0003\n\nu0003\nstranger\n")
    spec = _recommend(store, "ncf", k=4, users_file=users)
    _, rows = _rows(store, spec)
    assert [(r["user_id"], r["source"]) for r in rows] == [
        ("nobody", "fallback"), ("u0003", "model"), ("stranger", "fallback")]
    counts = np.bincount(data.train_matrix(with_valid=True).indices, minlength=data.n_items)
    best = [str(data.item_ids[i]) for i in sorted(range(data.n_items), key=lambda i: (-counts[i], i))[:4]]
    assert rows[0]["item_ids"] == best == rows[2]["item_ids"]


def test_include_seen_lets_seen_items_back(store, data):
    history = InteractionMatrix.from_pairs(data.users, data.items, data.n_users, data.n_items)
    item_ids = data.item_ids.astype(str)
    _, rows = _rows(store, _recommend(store, "pop", k=10, include_seen=True))
    assert any(set(r["item_ids"]) & set(item_ids[history.row(u)]) for u, r in enumerate(rows))


def test_k_larger_than_catalogue_returns_every_candidate(store, data):
    _, rows = _rows(store, _recommend(store, "fm", k=10_000, chunk_size=64))
    history = InteractionMatrix.from_pairs(data.users, data.items, data.n_users, data.n_items)
    assert [len(r["item_ids"]) for r in rows] == list(data.n_items - history.counts())


def test_same_job_twice_gives_byte_identical_parts(store):
    first, second = _recommend(store, "fm", chunk_size=9), _recommend(store, "fm", chunk_size=9)
    for chunk in range(first.n_chunks):
        a = store.get_bytes(JobKeys(first.job_id).part(chunk))
        assert a == store.get_bytes(JobKeys(second.job_id).part(chunk))


def test_redelivered_chunk_is_skipped_and_rewritten_when_corrupt(store):
    spec = _recommend(store, "pop", chunk_size=20)
    cache = ModelCache()
    assert run_chunk(store, spec.job_id, 1, cache)["skipped"] is True
    key = JobKeys(spec.job_id).part(1)
    good = store.get_bytes(key)
    store.put_bytes(key, good[:-5])
    assert run_chunk(store, spec.job_id, 1, cache)["skipped"] is False
    assert store.get_bytes(key) == good


@pytest.mark.parametrize("model", ["fm", "ncf", "pop"])
@pytest.mark.parametrize("chunk_size", [1, 7, 1000])
def test_evaluation_job_equals_in_process_evaluation(store, published, model, chunk_size):
    cache = ModelCache()
    spec = submit_evaluate(store, cache, f"synth/{model}@latest", protocol="full", chunk_size=chunk_size, seed=0,
                           max_attempts=3)
    run_in_process(store, spec, cache)
    got = json.loads(store.get_bytes(JobKeys(spec.job_id).metrics))["metrics"]
    loaded = load_published_model(store, published[1][model])
    assert got == evaluate(loaded.model, eval_target(loaded.data, "test")).metrics
    per_user = read_parquet(store.get_bytes(JobKeys(spec.job_id).per_user))
    assert per_user.num_rows == got["users"]
    assert np.mean(per_user.column("HR@10").to_numpy()) == pytest.approx(got["HR@10"])


@pytest.mark.parametrize("protocol", ["sampled-uniform-99", "sampled-pop-99"])
def test_sampled_protocols_share_negatives_and_match_in_process(store, published, protocol):
    specs = {}
    for model in ("fm", "ncf"):
        cache = ModelCache()
        specs[model] = submit_evaluate(store, cache, f"synth/{model}@latest", protocol=protocol, chunk_size=11,
                                       seed=0, max_attempts=3)
        run_in_process(store, specs[model], cache)
    assert specs["fm"].negatives_key == specs["ncf"].negatives_key
    negatives = read_parquet(store.get_bytes(specs["fm"].negatives_key))
    neg = np.stack(negatives.column("negatives").to_numpy(zero_copy_only=False))
    loaded = load_published_model(store, published[1]["ncf"])
    target = eval_target(loaded.data, "test")
    for row, user in enumerate(target.users):
        assert len(set(neg[row])) == 99
        assert not set(neg[row]) & set(target.seen.row(user)) and target.targets[row] not in neg[row]
    sampled = EvalTarget(target.users, target.targets, target.seen, target.n_items, neg)
    got = json.loads(store.get_bytes(JobKeys(specs["ncf"].job_id).metrics))["metrics"]
    assert got == evaluate(loaded.model, sampled, chunk_size=5).metrics
    assert got["HR@20"] > got["HR@5"] or got["HR@20"] == 1.0


def test_sampled_ranks_are_within_the_sample(store, published):
    loaded = load_published_model(store, published[1]["pop"])
    target = eval_target(loaded.data, "test")
    result = evaluate(loaded.model, EvalTarget(target.users, target.targets, target.seen, target.n_items,
                                               np.zeros((len(target.users), 0), dtype=np.int64)))
    assert result.metrics["HR@5"] == 1.0  # alone in its sample, the target ranks first


def test_redelivery_cap_fails_the_job(store):
    cache = ModelCache()
    spec = submit_recommend(store, cache, "synth/pop@latest", k=3, users_file=None, include_seen=False,
                            chunk_size=30, seed=0, max_attempts=2)
    for _ in range(2):
        store.put_bytes(JobKeys(spec.job_id).attempt(0), b"")
    outcome = execute_chunk(store, spec.job_id, 0, cache, "recommend")
    status = job_status(store, spec.job_id)
    assert outcome.result["failed"] and status.state == "FAILED"
    assert "delivered 3 times" in (status.reason or "") and status.failures[0]["chunk"] == 0
    assert not store.exists(JobKeys(spec.job_id).part(0))


def _cli(monkeypatch, root, *argv):
    monkeypatch.setenv("RECSYS_STORE_URL", root.as_uri())
    monkeypatch.delenv("RECSYS_BROKER_URL", raising=False)
    return main(list(argv))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--model", "synth/nope@latest"], "no published model synth/nope"),
        (["--model", "synth/fm@20200101T000000Z-abc"], "is not a complete published version"),
        (["--model", "synth-fm"], "invalid model reference"),
        (["--model", "synth/fm", "--k", "0"], "--k must be a positive"),
        (["--model", "synth/fm", "--k", "-3"], "--k must be a positive"),
        (["--model", "synth/fm", "--chunk-size", "0"], "--chunk-size must be a positive"),
        (["--model", "synth/fm", "--users", "EMPTY"], "holds no user ids"),
        (["--model", "synth/fm", "--users", "BAD"], "line 2"),
        (["--model", "synth/fm", "--users", "BINARY"], "not UTF-8"),
        (["--model", "synth/fm", "--users", "MISSING"], "does not exist"),
    ],
)
def test_bad_input_is_one_clear_line_and_leaves_no_job(monkeypatch, capsys, published, tmp_path, argv, message):
    root = published[0]
    files = {"EMPTY": "\n\n", "BAD": "u0001\nu0002,u0003\n", "BINARY": b"\xff\xfe\x00"}
    argv = list(argv)
    if "--users" in argv:
        name = argv[argv.index("--users") + 1]
        path = tmp_path / name
        if name in files:
            content = files[name]
            path.write_bytes(content if isinstance(content, bytes) else content.encode())
        argv[argv.index("--users") + 1] = str(path)
    before = set(LocalStore(root).list("jobs/"))
    assert _cli(monkeypatch, root, "recommend", *argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1
    assert set(LocalStore(root).list("jobs/")) == before


def test_cli_recommend_status_fetch_roundtrip(monkeypatch, capsys, published, tmp_path, data):
    root = published[0]
    assert _cli(monkeypatch, root, "recommend", "--model", "synth/fm@latest", "--k", "3", "--chunk-size", "25") == 0
    job_id = capsys.readouterr().out.strip()
    assert _cli(monkeypatch, root, "status", job_id, "--json") == 0
    record = json.loads(capsys.readouterr().out)
    assert record["state"] == "SUCCEEDED" and record["chunks_done"] == record["chunks_total"] == 3
    assert _cli(monkeypatch, root, "fetch", job_id, "--user", "u0007") == 0
    row = json.loads(capsys.readouterr().out)
    assert row["user_id"] == "u0007" and len(row["item_ids"]) == 3
    for fmt in ("parquet", "jsonl", "csv"):
        assert _cli(monkeypatch, root, "fetch", job_id, "--out", str(tmp_path / fmt), "--format", fmt) == 0
    lines = (tmp_path / "jsonl" / "part-00000.jsonl").read_text().splitlines()
    assert json.loads(lines[0])["user_id"] == "u0000" and len(lines) == 25
    assert (tmp_path / "csv" / "part-00002.csv").read_text().startswith("user_id,item_ids,scores,source\n")
    assert _cli(monkeypatch, root, "fetch", job_id, "--url") == 0
    assert all(u.startswith("file://") for u in capsys.readouterr().out.split())
    store = LocalStore(root)
    key = JobKeys(job_id).part(1)
    store.put_bytes(key, store.get_bytes(key) + b"x")
    assert _cli(monkeypatch, root, "fetch", job_id, "--out", str(tmp_path / "bad")) == 2
    assert "sha256" in capsys.readouterr().err


def test_status_of_unknown_job_is_a_clear_error(monkeypatch, capsys, published):
    assert _cli(monkeypatch, published[0], "status", "rec-nope") == 2
    assert "no job 'rec-nope'" in capsys.readouterr().err


def test_worker_command_needs_a_broker(monkeypatch, capsys):
    monkeypatch.delenv("RECSYS_BROKER_URL", raising=False)
    assert main(["worker"]) == 2
    assert "RECSYS_BROKER_URL" in capsys.readouterr().err


def test_failed_chunk_marks_job_failed_not_running(store, monkeypatch):
    cache = ModelCache()
    spec = submit_recommend(store, cache, "synth/pop@latest", k=3, users_file=None, include_seen=False,
                            chunk_size=30, seed=0, max_attempts=3)

    def boom(*_args, **_kwargs):
        raise RecsysError("scoring exploded")

    monkeypatch.setattr("shared.batch.chunks._recommend_table", boom)
    with pytest.raises(RecsysError):
        run_in_process(store, spec, cache)
    assert job_status(store, spec.job_id).state == "FAILED"
