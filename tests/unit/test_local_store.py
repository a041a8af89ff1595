"""Local-folder specifics: URL forms and invisible temp files."""

from pathlib import Path

from shared.settings import Settings
from shared.store import LocalStore, local_path, open_store


def test_file_urls_absolute_and_relative() -> None:
    assert local_path("file:///srv/store") == Path("/srv/store")
    assert local_path("file://store") == Path("store")


def test_default_settings_open_a_local_store(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    store = open_store(Settings.model_validate({}))
    assert isinstance(store, LocalStore)
    assert store.root == tmp_path / "store"


def test_temp_files_of_an_interrupted_write_are_not_listed(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    store.put_bytes("v/a.json", b"{}")
    (tmp_path / "v" / ".b.json.123.partial").write_bytes(b"half")
    assert store.list("v/") == ["v/a.json"]
    assert not store.exists("v/b.json")
