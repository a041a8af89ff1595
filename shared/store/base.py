"""The object-store contract both backends meet, its errors, and key rules."""

import re
from pathlib import Path
from typing import Protocol, runtime_checkable

from shared.errors import RecsysError


class StoreError(RecsysError):
    """The object store failed or refused; the message says what to check."""


class NotFound(StoreError):
    """A key, version or pointer does not exist."""


class IntegrityError(StoreError):
    """An object is missing from its manifest, has the wrong size or sha256, or is not allowed."""


class StoreUnavailable(StoreError):
    """The store could not be reached, or kept failing, within the configured attempts and timeouts."""


class AccessDenied(StoreError):
    """Credentials are missing, wrong, or lack the permission needed."""


class BucketMissing(StoreError):
    """The bucket named in RECSYS_STORE_URL does not exist."""


@runtime_checkable
class ObjectStore(Protocol):
    """Flat keys (``a/b/c.json``) relative to the store's root or prefix."""

    url: str

    def put_bytes(self, key: str, data: bytes) -> None: ...
    def put_file(self, key: str, path: Path) -> None: ...
    def get_bytes(self, key: str) -> bytes: ...
    def get_file(self, key: str, path: Path) -> None: ...
    def exists(self, key: str) -> bool: ...
    def list(self, prefix: str) -> list[str]: ...
    def delete(self, key: str) -> None: ...
    def presign(self, key: str, expires_s: int = 3600) -> str: ...


_SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._=@+-]*")
MAX_PRESIGN_S = 7 * 24 * 3600  # SigV4 limit; the local backend keeps the same bound for one contract


def check_key(key: str) -> str:
    """Refuse keys that could escape the root or collide with temp files: no '..', no dotfiles."""
    parts = key.split("/")
    if not key or any(not _SEGMENT.fullmatch(p) or p in (".", "..") for p in parts):
        raise StoreError(f"invalid store key {key!r}: use '/'-separated names of letters, digits and ._=@+-")
    return key


def check_prefix(prefix: str) -> str:
    """A listing prefix: empty, or a key-like path that may end with '/'."""
    if prefix:
        check_key(prefix.rstrip("/") or "x")
    return prefix


def check_expiry(expires_s: int) -> int:
    if not 1 <= expires_s <= MAX_PRESIGN_S:
        raise StoreError(f"presign expiry must be between 1 and {MAX_PRESIGN_S} seconds, got {expires_s}")
    return expires_s
