"""Publishing and loading model versions and prepared splits, on both backends."""

import json
import pickle
import threading
from pathlib import Path

import numpy as np
import pytest

from shared import __version__
from shared.artifacts import (
    ModelRef,
    PublishedModel,
    list_models,
    load_prepared,
    load_published_model,
    publish_model,
    publish_prepared,
    read_manifest,
    resolve,
)
from shared.models import FM
from shared.preparation import PreparedData
from shared.store import IntegrityError, LocalStore, NotFound, ObjectStore, S3Store

METRICS = {"test": {"HR@10": 0.5, "NDCG@10": 0.25}}


def publish(store: ObjectStore, model: FM, data: PreparedData) -> ModelRef:
    return publish_model(store, model, data, metrics=METRICS, seed=11, extra={"run_id": "r1"})


def test_publish_then_load_round_trips_exactly(store: ObjectStore, tiny_model: FM, tiny_data: PreparedData) -> None:
    ref = publish(store, tiny_model, tiny_data)
    loaded = load_published_model(store, ModelRef.parse("tiny/fm@latest"))
    assert isinstance(loaded, PublishedModel)
    assert loaded.ref == ref and ref.version != "latest"
    users = np.arange(tiny_data.n_users)
    np.testing.assert_array_equal(loaded.model.score(users), tiny_model.score(users))
    assert loaded.data.prep_hash == tiny_data.prep_hash
    np.testing.assert_array_equal(loaded.data.test_item, tiny_data.test_item)
    manifest = loaded.manifest
    assert manifest["prep_hash"] == tiny_data.prep_hash
    assert manifest["prepared"] == f"datasets/tiny/{tiny_data.prep_hash}/"
    assert (manifest["seed"], manifest["code_version"], manifest["metrics"]) == (11, __version__, METRICS)
    assert manifest["config"]["config"]["embedding_dim"] == 4
    assert set(manifest["files"]) == {"config.json", "params.safetensors"}
    assert read_manifest(store, ref) == manifest


def test_layout_and_commit_markers(store: ObjectStore, tiny_model: FM, tiny_data: PreparedData) -> None:
    ref = publish(store, tiny_model, tiny_data)
    assert store.list(ref.prefix) == [ref.prefix + name for name in
                                      ("_SUCCESS", "config.json", "manifest.json", "params.safetensors")]
    assert json.loads(store.get_bytes("models/tiny/fm/LATEST")) == {"version": ref.version}
    prepared = f"datasets/tiny/{tiny_data.prep_hash}/"
    assert {k.removeprefix(prepared) for k in store.list(prepared)} == {
        "_SUCCESS", "manifest.json", "interactions.parquet", "users.parquet", "items.parquet", "prepared.json"}


def test_prepared_is_published_once(store: ObjectStore, tiny_data: PreparedData) -> None:
    assert publish_prepared(store, tiny_data) == tiny_data.prep_hash
    writes = CountingStore(store)
    assert publish_prepared(writes, tiny_data) == tiny_data.prep_hash
    assert writes.puts == []
    loaded = load_prepared(store, "tiny", tiny_data.prep_hash)
    np.testing.assert_array_equal(loaded.items, tiny_data.items)


def test_latest_moves_to_the_newest_version(store: ObjectStore, tiny_model: FM, tiny_data: PreparedData) -> None:
    first, second = publish(store, tiny_model, tiny_data), publish(store, tiny_model, tiny_data)
    assert first.version < second.version
    assert resolve(store, ModelRef("tiny", "fm")) == second
    assert resolve(store, first) == first
    rows = list_models(store, "tiny")
    assert [(r["ref"], r["latest"]) for r in rows] == [(str(first), False), (str(second), True)]
    assert rows[0]["test"] == METRICS["test"] and rows[0]["prep_hash"] == tiny_data.prep_hash


