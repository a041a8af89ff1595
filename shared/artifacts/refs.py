"""Names in the store: model references (``amazon/fm@latest``), versions and key prefixes."""

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from shared.errors import RecsysError

LATEST = "latest"
_NAME = r"[A-Za-z0-9][A-Za-z0-9._-]*"
_REF = re.compile(rf"(?P<dataset>{_NAME})/(?P<model>{_NAME})(?:@(?P<version>{_NAME}))?")


class RefError(RecsysError):
    """A model reference does not have the form DATASET/MODEL[@VERSION|@latest]."""


@dataclass(frozen=True)
class ModelRef:
    dataset: str
    model: str
    version: str = LATEST

    @classmethod
    def parse(cls, text: str) -> "ModelRef":
        """``amazon/fm@latest``, ``amazon/fm`` (= latest) or ``amazon/fm@<version>``."""
        match = _REF.fullmatch(text.strip())
        if match is None:
            raise RefError(
                f"invalid model reference {text!r}: use DATASET/MODEL[@VERSION|@latest], e.g. amazon/fm@latest"
            )
        return cls(match["dataset"], match["model"], match["version"] or LATEST)

    @property
    def is_latest(self) -> bool:
        return self.version == LATEST

    @property
    def model_prefix(self) -> str:
        return f"models/{self.dataset}/{self.model}/"

    @property
    def prefix(self) -> str:
        """The version's immutable key prefix (only meaningful for a concrete version)."""
        return f"{self.model_prefix}{self.version}/"

    def with_version(self, version: str) -> "ModelRef":
        return ModelRef(self.dataset, self.model, version)

    def __str__(self) -> str:
        return f"{self.dataset}/{self.model}@{self.version}"


def new_version(now: datetime | None = None) -> str:
    """UTC time to the microsecond plus 32 random bits: sorts by time, unique across writers."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S.%fZ")
    return f"{stamp}-{secrets.token_hex(4)}"


def dataset_key(dataset: str) -> str:
    """The store (and run folder) name of a dataset: ``csv:/data/x.csv`` becomes ``data-x.csv``."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", dataset.removeprefix("csv:")).strip("-._") or "dataset"


def prepared_prefix(dataset: str, prep_hash: str) -> str:
    return f"datasets/{dataset}/{prep_hash}/"
