"""Leave-one-out: a user's last interaction is the test item, the one before it validation."""

from typing import Literal

import numpy as np

TRAIN, VALID, TEST = 0, 1, 2
SplitMode = Literal["time", "random"]


def leave_one_out(
    users: np.ndarray,
    timestamps: np.ndarray,
    rows: np.ndarray,
    mode: SplitMode = "time",
    seed: int = 0,
) -> np.ndarray:
    """Label each interaction TRAIN, VALID or TEST.

    ``time`` orders each user's interactions by (timestamp, original row) — a stable tie-break, as
    day-resolution timestamps tie often. ``random`` orders them by a seeded random key. Users with
    fewer than 3 interactions stay in train only.
    """
    if timestamps.dtype != np.int64:
        raise TypeError("timestamps must be int64: float32 merges timestamps 64 s apart")
    if mode == "time":
        order = np.lexsort((rows, timestamps, users))
    elif mode == "random":
        key = np.random.default_rng(seed).random(len(users))
        order = np.lexsort((key, users))
    else:
        raise ValueError(f"unknown split mode {mode!r}")
    sorted_users = users[order]
    counts = np.bincount(sorted_users)
    group_end = np.cumsum(counts)[sorted_users]  # one past the user's last position
    from_end = group_end - 1 - np.arange(len(users))
    eligible = counts[sorted_users] >= 3
    labels_sorted = np.full(len(users), TRAIN, dtype=np.int8)
    labels_sorted[eligible & (from_end == 0)] = TEST
    labels_sorted[eligible & (from_end == 1)] = VALID
    labels = np.empty_like(labels_sorted)
    labels[order] = labels_sorted
    return labels
