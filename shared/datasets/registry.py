"""Where each dataset comes from, how to parse it, and its default k-core thresholds.

Every loader returns the same frame: ``user`` and ``item`` (raw ids as strings), ``rating``
(float32, metadata only) and ``timestamp`` (int64 seconds), in the file's original row order.
"""

import gzip
import hashlib
import importlib.resources
import io
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from shared.atomic import atomic_write_bytes
from shared.checksums import sha256_file
from shared.errors import DatasetError

COLUMNS = ["user", "item", "rating", "timestamp"]


@dataclass(frozen=True)
class CsvOptions:
    """How to read a ``csv:PATH`` dataset."""

    user_col: str = "user"
    item_col: str = "item"
    rating_col: str | None = "rating"
    time_col: str = "timestamp"
    sep: str = ","
    time_unit: str = "s"
    """Unit of numeric timestamps (s, ms, us, ns), or ``iso`` for date strings."""


@dataclass(frozen=True)
class DatasetSpec:
    """One registry entry."""

    name: str
    description: str
    min_user_interactions: int
    min_item_interactions: int
    load: Callable[[Path], pd.DataFrame] = field(repr=False)


def _bundled(filename: str) -> pd.DataFrame:
    ref = importlib.resources.files("shared.datasets").joinpath("bundled", filename)
    with ref.open("rb") as raw, gzip.open(raw, "rt") as text:
        frame = pd.read_csv(text, dtype={"user": str, "item": str})
    return _normalise(frame, filename)


