"""INTERIM stand-in for the object store and artifacts API of issue 3 (branch ``store``).

Only what the batch workers need, behind the agreed API: ``ObjectStore`` (file:// only here),
``open_store``, ``ModelRef``, ``publish_model``, ``resolve``, ``load_published_model``. Batch code
uses nothing of a store but ``put_bytes``/``get_bytes``/``exists``/``list``/``presign``, so the real
``shared.store`` / ``shared.artifacts`` replace this module by changing imports only.
"""

import hashlib
import json
import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

from shared.atomic import atomic_write_bytes
from shared.errors import RecsysError
from shared.models import Recommender, load_model
from shared.preparation import PreparedData
from shared.settings import Settings


class StoreError(RecsysError):
    """The object store refused or failed an operation."""


class NotFound(StoreError):
    """No object under that key."""


class ObjectStore(Protocol):
    url: str

    def put_bytes(self, key: str, data: bytes) -> None: ...
    def get_bytes(self, key: str) -> bytes: ...
    def exists(self, key: str) -> bool: ...
    def list(self, prefix: str) -> list[str]: ...
    def delete(self, key: str) -> None: ...
    def presign(self, key: str, expires_s: int = 3600) -> str: ...


_KEY = re.compile(r"^[A-Za-z0-9._@=+-]+(/[A-Za-z0-9._@=+-]+)*$")


class LocalFolderStore:
    """Keys are files under a root folder; every put is atomic (temp file + rename)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.url = self.root.as_uri()

    def _path(self, key: str) -> Path:
        if not _KEY.match(key) or ".." in key.split("/"):
            raise StoreError(f"invalid store key {key!r}")
        return self.root / key

    def put_bytes(self, key: str, data: bytes) -> None:
        atomic_write_bytes(self._path(key), data)

    def get_bytes(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError) as exc:
            raise NotFound(f"{self.url}/{key} does not exist") from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list(self, prefix: str) -> list[str]:
        base = self.root / prefix.rstrip("/") if prefix else self.root
        folder = base if base.is_dir() else base.parent
        if not folder.is_dir():
            return []
        keys = [p.relative_to(self.root).as_posix() for p in folder.rglob("*") if p.is_file()]
        return sorted(k for k in keys if k.startswith(prefix) and not k.rsplit("/", 1)[-1].startswith("."))

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def presign(self, key: str, expires_s: int = 3600) -> str:
        if not self.exists(key):
            raise NotFound(f"{self.url}/{key} does not exist")
        return self._path(key).as_uri()


def open_store(settings: Settings) -> ObjectStore:
    parsed = urlparse(settings.store_url)
    if parsed.scheme != "file":
        raise StoreError(f"this build only has the file:// store; got {settings.store_url!r}")
    return LocalFolderStore(Path(parsed.netloc + parsed.path))


@dataclass(frozen=True)
class ModelRef:
    dataset: str
    model: str
    version: str

    @classmethod
    def parse(cls, text: str) -> "ModelRef":
        match = re.fullmatch(r"([^/@\s]+)/([^/@\s]+)(?:@([^/@\s]+))?", text.strip())
        if not match:
            raise RecsysError(f"model reference {text!r} is not DATASET/MODEL[@VERSION], e.g. amazon/fm@latest")
        return cls(match[1], match[2], match[3] or "latest")

    @property
    def prefix(self) -> str:
        return f"models/{self.dataset}/{self.model}/{self.version}"

    def __str__(self) -> str:
        return f"{self.dataset}/{self.model}@{self.version}"


@dataclass(frozen=True)
class PublishedModel:
    ref: ModelRef
    model: Recommender
    data: PreparedData
    manifest: dict[str, Any]


def _put_folder(store: ObjectStore, folder: Path, prefix: str) -> list[dict[str, Any]]:
    files = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        key = f"{prefix}/{path.relative_to(folder).as_posix()}"
        store.put_bytes(key, data)
        files.append({"key": key, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    return files


def publish_model(
    store: ObjectStore, model: Recommender, data: PreparedData, *, metrics: dict[str, Any], seed: int,
    extra: dict[str, Any] | None = None,
) -> ModelRef:
    dataset = data.config.dataset
    prep_prefix = f"datasets/{dataset}/{data.prep_hash}"
    with tempfile.TemporaryDirectory() as tmp:
        if not store.exists(f"{prep_prefix}/_SUCCESS"):
            data.save(Path(tmp) / "prepared")
            _put_folder(store, Path(tmp) / "prepared", prep_prefix)
            store.put_bytes(f"{prep_prefix}/_SUCCESS", b"")
        version = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + f"-{os.urandom(3).hex()}"
        ref = ModelRef(dataset, model.name, version)
        model.save(Path(tmp) / "model")
        files = _put_folder(store, Path(tmp) / "model", ref.prefix)
    manifest = {"ref": str(ref), "files": files, "prep_hash": data.prep_hash, "seed": seed,
                "metrics": metrics, "extra": extra or {}}
    store.put_bytes(f"{ref.prefix}/manifest.json", json.dumps(manifest, sort_keys=True).encode())
    store.put_bytes(f"{ref.prefix}/_SUCCESS", b"")
    latest = f"models/{dataset}/{model.name}/LATEST"
    store.put_bytes(latest, json.dumps({"version": version}).encode())
    return ref


def resolve(store: ObjectStore, ref: ModelRef) -> ModelRef:
    if ref.version == "latest":
        try:
            pointer = json.loads(store.get_bytes(f"models/{ref.dataset}/{ref.model}/LATEST"))
        except NotFound as exc:
            raise RecsysError(f"no published model {ref.dataset}/{ref.model}; train and publish it first") from exc
        ref = ModelRef(ref.dataset, ref.model, pointer["version"])
    if not store.exists(f"{ref.prefix}/_SUCCESS"):
        raise RecsysError(f"model version {ref} is not published (no _SUCCESS in {store.url}/{ref.prefix})")
    return ref


def load_prepared(store: ObjectStore, dataset: str, prep_hash: str) -> PreparedData:
    prefix = f"datasets/{dataset}/{prep_hash}"
    with tempfile.TemporaryDirectory() as tmp:
        for key in store.list(prefix + "/"):
            target = Path(tmp) / key[len(prefix) + 1 :]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(store.get_bytes(key))
        return PreparedData.load(Path(tmp))


def load_published_model(store: ObjectStore, ref: ModelRef, device: str = "cpu") -> PublishedModel:
    ref = resolve(store, ref)
    manifest = json.loads(store.get_bytes(f"{ref.prefix}/manifest.json"))
    with tempfile.TemporaryDirectory() as tmp:
        for entry in manifest["files"]:
            blob = store.get_bytes(entry["key"])
            if hashlib.sha256(blob).hexdigest() != entry["sha256"]:
                raise StoreError(f"{entry['key']} does not match its sha256; refusing to load it")
            (Path(tmp) / entry["key"].rsplit("/", 1)[-1]).write_bytes(blob)
        model = load_model(Path(tmp), device)
    data = load_prepared(store, ref.dataset, manifest["prep_hash"])
    return PublishedModel(ref, model, data, manifest)
