"""The ObjectStore contract, run against the local folder and the real S3 server alike."""

import urllib.request
from pathlib import Path

import pytest

from shared.store import NotFound, ObjectStore, StoreError


def test_bytes_round_trip_and_overwrite(store: ObjectStore) -> None:
    store.put_bytes("a/b/c.json", b'{"x": 1}')
    assert store.get_bytes("a/b/c.json") == b'{"x": 1}'
    store.put_bytes("a/b/c.json", b"second")
    assert store.get_bytes("a/b/c.json") == b"second"


def test_missing_key_raises_not_found(store: ObjectStore, tmp_path: Path) -> None:
    with pytest.raises(NotFound, match=r"nope\.json"):
        store.get_bytes("a/nope.json")
    with pytest.raises(NotFound):
        store.get_file("a/nope.json", tmp_path / "never-written")
    assert not (tmp_path / "never-written").exists()
    assert not store.exists("a/nope.json")


def test_files_round_trip(store: ObjectStore, tmp_path: Path) -> None:
    source = tmp_path / "in.bin"
    source.write_bytes(bytes(range(256)) * 100)
    store.put_file("f/data.bin", source)
    target = tmp_path / "out" / "data.bin"
    store.get_file("f/data.bin", target)
    assert target.read_bytes() == source.read_bytes()
    assert [p.name for p in target.parent.iterdir()] == ["data.bin"]  # no temp file left behind


def test_list_is_sorted_and_filtered_by_prefix(store: ObjectStore) -> None:
    for key in ("m/x/2", "m/x/10", "m/xy/1", "m/y/1", "other/1"):
        store.put_bytes(key, b"")
    assert store.list("m/x/") == ["m/x/10", "m/x/2"]
    assert store.list("m/x") == ["m/x/10", "m/x/2", "m/xy/1"]
    assert store.list("m/") == ["m/x/10", "m/x/2", "m/xy/1", "m/y/1"]
    assert store.list("absent/") == []


def test_exists_and_delete(store: ObjectStore) -> None:
    store.put_bytes("d/k", b"1")
    assert store.exists("d/k")
    store.delete("d/k")
    assert not store.exists("d/k")
    assert store.list("d/") == []
    store.delete("d/k")  # deleting an absent key is not an error, as in S3


@pytest.mark.parametrize("key", ["", "../escape", "a/../b", "/abs", "a//b", ".hidden", "a/.partial"])
def test_invalid_keys_are_refused(store: ObjectStore, key: str) -> None:
    with pytest.raises(StoreError, match="invalid store key"):
        store.put_bytes(key, b"x")


def test_presigned_url_serves_the_object(store: ObjectStore) -> None:
    store.put_bytes("p/hello.json", b'{"hello": true}')
    url = store.presign("p/hello.json", expires_s=60)
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == b'{"hello": true}'
    with pytest.raises(StoreError, match="expiry"):
        store.presign("p/hello.json", expires_s=0)
