"""Dataset registry: a name maps to a loader of raw interactions and default cleaning thresholds."""

from shared.datasets.registry import (
    DATASETS,
    CsvOptions,
    DatasetSpec,
    dataset_names,
    load_raw,
    resolve,
)

__all__ = ["DATASETS", "CsvOptions", "DatasetSpec", "dataset_names", "load_raw", "resolve"]
