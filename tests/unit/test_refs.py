"""Model references and version names."""

from datetime import UTC, datetime

import pytest

from shared.artifacts import ModelRef, RefError, dataset_key, new_version
from shared.errors import RecsysError


@pytest.mark.parametrize(
    "text, expected",
    [
        ("amazon/fm@latest", ModelRef("amazon", "fm", "latest")),
        ("amazon/fm", ModelRef("amazon", "fm", "latest")),
        ("ml-1m/ncf@20261204T205757.158292Z-74f8bd97", ModelRef("ml-1m", "ncf", "20261204T205757.158292Z-74f8bd97")),
        (" amazon-2014/pop@latest ", ModelRef("amazon-2014", "pop", "latest")),
    ],
)
def test_parse(text: str, expected: ModelRef) -> None:
    assert ModelRef.parse(text) == expected


@pytest.mark.parametrize("text", ["", "amazon", "amazon/", "/fm", "amazon/fm@", "a/b/c", "amazon/fm@../x", "csv:x/fm"])
def test_bad_forms_say_what_to_write(text: str) -> None:
    with pytest.raises(RecsysError, match=r"DATASET/MODEL\[@VERSION\|@latest\]") as info:
        ModelRef.parse(text)
    assert isinstance(info.value, RefError)


def test_str_round_trips_and_prefixes() -> None:
    ref = ModelRef.parse("amazon/fm@v1")
    assert ModelRef.parse(str(ref)) == ref
    assert ref.prefix == "models/amazon/fm/v1/"
    assert ref.model_prefix == "models/amazon/fm/"


def test_versions_sort_by_time_and_never_collide() -> None:
    early = new_version(datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC))
    late = new_version(datetime(2026, 1, 2, 3, 4, 5, 7, tzinfo=UTC))
    assert early.startswith("20260102T030405.000006Z-") and early < late
    same_instant = datetime(2026, 1, 1, tzinfo=UTC)
    assert len({new_version(same_instant) for _ in range(1000)}) == 1000
    assert ModelRef.parse(f"amazon/fm@{early}").version == early


def test_dataset_keys_are_safe_names() -> None:
    assert dataset_key("amazon") == "amazon"
    assert dataset_key("csv:./data/my file.csv") == "data-my-file.csv"
    assert ModelRef.parse(f"{dataset_key('csv:/x/y.csv')}/fm").dataset == "x-y.csv"