def _normalise(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """Check types and return the canonical four columns."""
    missing = [c for c in ("user", "item", "timestamp") if c not in frame.columns]
    if missing:
        raise DatasetError(f"{source}: missing column(s) {', '.join(missing)}")
    if frame[["user", "item", "timestamp"]].isna().any().any():
        raise DatasetError(
            f"{source}: empty user, item or timestamp values; fix or drop those rows"
        )
    try:
        timestamps = frame["timestamp"].astype("int64")
    except (TypeError, ValueError) as exc:
        raise DatasetError(f"{source}: timestamps are not integers ({exc})") from exc
    rating = frame["rating"] if "rating" in frame.columns else pd.Series(1.0, index=frame.index)
    try:
        rating = pd.to_numeric(rating).astype("float32")
    except (TypeError, ValueError) as exc:
        raise DatasetError(f"{source}: ratings are not numbers ({exc})") from exc
    out = pd.DataFrame(
        {
            "user": frame["user"].astype(str).to_numpy(),
            "item": frame["item"].astype(str).to_numpy(),
            "rating": rating.to_numpy(),
            "timestamp": timestamps.to_numpy(),
        }
    )
    if out.empty:
        raise DatasetError(f"{source}: no interactions")
    return out


def git_blob_id(path: Path) -> str:
    """``git hash-object`` of a file: how ml-1m's ratings.dat is known."""
    digest = hashlib.sha1(f"blob {path.stat().st_size}\0".encode())
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _download(url: str, target: Path) -> None:
    """Download to a temporary file beside ``target`` and move it into place only when complete."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False, suffix=".part") as tmp:
        tmp_path = Path(tmp.name)
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                shutil.copyfileobj(response, tmp)
        except (urllib.error.URLError, OSError) as exc:
            tmp_path.unlink(missing_ok=True)
            raise DatasetError(
                f"could not download {url} ({exc}); on an offline machine put the file at {target}"
            ) from exc
    tmp_path.replace(target)


def _fetch_member(data_dir: Path, folder: str, member: str, url: str) -> Path:
    """Return ``data_dir/folder/member``, extracting it from the official zip when absent."""
    target = data_dir / folder / member
    if target.exists():
        return target
    archive = data_dir / f"{folder}.zip"
    if not archive.exists():
        _download(url, archive)
    try:
        with zipfile.ZipFile(archive) as zf:
            data = zf.read(f"{folder}/{member}")
    except (zipfile.BadZipFile, KeyError) as exc:
        raise DatasetError(
            f"{archive} is not the official archive ({exc}); delete it and retry"
        ) from exc
    atomic_write_bytes(target, data)
    return target


ML100K_SHA256 = "06416e597f82b7342361e41163890c81036900f418ad91315590814211dca490"
ML1M_BLOB = "77a7c4b150f588c23bb9e1f068aa996c0b413695"


def _load_ml100k(data_dir: Path) -> pd.DataFrame:
    path = _fetch_member(
        data_dir, "ml-100k", "u.data", "https://files.grouplens.org/datasets/movielens/ml-100k.zip"
    )
    if sha256_file(path) != ML100K_SHA256:
        raise DatasetError(f"{path} does not match the official u.data (sha256); replace it")
    frame = pd.read_csv(path, sep="\t", names=COLUMNS, dtype={"user": str, "item": str})
    return _normalise(frame, str(path))


def _load_ml1m(data_dir: Path) -> pd.DataFrame:
    path = _fetch_member(
        data_dir, "ml-1m", "ratings.dat", "https://files.grouplens.org/datasets/movielens/ml-1m.zip"
    )
    if git_blob_id(path) != ML1M_BLOB:
        raise DatasetError(f"{path} does not match the official ratings.dat; replace it")
    return parse_ml1m(path)


def parse_ml1m(path: Path) -> pd.DataFrame:
    """``UserID::MovieID::Rating::Timestamp`` lines."""
    text = path.read_text(encoding="latin-1")
    frame = pd.read_csv(
        io.StringIO(text.replace("::", "\t")),
        sep="\t",
        names=COLUMNS,
        dtype={"user": str, "item": str},
    )
    return _normalise(frame, str(path))


AMAZON_2018_URL = (
    "https://jmcauley.ucsd.edu/data/amazon_v2/categoryFilesSmall/Musical_Instruments.csv"
)
AMAZON_2018_ROWS = 1_512_530


def _load_amazon_2018(data_dir: Path) -> pd.DataFrame:
    path = data_dir / "amazon-2018" / "Musical_Instruments.csv"
    if not path.exists():
        _download(AMAZON_2018_URL, path)
    frame = pd.read_csv(
        path, names=["item", "user", "rating", "timestamp"], dtype={"user": str, "item": str}
    )
    if len(frame) != AMAZON_2018_ROWS:
        raise DatasetError(
            f"{path} has {len(frame):,} rows, the official file {AMAZON_2018_ROWS:,}; replace it"
        )
    return _normalise(frame, str(path))


_TIME_UNITS = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}


def load_csv(path: Path, options: CsvOptions) -> pd.DataFrame:
    """Read any delimited file of interactions and convert timestamps to int64 seconds."""
    if not path.is_file():
        raise DatasetError(f"{path}: no such file; pass csv:PATH with an existing file")
    try:
        frame = pd.read_csv(
            path, sep=options.sep, dtype={options.user_col: str, options.item_col: str}
        )
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise DatasetError(f"{path}: cannot be parsed as delimited text ({exc})") from exc
    wanted = {options.user_col: "user", options.item_col: "item", options.time_col: "timestamp"}
    if options.rating_col and options.rating_col in frame.columns:
        wanted[options.rating_col] = "rating"
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise DatasetError(
            f"{path}: column(s) {', '.join(missing)} not found "
            f"(have {', '.join(map(str, frame.columns))}); "
            "set --csv-user-col / --csv-item-col / --csv-time-col"
        )
    frame = frame[list(wanted)].rename(columns=wanted)
    if options.time_unit == "iso":
        parsed = pd.to_datetime(frame["timestamp"], utc=True, errors="coerce", format="ISO8601")
        if parsed.isna().any():
            raise DatasetError(f"{path}: some timestamps are not ISO 8601 dates")
        # whole seconds since the epoch, whatever resolution pandas chose for the dates
        frame["timestamp"] = (parsed - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)
    elif options.time_unit in _TIME_UNITS:
        numeric = pd.to_numeric(frame["timestamp"], errors="coerce")
        if numeric.isna().any() or not np.all(np.mod(numeric.to_numpy(), 1) == 0):
            raise DatasetError(
                f"{path}: some timestamps are not integers in unit {options.time_unit!r}"
            )
        frame["timestamp"] = numeric.astype("int64") // _TIME_UNITS[options.time_unit]
    else:
        raise DatasetError(f"unknown time unit {options.time_unit!r}; use s, ms, us, ns or iso")
    return _normalise(frame, str(path))


DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in [
        DatasetSpec(
            "amazon",
            "Amazon 2018 Musical Instruments, the study's 8x8 k-core table (bundled)",
            8,
            8,
            lambda _: _bundled("amazon-2018-8core.csv.gz"),
        ),
        DatasetSpec(
            "amazon-2014",
            "Amazon 2014 Musical Instruments 5-core (bundled)",
            5,
            5,
            lambda _: _bundled("amazon-2014-5core.csv.gz"),
        ),
        DatasetSpec(
            "amazon-2018",
            "Amazon 2018 Musical Instruments full ratings CSV (downloaded)",
            6,
            6,
            _load_amazon_2018,
        ),
        DatasetSpec("ml-100k", "MovieLens 100K (downloaded)", 5, 5, _load_ml100k),
        DatasetSpec("ml-1m", "MovieLens 1M (downloaded)", 5, 5, _load_ml1m),
    ]
}


def dataset_names() -> list[str]:
    return [*DATASETS, "csv:PATH"]


def resolve(name: str, csv_options: CsvOptions | None = None) -> DatasetSpec:
    """Look a dataset up by name; ``csv:PATH`` makes an entry on the fly."""
    if name.startswith("csv:"):
        path = Path(name[4:])
        options = csv_options or CsvOptions()
        return DatasetSpec(name, f"local file {path}", 5, 5, lambda _: load_csv(path, options))
    if name not in DATASETS:
        raise DatasetError(f"unknown dataset {name!r}; choose one of: {', '.join(dataset_names())}")
    return DATASETS[name]


def load_raw(spec: DatasetSpec, data_dir: Path) -> pd.DataFrame:
    return spec.load(data_dir)
