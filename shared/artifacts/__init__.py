"""Artifacts in the object store: prepared splits and immutable, verified model versions."""

from shared.artifacts.manifest import (
    MANIFEST,
    SUCCESS,
    download_verified,
    is_complete,
    publish_folder,
    read_committed_manifest,
)
from shared.artifacts.models import (
    LATEST_FILE,
    PublishedModel,
    list_models,
    load_published_model,
    publish_model,
    publish_run,
    read_manifest,
    resolve,
)
from shared.artifacts.prepared import load_prepared, publish_prepared
from shared.artifacts.refs import LATEST, ModelRef, RefError, dataset_key, new_version, prepared_prefix

__all__ = [
    "LATEST",
    "LATEST_FILE",
    "MANIFEST",
    "SUCCESS",
    "ModelRef",
    "PublishedModel",
    "RefError",
    "dataset_key",
    "download_verified",
    "is_complete",
    "list_models",
    "load_prepared",
    "load_published_model",
    "new_version",
    "prepared_prefix",
    "publish_folder",
    "publish_model",
    "publish_prepared",
    "publish_run",
    "read_committed_manifest",
    "read_manifest",
    "resolve",
]
