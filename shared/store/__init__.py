"""Object storage: one small contract, a local-folder backend and an S3-compatible backend."""

from pathlib import Path
from urllib.parse import urlparse

from shared.settings import Settings
from shared.store.base import (
    AccessDenied,
    BucketMissing,
    IntegrityError,
    NotFound,
    ObjectStore,
    StoreError,
    StoreUnavailable,
)
from shared.store.local import LocalStore
from shared.store.s3 import S3Options, S3Store


def open_store(settings: Settings) -> ObjectStore:
    """The store named by ``settings.store_url``: ``s3://bucket[/prefix]`` or ``file://path``."""
    url = settings.store_url
    scheme = urlparse(url).scheme
    if scheme == "s3":
        mb = 1 << 20
        options = S3Options(
            endpoint_url=settings.s3_endpoint_url,
            public_endpoint_url=settings.s3_public_endpoint_url,
            max_attempts=settings.s3_max_attempts,
            connect_timeout_s=settings.s3_connect_timeout_s,
            read_timeout_s=settings.s3_read_timeout_s,
            multipart_threshold_bytes=settings.s3_multipart_threshold_mb * mb,
            multipart_chunk_bytes=max(5 * mb, min(16 * mb, settings.s3_multipart_threshold_mb * mb)),
        )
        return S3Store(url, options)
    if scheme == "file":
        return LocalStore(local_path(url))
    raise StoreError(f"unsupported RECSYS_STORE_URL {url!r}: use s3://bucket/prefix or file:///path")


def local_path(url: str) -> Path:
    """``file:///abs/dir`` is absolute; ``file://dir`` (the default ``file://store``) is relative."""
    parsed = urlparse(url)
    path = parsed.netloc + parsed.path
    if not path:
        raise StoreError(f"invalid store URL {url!r}: expected file:///path/to/folder")
    return Path(path)


def ensure_store(store: ObjectStore) -> None:
    """Make a store ready for writing: create the folder, or the bucket when the credentials may."""
    if isinstance(store, S3Store):
        store.ensure_bucket(create=True)
    elif isinstance(store, LocalStore):
        store.ensure_ready()


__all__ = [
    "AccessDenied",
    "BucketMissing",
    "IntegrityError",
    "LocalStore",
    "NotFound",
    "ObjectStore",
    "S3Options",
    "S3Store",
    "StoreError",
    "StoreUnavailable",
    "ensure_store",
    "local_path",
    "open_store",
]
