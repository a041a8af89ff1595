"""S3-compatible backend (AWS, SeaweedFS, MinIO) through boto3.

Credentials come from boto3's own chain (``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY``...).
Retries use botocore's standard mode (5xx, throttling, timeouts; exponential backoff with jitter)
with a bounded number of attempts and connect/read timeouts, so an unreachable store fails in
bounded time instead of hanging.
"""

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from shared.store.base import (
    AccessDenied,
    BucketMissing,
    NotFound,
    StoreError,
    StoreUnavailable,
    check_expiry,
    check_key,
    check_prefix,
)

_DENIED = {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "403", "InvalidToken", "ExpiredToken"}
_MISSING_KEY = {"NoSuchKey", "404", "NotFound"}


@dataclass(frozen=True)
class S3Options:
    """Client tuning; defaults suit a store on the same network."""

    endpoint_url: str | None = None
    public_endpoint_url: str | None = None
    max_attempts: int = 5
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 60.0
    multipart_threshold_bytes: int = 64 << 20
    multipart_chunk_bytes: int = 16 << 20


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` -> (bucket, "some/prefix")."""
    parsed = urlparse(url)
    bucket, prefix = parsed.netloc, parsed.path.strip("/")
    if parsed.scheme != "s3" or not bucket:
        raise StoreError(f"invalid store URL {url!r}: expected s3://bucket[/prefix]")
    if prefix:
        check_prefix(prefix)
    return bucket, prefix


class S3Store:
    def __init__(self, url: str, options: S3Options) -> None:
        self.url = url
        self.bucket, self.prefix = parse_s3_url(url)
        self.options = options
        self.endpoint = options.endpoint_url or "the default AWS endpoint"
        self._client = self._make_client(options.endpoint_url)
        # URLs for clients are signed against the public endpoint: the Host header is signed.
        self._signer = self._make_client(options.public_endpoint_url or options.endpoint_url)
        self._transfer = TransferConfig(
            multipart_threshold=options.multipart_threshold_bytes,
            multipart_chunksize=options.multipart_chunk_bytes,
            max_concurrency=4,
        )

    def _make_client(self, endpoint_url: str | None) -> Any:
        config = Config(
            # total_max_attempts counts the first try; botocore's max_attempts would not.
            retries={"mode": "standard", "total_max_attempts": self.options.max_attempts},
            connect_timeout=self.options.connect_timeout_s,
            read_timeout=self.options.read_timeout_s,
            s3={"addressing_style": "path"},
            signature_version="s3v4",
            # boto3 >= 1.36 sends CRC headers by default that some S3-compatible stores refuse;
            # we keep our own sha256 in manifests instead.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        return boto3.session.Session().client("s3", endpoint_url=endpoint_url, config=config)

    def _key(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    @contextmanager
    def _errors(self, action: str, key: str | None = None) -> Iterator[None]:
        """Turn botocore's exceptions into StoreErrors that say what to check."""
        where = f"s3://{self.bucket}/{self._key(key) if key else self.prefix}"
        try:
            yield
        except NoCredentialsError as exc:
            raise AccessDenied(
                f"cannot {action} {where}: no S3 credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
            ) from exc
        except ClientError as exc:
            raise self._client_error(exc, action, where, key) from exc
        except BotoCoreError as exc:
            raise StoreUnavailable(
                f"cannot {action} {where}: store at {self.endpoint} unreachable after "
                f"{self.options.max_attempts} attempts ({exc}); check RECSYS_S3_ENDPOINT_URL and the server"
            ) from exc

    def _client_error(self, exc: ClientError, action: str, where: str, key: str | None) -> StoreError:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code == "NoSuchBucket":
            return BucketMissing(
                f"bucket {self.bucket!r} does not exist at {self.endpoint}; create it, or let the trainer "
                "create it, or fix RECSYS_STORE_URL"
            )
        if code in _DENIED:
            return AccessDenied(
                f"cannot {action} {where}: access denied ({code}); check AWS_ACCESS_KEY_ID, "
                "AWS_SECRET_ACCESS_KEY and the key's permissions"
            )
        if key is not None and code in _MISSING_KEY:
            return NotFound(f"{key} not found in {self.url}")
        if (status is not None and status >= 500) or code in ("SlowDown", "Throttling", "RequestTimeout"):
            return StoreUnavailable(
                f"cannot {action} {where}: store kept failing ({code}) after {self.options.max_attempts} attempts"
            )
        return StoreError(f"cannot {action} {where}: {code or status} {error.get('Message', '')}".strip())

    def ensure_bucket(self, create: bool = True) -> None:
        """Check the bucket exists; create it when allowed and the credentials may."""
        with self._errors("check bucket"):
            try:
                self._client.head_bucket(Bucket=self.bucket)
                return
            except ClientError as exc:
                code = str(exc.response.get("Error", {}).get("Code", ""))
                if code not in ("404", "NoSuchBucket", "NotFound") or not create:
                    raise
        try:
            with self._errors("create bucket"):
                self._client.create_bucket(Bucket=self.bucket)
        except AccessDenied as exc:
            raise AccessDenied(
                f"bucket {self.bucket!r} does not exist at {self.endpoint} and these credentials may not "
                "create it; ask an administrator to create it, or use credentials that may"
            ) from exc

    def put_bytes(self, key: str, data: bytes) -> None:
        with self._errors("write", key):
            self._client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)

    def put_file(self, key: str, path: Path) -> None:
        # upload_file switches to a multipart upload above the threshold.
        with self._errors("upload", key):
            self._client.upload_file(str(path), self.bucket, self._key(key), Config=self._transfer)

    def get_bytes(self, key: str) -> bytes:
        with self._errors("read", key):
            body: bytes = self._client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
            return body

    def get_file(self, key: str, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
        os.close(fd)
        try:
            with self._errors("download", key):
                self._client.download_file(self.bucket, self._key(key), tmp, Config=self._transfer)
            os.replace(tmp, path)
        finally:
            Path(tmp).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        with self._errors("check", key):
            try:
                self._client.head_object(Bucket=self.bucket, Key=self._key(key))
                return True
            except ClientError as exc:
                if str(exc.response.get("Error", {}).get("Code", "")) in _MISSING_KEY:
                    return False
                raise

    def list(self, prefix: str) -> list[str]:
        check_prefix(prefix)
        full = f"{self.prefix}/{prefix}" if self.prefix else prefix
        strip = len(self.prefix) + 1 if self.prefix else 0
        keys: list[str] = []
        with self._errors("list", None):
            for page in self._client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=full):
                keys.extend(item["Key"][strip:] for item in page.get("Contents", []))
        return sorted(keys)

    def delete(self, key: str) -> None:
        with self._errors("delete", key):
            self._client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def presign(self, key: str, expires_s: int = 3600) -> str:
        check_expiry(expires_s)
        with self._errors("sign", key):
            url: str = self._signer.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": self._key(key)}, ExpiresIn=expires_s
            )
            return url
