"""Real servers on loopback: a throwaway redis-server for the session (workers/local.py)."""

from collections.abc import Iterator

import pytest

from workers.local import LocalRedis


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    try:
        server = LocalRedis(tmp_path_factory.mktemp("redis"))
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    yield server.url
    server.stop()
