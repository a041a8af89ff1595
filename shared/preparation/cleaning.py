"""Cleaning: duplicates out (latest kept), then iterative k-core until it converges."""

from typing import Any

import numpy as np
import pandas as pd

from shared.errors import DatasetError


def drop_duplicates(frame: pd.DataFrame) -> pd.DataFrame:
    """Keep one row per (user, item): the latest by (timestamp, original row order).

    The result keeps the original row order and a ``row`` column with each row's original position,
    which later breaks timestamp ties.
    """
    frame = frame.reset_index(drop=True)
    frame["row"] = np.arange(len(frame), dtype=np.int64)
    ordered = frame.sort_values(["timestamp", "row"], kind="stable")
    latest = ordered.drop_duplicates(["user", "item"], keep="last")
    return latest.sort_values("row", kind="stable").reset_index(drop=True)


def k_core(frame: pd.DataFrame, min_user: int, min_item: int) -> pd.DataFrame:
    """The largest subset in which every user has ``min_user`` rows and every item ``min_item``.

    Removing every row of a user or item below its threshold, repeatedly, never removes a row
    of the largest such subset, so the fixpoint is that subset.
    """
    if min_user < 1 or min_item < 1:
        raise DatasetError("k-core thresholds must be at least 1")
    while True:
        user_counts = frame["user"].map(frame["user"].value_counts())
        item_counts = frame["item"].map(frame["item"].value_counts())
        keep = (user_counts >= min_user) & (item_counts >= min_item)
        if keep.all():
            return frame.reset_index(drop=True)
        frame = frame[keep.to_numpy()]


def clean(frame: pd.DataFrame, min_user: int, min_item: int, source: str) -> pd.DataFrame:
    cleaned = k_core(drop_duplicates(frame), min_user, min_item)
    if cleaned.empty:
        raise DatasetError(
            f"{source}: nothing left after the {min_user}/{min_item} k-core; "
            "lower --min-user-interactions / --min-item-interactions"
        )
    return cleaned


def _spread(counts: np.ndarray) -> dict[str, float]:
    return {"min": int(counts.min()), "median": float(np.median(counts)), "max": int(counts.max())}


def dataset_statistics(
    users: np.ndarray, items: np.ndarray, n_users: int, n_items: int
) -> dict[str, Any]:
    per_user = np.bincount(users, minlength=n_users)
    per_item = np.bincount(items, minlength=n_items)
    return {
        "users": n_users,
        "items": n_items,
        "interactions": len(users),
        "density": len(users) / (n_users * n_items),
        "per_user": _spread(per_user),
        "per_item": _spread(per_item),
    }
