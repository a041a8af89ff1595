"""Publish a folder as an immutable, verifiable prefix, and read one back safely.

Commit protocol: every file, then ``manifest.json`` (size and sha256 of each file plus metadata),
then ``_SUCCESS`` (holding the manifest's own sha256). A prefix without ``_SUCCESS`` does not exist
for readers. Readers download only the files the manifest lists, verify each, and refuse a prefix
that holds anything else, so a planted file (a pickle, say) is never loaded.
"""

import json
from pathlib import Path
from typing import Any

from shared.checksums import sha256_bytes, sha256_file
from shared.store import IntegrityError, NotFound, ObjectStore

MANIFEST = "manifest.json"
SUCCESS = "_SUCCESS"
SCHEMA_VERSION = 1
# Tensors as safetensors, tables as Parquet, the rest JSON: nothing that unpickles.
ALLOWED_SUFFIXES = (".json", ".parquet", ".safetensors")


def to_json_bytes(value: Any) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True) + "\n").encode()


def _check_name(prefix: str, name: str) -> None:
    if not name.endswith(ALLOWED_SUFFIXES) or name in (MANIFEST, SUCCESS):
        raise IntegrityError(
            f"{prefix}{name}: file type not allowed in an artifact (only {', '.join(ALLOWED_SUFFIXES)}); "
            "refusing it"
        )


def describe_files(folder: Path) -> dict[str, dict[str, Any]]:
    """Size and sha256 of every file under ``folder``, by '/'-separated relative name."""
    files = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix()
        _check_name(f"{folder}/", name)
        files[name] = {"size": path.stat().st_size, "sha256": sha256_file(path)}
    return files


def publish_folder(store: ObjectStore, prefix: str, folder: Path, meta: dict[str, Any]) -> dict[str, Any]:
    """Upload ``folder`` under ``prefix`` and commit it; returns the manifest written."""
    files = describe_files(folder)
    for name in files:
        store.put_file(prefix + name, folder / name)
    manifest = {"schema_version": SCHEMA_VERSION, **meta, "files": files}
    body = to_json_bytes(manifest)
    store.put_bytes(prefix + MANIFEST, body)
    # Deterministic content, so two writers committing identical data agree byte for byte.
    store.put_bytes(prefix + SUCCESS, to_json_bytes({"manifest_sha256": sha256_bytes(body)}))
    return manifest


def is_complete(store: ObjectStore, prefix: str) -> bool:
    return store.exists(prefix + SUCCESS)


def read_committed_manifest(store: ObjectStore, prefix: str) -> dict[str, Any]:
    """The manifest of a committed prefix, checked against the sha256 recorded in ``_SUCCESS``."""
    try:
        marker = json.loads(store.get_bytes(prefix + SUCCESS))
    except NotFound as exc:
        raise NotFound(f"{prefix} is not a complete artifact (no {SUCCESS}); it was never committed") from exc
    except ValueError as exc:
        raise IntegrityError(f"{prefix}{SUCCESS}: not valid JSON; refusing the artifact") from exc
    body = store.get_bytes(prefix + MANIFEST)
    if not isinstance(marker, dict) or sha256_bytes(body) != marker.get("manifest_sha256"):
        raise IntegrityError(f"{prefix}{MANIFEST}: sha256 does not match {SUCCESS}; refusing the artifact")
    manifest: dict[str, Any] = json.loads(body)
    return manifest


def download_verified(store: ObjectStore, prefix: str, dest: Path) -> dict[str, Any]:
    """Download exactly the listed files of a committed prefix into ``dest`` and verify each."""
    manifest = read_committed_manifest(store, prefix)
    files: dict[str, dict[str, Any]] = manifest.get("files", {})
    for name in files:
        _check_name(prefix, name)
    listed = {*files, MANIFEST, SUCCESS}
    unlisted = [name for name in (k.removeprefix(prefix) for k in store.list(prefix)) if name not in listed]
    if unlisted:
        raise IntegrityError(
            f"{prefix}: holds files not in its manifest ({', '.join(unlisted)}); "
            "refusing to load a tampered artifact"
        )
    for name, expected in files.items():
        path = dest / name
        store.get_file(prefix + name, path)
        size = path.stat().st_size
        if size != expected["size"]:
            raise IntegrityError(
                f"{prefix}{name}: {size} bytes, manifest says {expected['size']} (truncated or replaced); "
                "refusing to load"
            )
        if sha256_file(path) != expected["sha256"]:
            raise IntegrityError(f"{prefix}{name}: sha256 does not match the manifest (corrupted); refusing to load")
    return manifest
