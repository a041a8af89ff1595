from pathlib import Path

import pytest

from shared.interim_store import LocalFolderStore, ModelRef
from shared.preparation import PreparedData
from tests.synthetic import publish_all, synthetic_data


@pytest.fixture(scope="session")
def data() -> PreparedData:
    return synthetic_data()


@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory, data: PreparedData) -> tuple[Path, dict[str, ModelRef]]:
    root = tmp_path_factory.mktemp("store")
    return root, publish_all(root, data)


@pytest.fixture
def store(published: tuple[Path, dict[str, ModelRef]]) -> LocalFolderStore:
    return LocalFolderStore(published[0])
