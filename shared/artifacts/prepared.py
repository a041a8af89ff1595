"""Prepared splits in the store, once per (dataset, prep hash), so workers can rebuild seen-item
masks and held-out items exactly as the trainer had them."""

import tempfile
from pathlib import Path

from shared import __version__
from shared.artifacts.manifest import download_verified, is_complete, publish_folder
from shared.artifacts.refs import dataset_key, prepared_prefix
from shared.preparation import PreparedData
from shared.store import IntegrityError, NotFound, ObjectStore


def publish_prepared(store: ObjectStore, data: PreparedData) -> str:
    """Publish ``data`` unless a complete copy exists; returns its prep hash."""
    prep_hash = data.prep_hash
    dataset = dataset_key(data.config.dataset)
    prefix = prepared_prefix(dataset, prep_hash)
    if is_complete(store, prefix):
        return prep_hash
    # No timestamps in this manifest: the content is a function of the data, so concurrent
    # publishers of the same split write identical bytes.
    meta = {
        "kind": "prepared",
        "dataset": dataset,
        "dataset_name": data.config.dataset,
        "prep_hash": prep_hash,
        "code_version": __version__,
        "stats": data.stats,
    }
    with tempfile.TemporaryDirectory(prefix="recsys-publish-") as tmp:
        folder = Path(tmp) / "prepared"
        data.save(folder)
        for attempt in (1, 2):
            publish_folder(store, prefix, folder, meta)
            # Another trainer may have written the same split concurrently with different bytes
            # (other library versions): check what is committed now, and repair it once if mixed.
            try:
                download_verified(store, prefix, Path(tmp) / f"check{attempt}")
                break
            except IntegrityError:
                if attempt == 2:
                    raise
    return prep_hash


def load_prepared(store: ObjectStore, dataset: str, prep_hash: str) -> PreparedData:
    """Download, verify and load a published split."""
    prefix = prepared_prefix(dataset, prep_hash)
    with tempfile.TemporaryDirectory(prefix="recsys-load-") as tmp:
        try:
            download_verified(store, prefix, Path(tmp))
        except NotFound as exc:
            raise NotFound(
                f"prepared data {dataset}/{prep_hash} is not published in {store.url}; "
                "re-run `recsys train` to publish it"
            ) from exc
        try:
            data = PreparedData.load(Path(tmp))
        except (ValueError, KeyError, OSError) as exc:
            raise IntegrityError(f"{prefix}: prepared data does not load ({exc}); refusing it") from exc
    if data.prep_hash != prep_hash:
        raise IntegrityError(f"{prefix}: content hashes to {data.prep_hash}, not {prep_hash}; refusing it")
    return data