@pytest.mark.parametrize("damage", ["truncate", "flip_bit"])
def test_damaged_object_is_refused_naming_the_file(
    store: ObjectStore, tiny_model: FM, tiny_data: PreparedData, damage: str
) -> None:
    ref = publish(store, tiny_model, tiny_data)
    key = ref.prefix + "params.safetensors"
    body = bytearray(store.get_bytes(key))
    if damage == "truncate":
        body = body[: len(body) // 2]
    else:
        body[-3] ^= 0x01
    store.put_bytes(key, bytes(body))
    with pytest.raises(IntegrityError, match=r"params\.safetensors"):
        load_published_model(store, ref)


def test_damaged_prepared_split_is_refused(store: ObjectStore, tiny_model: FM, tiny_data: PreparedData) -> None:
    ref = publish(store, tiny_model, tiny_data)
    key = f"datasets/tiny/{tiny_data.prep_hash}/interactions.parquet"
    store.put_bytes(key, store.get_bytes(key)[:-10])
    with pytest.raises(IntegrityError, match=r"interactions\.parquet"):
        load_published_model(store, ref)


def test_version_without_success_is_invisible(store: ObjectStore, tiny_model: FM, tiny_data: PreparedData) -> None:
    first = publish(store, tiny_model, tiny_data)
    second = publish(store, tiny_model, tiny_data)
    store.delete(second.prefix + "_SUCCESS")
    assert [r["version"] for r in list_models(store)] == [first.version]
    with pytest.raises(NotFound, match="not a complete published version"):
        resolve(store, second)
    # LATEST still names the uncommitted version here (we removed its marker by hand): readers skip it.
    assert resolve(store, ModelRef("tiny", "fm")) == first


def test_crash_between_files_and_manifest_leaves_nothing_visible(
    store: ObjectStore, tiny_model: FM, tiny_data: PreparedData
) -> None:
    first = publish(store, tiny_model, tiny_data)
    crashing = CountingStore(store, fail_on="manifest.json", under="models/")
    with pytest.raises(Crash):
        publish(crashing, tiny_model, tiny_data)
    written = [k for k in crashing.puts if k.startswith("models/")]
    assert written and all(k.endswith((".json", ".safetensors")) for k in written)  # files did land
    assert [r["version"] for r in list_models(store)] == [first.version]
    assert json.loads(store.get_bytes("models/tiny/fm/LATEST")) == {"version": first.version}
    assert resolve(store, ModelRef("tiny", "fm")) == first


def test_crash_between_manifest_and_success_leaves_nothing_visible(
    store: ObjectStore, tiny_model: FM, tiny_data: PreparedData
) -> None:
    crashing = CountingStore(store, fail_on="_SUCCESS", under="models/")
    with pytest.raises(Crash):
        publish(crashing, tiny_model, tiny_data)
    assert list_models(store) == []
    assert not store.exists("models/tiny/fm/LATEST")
    with pytest.raises(NotFound, match="no published model tiny/fm"):
        resolve(store, ModelRef("tiny", "fm"))


class Evil:
    """Unpickling this would create a file: proof that nothing was unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.marker), "w"))


@pytest.mark.parametrize("name", ["model.pkl", "params.pt", "extra.json"])
def test_unlisted_file_in_a_version_is_refused(
    store: ObjectStore, tiny_model: FM, tiny_data: PreparedData, tmp_path: Path, name: str
) -> None:
    ref = publish(store, tiny_model, tiny_data)
    marker = tmp_path / "unpickled"
    store.put_bytes(ref.prefix + name, pickle.dumps(Evil(marker)))
    with pytest.raises(IntegrityError, match=name.replace(".", r"\.")):
        load_published_model(store, ref)
    assert not marker.exists()


def test_pickle_listed_in_a_forged_manifest_is_refused(
    store: ObjectStore, tiny_model: FM, tiny_data: PreparedData, tmp_path: Path
) -> None:
    """Even a consistent forgery (manifest and _SUCCESS rewritten) cannot smuggle in a pickle."""
    import hashlib

    ref = publish(store, tiny_model, tiny_data)
    payload = pickle.dumps(Evil(tmp_path / "unpickled"))
    store.put_bytes(ref.prefix + "model.pkl", payload)
    manifest = json.loads(store.get_bytes(ref.prefix + "manifest.json"))
    manifest["files"]["model.pkl"] = {"size": len(payload), "sha256": hashlib.sha256(payload).hexdigest()}
    body = json.dumps(manifest).encode()
    store.put_bytes(ref.prefix + "manifest.json", body)
    store.put_bytes(ref.prefix + "_SUCCESS", json.dumps({"manifest_sha256": hashlib.sha256(body).hexdigest()}).encode())
    with pytest.raises(IntegrityError, match=r"model\.pkl: file type not allowed"):
        load_published_model(store, ref)
    assert not (tmp_path / "unpickled").exists()


def test_edited_manifest_is_refused(store: ObjectStore, tiny_model: FM, tiny_data: PreparedData) -> None:
    ref = publish(store, tiny_model, tiny_data)
    manifest = json.loads(store.get_bytes(ref.prefix + "manifest.json"))
    manifest["metrics"] = {"test": {"HR@10": 1.0}}
    store.put_bytes(ref.prefix + "manifest.json", json.dumps(manifest).encode())
    with pytest.raises(IntegrityError, match=r"manifest\.json"):
        read_manifest(store, ref)


def test_unknown_names_list_what_exists(store: ObjectStore, tiny_model: FM, tiny_data: PreparedData) -> None:
    with pytest.raises(NotFound, match="nothing is published yet"):
        resolve(store, ModelRef.parse("tiny/fm"))
    ref = publish(store, tiny_model, tiny_data)
    with pytest.raises(NotFound, match=r"no published model tiny/ncf .*published: tiny/fm"):
        resolve(store, ModelRef.parse("tiny/ncf@latest"))
    with pytest.raises(NotFound, match=rf"tiny/fm has 1: {ref.version}"):
        resolve(store, ModelRef.parse("tiny/fm@20200101T000000.000000Z-00000000"))
    with pytest.raises(NotFound, match="not published"):
        load_prepared(store, "tiny", "0" * 64)


def test_concurrent_publishers_get_distinct_complete_versions(
    store: ObjectStore, tiny_model: FM, tiny_data: PreparedData
) -> None:
    barrier = threading.Barrier(2)
    refs: list[ModelRef] = []
    errors: list[BaseException] = []

    def trainer() -> None:
        try:
            own = reopen(store)  # each trainer has its own client, as separate processes would
            barrier.wait(timeout=30)
            refs.append(publish(own, tiny_model, tiny_data))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=trainer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert len({r.version for r in refs}) == 2
    assert sorted(r["version"] for r in list_models(store)) == sorted(r.version for r in refs)
    for ref in refs:
        load_published_model(store, ref)  # both complete and verified
    assert resolve(store, ModelRef("tiny", "fm")) in refs


def test_latest_never_moves_back_to_an_older_version(
    store: ObjectStore, tiny_model: FM, tiny_data: PreparedData, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A slow trainer that commits after a newer version did leaves LATEST on the newer one."""
    newer = publish(store, tiny_model, tiny_data)
    monkeypatch.setattr("shared.artifacts.models.new_version", lambda: "20000101T000000.000000Z-00000000")
    older = publish(store, tiny_model, tiny_data)
    assert older.version < newer.version
    assert resolve(store, ModelRef("tiny", "fm")) == newer
    assert [r["version"] for r in list_models(store)] == [older.version, newer.version]


def reopen(store: ObjectStore) -> ObjectStore:
    if isinstance(store, S3Store):
        return S3Store(store.url, store.options)
    assert isinstance(store, LocalStore)
    return LocalStore(store.root)


class Crash(Exception):
    pass


class CountingStore:
    """Wraps a store, records puts, and can crash the process-to-be on a given file name."""

    def __init__(self, inner: ObjectStore, fail_on: str | None = None, under: str = "") -> None:
        self.inner, self.fail_on, self.under = inner, fail_on, under
        self.url = inner.url
        self.puts: list[str] = []

    def _put(self, key: str) -> None:
        if self.fail_on and key.startswith(self.under) and key.endswith("/" + self.fail_on):
            raise Crash(key)
        self.puts.append(key)

    def put_bytes(self, key: str, data: bytes) -> None:
        self._put(key)
        self.inner.put_bytes(key, data)

    def put_file(self, key: str, path: Path) -> None:
        self._put(key)
        self.inner.put_file(key, path)

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


class OtherWriterStore(CountingStore):
    """Replaces the first ``times`` uploads of a prepared table with other bytes, as a concurrent
    publisher running other library versions would."""

    def __init__(self, inner: ObjectStore, times: int) -> None:
        super().__init__(inner)
        self.times = times

    def put_file(self, key: str, path: Path) -> None:
        if key.endswith("/interactions.parquet") and self.times > 0:
            self.times -= 1
            self.inner.put_bytes(key, b"PAR1 other writer's bytes PAR1")
            return
        super().put_file(key, path)


def test_prepared_split_mixed_by_a_concurrent_writer_is_repaired(
    store: ObjectStore, tiny_data: PreparedData
) -> None:
    publish_prepared(OtherWriterStore(store, times=1), tiny_data)
    assert load_prepared(store, "tiny", tiny_data.prep_hash).prep_hash == tiny_data.prep_hash


def test_prepared_split_that_stays_mixed_is_an_error(store: ObjectStore, tiny_data: PreparedData) -> None:
    with pytest.raises(IntegrityError, match=r"interactions\.parquet"):
        publish_prepared(OtherWriterStore(store, times=2), tiny_data)
