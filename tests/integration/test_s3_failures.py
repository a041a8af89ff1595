"""S3 backend against real servers on loopback: multipart, credentials, missing buckets,
unreachable or silent endpoints, transient 5xx with retries, and presigning for clients."""

import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

from jobs import cli
from shared.settings import Settings
from shared.store import (
    AccessDenied,
    BucketMissing,
    S3Store,
    StoreUnavailable,
    ensure_store,
    open_store,
)
from tests.conftest import new_bucket, s3_settings
from tests.support import seaweed
from tests.support.faults import FaultProxy, silent_listener

pytestmark = pytest.mark.integration


def s3_store(settings: Settings) -> S3Store:
    store = open_store(settings)
    assert isinstance(store, S3Store)
    return store


def test_large_files_go_multipart_and_round_trip(s3_env: seaweed.SeaweedServer, tmp_path: Path) -> None:
    store = s3_store(s3_settings(s3_env.endpoint, s3_multipart_threshold_mb=5))
    ensure_store(store)
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(range(251)) * (12 * 4177))  # ~12.6 MB: three 5 MB parts
    store.put_file("big/params.safetensors", big)
    head = store._client.head_object(Bucket=store.bucket, Key=store._key("big/params.safetensors"))
    assert head["ETag"].strip('"').endswith("-3")  # a multipart ETag names its part count
    store.get_file("big/params.safetensors", tmp_path / "back.bin")
    assert (tmp_path / "back.bin").read_bytes() == big.read_bytes()


def test_trainer_creates_a_missing_bucket(s3_env: seaweed.SeaweedServer) -> None:
    store = s3_store(s3_settings(s3_env.endpoint))
    with pytest.raises(BucketMissing, match=store.bucket):
        store.list("models/")
    ensure_store(store)
    ensure_store(store)  # idempotent
    assert store.list("models/") == []


def test_reader_may_not_create_the_bucket_and_is_told_so(
    s3_env: seaweed.SeaweedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", seaweed.READER[0])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", seaweed.READER[1])
    store = s3_store(s3_settings(s3_env.endpoint))
    with pytest.raises(AccessDenied, match="may not create it"):
        ensure_store(store)


@pytest.mark.parametrize(
    "key_id, secret", [(seaweed.ADMIN[0], "wrong-secret"), ("unknown-key", "whatever")], ids=["secret", "key"]
)
def test_wrong_credentials_are_refused_clearly(
    s3_env: seaweed.SeaweedServer, monkeypatch: pytest.MonkeyPatch, key_id: str, secret: str
) -> None:
    bucket = new_bucket()
    ensure_store(s3_store(s3_settings(s3_env.endpoint, bucket)))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    with pytest.raises(AccessDenied, match="AWS_SECRET_ACCESS_KEY"):
        s3_store(s3_settings(s3_env.endpoint, bucket)).get_bytes("models/x")


def test_unreachable_endpoint_fails_after_bounded_attempts(s3_env: seaweed.SeaweedServer) -> None:
    closed_port = seaweed.free_ports(1)[0]
    store = s3_store(s3_settings(f"http://127.0.0.1:{closed_port}", s3_max_attempts=2))
    with pytest.raises(StoreUnavailable, match=r"unreachable after 2 attempts.*RECSYS_S3_ENDPOINT_URL"):
        store.list("models/")


def test_silent_endpoint_times_out_instead_of_hanging(s3_env: seaweed.SeaweedServer) -> None:
    with silent_listener() as endpoint:
        store = s3_store(s3_settings(endpoint, s3_max_attempts=2, s3_read_timeout_s=0.5))
        with pytest.raises(StoreUnavailable, match="unreachable after 2 attempts"):
            store.get_bytes("models/x")


def test_transient_slowdowns_are_retried_then_succeed(s3_env: seaweed.SeaweedServer) -> None:
    bucket = new_bucket()
    ensure_store(s3_store(s3_settings(s3_env.endpoint, bucket)))
    with FaultProxy(s3_env.endpoint, fail_first=2).running() as proxy:
        store = s3_store(s3_settings(proxy.endpoint, bucket, s3_max_attempts=3))
        store.put_bytes("r/ok.json", b"{}")
        assert (proxy.failed, proxy.requests) == (2, 3)
    assert s3_store(s3_settings(s3_env.endpoint, bucket)).get_bytes("r/ok.json") == b"{}"


def test_persistent_slowdowns_give_up_after_max_attempts(s3_env: seaweed.SeaweedServer) -> None:
    bucket = new_bucket()
    with FaultProxy(s3_env.endpoint, fail_first=100).running() as proxy:
        store = s3_store(s3_settings(proxy.endpoint, bucket, s3_max_attempts=2))
        with pytest.raises(StoreUnavailable, match=r"kept failing \(SlowDown\) after 2 attempts"):
            store.put_bytes("r/never.json", b"{}")
        assert proxy.requests == 2


def test_presigned_urls_use_the_public_endpoint(s3_env: seaweed.SeaweedServer) -> None:
    """Clients reach the store by another name than the services do; the Host header is signed."""
    bucket = new_bucket()
    public = s3_env.endpoint.replace("127.0.0.1", "localhost")
    store = s3_store(s3_settings(s3_env.endpoint, bucket, s3_public_endpoint_url=public))
    ensure_store(store)
    store.put_bytes("p/file.json", b"[1]")
    url = store.presign("p/file.json", expires_s=120)
    parsed = urlparse(url)
    assert f"{parsed.scheme}://{parsed.netloc}" == public
    assert "X-Amz-Expires=120" in url
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == b"[1]"


def test_cli_reports_store_errors_in_one_line(
    s3_env: seaweed.SeaweedServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    closed_port = seaweed.free_ports(1)[0]
    monkeypatch.setenv("RECSYS_STORE_URL", "s3://recsys/test")
    monkeypatch.setenv("RECSYS_S3_ENDPOINT_URL", f"http://127.0.0.1:{closed_port}")
    monkeypatch.setenv("RECSYS_S3_MAX_ATTEMPTS", "2")
    assert cli.main(["models", "list"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "unreachable" in err
    monkeypatch.setenv("RECSYS_S3_ENDPOINT_URL", s3_env.endpoint)
    monkeypatch.setenv("RECSYS_STORE_URL", f"s3://{new_bucket()}/test")
    assert cli.main(["models", "show", "amazon/fm@latest"]) == 2
    assert "does not exist" in capsys.readouterr().err
