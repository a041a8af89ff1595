"""Model versions: publish, resolve ``@latest``, list, and load with every checksum verified."""

import json
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared import __version__
from shared.artifacts.manifest import (
    SUCCESS,
    download_verified,
    is_complete,
    publish_folder,
    read_committed_manifest,
    to_json_bytes,
)
from shared.artifacts.prepared import load_prepared, publish_prepared
from shared.artifacts.refs import ModelRef, dataset_key, new_version, prepared_prefix
from shared.errors import ConfigError
from shared.models import Recommender, load_model
from shared.preparation import PreparedData
from shared.store import IntegrityError, NotFound, ObjectStore, StoreError, ensure_store

LATEST_FILE = "LATEST"


@dataclass
class PublishedModel:
    ref: ModelRef
    model: Recommender
    data: PreparedData
    manifest: dict[str, Any]


def publish_model(
    store: ObjectStore,
    model: Recommender,
    data: PreparedData,
    *,
    metrics: dict[str, Any],
    seed: int,
    extra: dict[str, Any] | None = None,
) -> ModelRef:
    """Publish a new immutable version of ``model`` (and its split, if new), then move LATEST."""
    prep_hash = publish_prepared(store, data)
    dataset = dataset_key(data.config.dataset)
    ref = ModelRef(dataset, model.name, new_version())
    meta = {
        "kind": "model",
        "dataset": dataset,
        "dataset_name": data.config.dataset,
        "model": model.name,
        "version": ref.version,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "code_version": __version__,
        "seed": seed,
        "prep_hash": prep_hash,
        "prepared": prepared_prefix(dataset, prep_hash),
        "config": model.describe(),
        "metrics": metrics,
        "extra": extra or {},
    }
    with tempfile.TemporaryDirectory(prefix="recsys-publish-") as tmp:
        model.save(Path(tmp))
        publish_folder(store, ref.prefix, Path(tmp), meta)
    _move_latest(store, ref)
    return ref


def _move_latest(store: ObjectStore, ref: ModelRef) -> None:
    """Point LATEST at ``ref`` unless it already names a newer complete version.

    Two publishers racing can both pass the check; either way LATEST names a complete version.
    """
    current = _read_latest(store, ref)
    if current is not None and current > ref.version and is_complete(store, ref.with_version(current).prefix):
        return
    store.put_bytes(ref.model_prefix + LATEST_FILE, to_json_bytes({"version": ref.version}))


def _read_latest(store: ObjectStore, ref: ModelRef) -> str | None:
    try:
        pointer = json.loads(store.get_bytes(ref.model_prefix + LATEST_FILE))
    except NotFound:
        return None
    except ValueError as exc:
        raise IntegrityError(f"{ref.model_prefix}{LATEST_FILE}: not valid JSON") from exc
    version = pointer.get("version") if isinstance(pointer, dict) else None
    return version if isinstance(version, str) else None


def _complete_versions(store: ObjectStore, prefix: str) -> dict[tuple[str, str], list[str]]:
    """(dataset, model) -> sorted complete versions, from one listing under ``prefix``."""
    found: dict[tuple[str, str], list[str]] = defaultdict(list)
    for key in store.list(prefix):
        parts = key.split("/")
        if len(parts) == 5 and parts[0] == "models" and parts[4] == SUCCESS:
            found[(parts[1], parts[2])].append(parts[3])
    return {name: sorted(versions) for name, versions in found.items()}


def resolve(store: ObjectStore, ref: ModelRef) -> ModelRef:
    """A concrete, complete version for ``ref``; a clear error naming what exists otherwise."""
    versions = _complete_versions(store, ref.model_prefix).get((ref.dataset, ref.model), [])
    if not versions:
        published = sorted(f"{d}/{m}" for d, m in _complete_versions(store, "models/"))
        hint = f"published: {', '.join(published)}" if published else "nothing is published yet; run `recsys train`"
        raise NotFound(f"no published model {ref.dataset}/{ref.model} in {store.url}; {hint}")
    if ref.is_latest:
        latest = _read_latest(store, ref)
        # No (or a dangling) pointer: a publisher stopped after committing; the newest complete wins.
        return ref.with_version(latest if latest in versions else versions[-1])
    if ref.version not in versions:
        shown = ", ".join(versions[-5:])
        raise NotFound(
            f"{ref} is not a complete published version; {ref.dataset}/{ref.model} has "
            f"{len(versions)}: {shown} (or use @latest)"
        )
    return ref


def read_manifest(store: ObjectStore, ref: ModelRef) -> dict[str, Any]:
    return read_committed_manifest(store, resolve(store, ref).prefix)


def load_published_model(store: ObjectStore, ref: ModelRef, device: str = "cpu") -> PublishedModel:
    """Download only the listed files, verify every sha256, then load model and split."""
    concrete = resolve(store, ref)
    with tempfile.TemporaryDirectory(prefix="recsys-load-") as tmp:
        manifest = download_verified(store, concrete.prefix, Path(tmp))
        try:
            model = load_model(Path(tmp), device)
        except (ConfigError, ValueError, KeyError, OSError) as exc:
            raise IntegrityError(f"{concrete.prefix}: model does not load ({exc}); refusing it") from exc
    data = load_prepared(store, concrete.dataset, manifest["prep_hash"])
    if (model.n_users, model.n_items) != (data.n_users, data.n_items):
        raise IntegrityError(
            f"{concrete}: model is {model.n_users}x{model.n_items} but its split is {data.n_users}x{data.n_items}"
        )
    return PublishedModel(concrete, model, data, manifest)


def list_models(store: ObjectStore, dataset: str | None = None) -> list[dict[str, Any]]:
    """One row per complete version: its reference, lineage and test metrics."""
    rows: list[dict[str, Any]] = []
    prefix = f"models/{dataset}/" if dataset else "models/"
    for (ds, name), versions in sorted(_complete_versions(store, prefix).items()):
        latest = _read_latest(store, ModelRef(ds, name))
        for version in versions:
            ref = ModelRef(ds, name, version)
            try:
                manifest = read_committed_manifest(store, ref.prefix)
            except StoreError as exc:  # list what is there; loading will refuse it
                rows.append({"ref": str(ref), "dataset": ds, "model": name, "version": version, "error": str(exc)})
                continue
            rows.append(
                {
                    "ref": str(ref),
                    "dataset": ds,
                    "model": name,
                    "version": version,
                    "latest": version == latest,
                    "created_at": manifest.get("created_at"),
                    "prep_hash": manifest.get("prep_hash"),
                    "code_version": manifest.get("code_version"),
                    "seed": manifest.get("seed"),
                    "test": (manifest.get("metrics") or {}).get("test"),
                }
            )
    return rows


def publish_run(
    store: ObjectStore,
    data: PreparedData,
    models: dict[str, tuple[Recommender, dict[str, Any]]],
    *,
    seed: int,
    extra: dict[str, Any] | None = None,
) -> list[ModelRef]:
    """What the trainer does after a successful run: make the store ready, publish every model."""
    ensure_store(store)
    return [
        publish_model(store, model, data, metrics=metrics, seed=seed, extra=extra)
        for model, metrics in models.values()
    ]
