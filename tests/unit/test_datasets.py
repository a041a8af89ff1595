from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shared.datasets import CsvOptions, load_raw, resolve
from shared.datasets.registry import load_csv, parse_ml1m
from shared.errors import DatasetError
from tests.conftest import SHARED_DATASETS


def test_bundled_tables_load_offline():
    amazon = load_raw(resolve("amazon"), Path("unused"))
    assert len(amazon) == 52_022 and amazon["timestamp"].dtype == np.int64
    older = load_raw(resolve("amazon-2014"), Path("unused"))
    assert (len(older), older["user"].nunique(), older["item"].nunique()) == (10_261, 1_429, 900)


def test_csv_options(tmp_path):
    path = tmp_path / "x.tsv"
    path.write_text("uid\tiid\twhen\nu1\ti1\t2020-01-02\nu2\ti1\t2020-01-03T00:00:01Z\n")
    frame = load_csv(
        path,
        CsvOptions(
            user_col="uid",
            item_col="iid",
            time_col="when",
            rating_col=None,
            sep="\t",
            time_unit="iso",
        ),
    )
    assert frame["timestamp"].tolist() == [1577923200, 1578009601]
    assert frame["rating"].tolist() == [1.0, 1.0]


def test_csv_millisecond_timestamps_become_seconds(tmp_path):
    path = tmp_path / "x.csv"
    pd.DataFrame({"user": [1], "item": [2], "timestamp": [1_600_000_000_123]}).to_csv(
        path, index=False
    )
    assert load_csv(path, CsvOptions(time_unit="ms"))["timestamp"].tolist() == [1_600_000_000]


def test_csv_missing_columns_say_which(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(DatasetError, match="column\\(s\\) user, item, timestamp not found"):
        load_csv(path, CsvOptions())


def test_ml1m_format(tmp_path):
    path = tmp_path / "ratings.dat"
    path.write_text("1::1193::5::978300760\n1::661::3::978302109\n2::1193::4::978298413\n")
    frame = parse_ml1m(path)
    assert frame["user"].tolist() == ["1", "1", "2"]
    assert frame["timestamp"].dtype == np.int64


def test_offline_download_says_where_to_put_the_file(tmp_path):
    with pytest.raises(DatasetError, match=str(tmp_path / "ml-1m.zip")):
        load_raw(resolve("ml-1m"), tmp_path)


@pytest.mark.skipif(
    not (SHARED_DATASETS / "ml-100k" / "u.data").exists(), reason="MovieLens 100K copy not present"
)
def test_ml100k_from_a_placed_copy(tmp_path):
    (tmp_path / "ml-100k").mkdir()
    (tmp_path / "ml-100k" / "u.data").symlink_to(SHARED_DATASETS / "ml-100k" / "u.data")
    frame = load_raw(resolve("ml-100k"), tmp_path)
    assert (len(frame), frame["user"].nunique(), frame["item"].nunique()) == (100_000, 943, 1_682)


def test_ml100k_with_wrong_bytes_is_refused(tmp_path):
    (tmp_path / "ml-100k").mkdir()
    (tmp_path / "ml-100k" / "u.data").write_text("1\t2\t3\t4\n")
    with pytest.raises(DatasetError, match="sha256"):
        load_raw(resolve("ml-100k"), tmp_path)
