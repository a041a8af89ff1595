"""Exact ranking over all candidate items: held-out ranks, top-k lists and metrics built on them.

Scores of seen items are set to -inf before anything else. Ties are broken by item index (the lower
index ranks first), so ranks and top-k lists are pure functions of the scores.
"""

from collections.abc import Sequence

import numpy as np

KS: tuple[int, ...] = (5, 10, 20)


def mask_seen(scores: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """Scores with seen items at -inf (``seen`` is a boolean array of the same shape)."""
    return np.where(seen, -np.inf, scores).astype(scores.dtype, copy=False)


def heldout_ranks(scores: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """1 + the number of candidates ranked above each row's target item.

    A candidate ranks above the target when it scores higher, or equally with a lower item index.
    """
    rows = np.arange(len(targets))
    target_scores = scores[rows, targets][:, None]
    index = np.arange(scores.shape[1])[None, :]
    above = (scores > target_scores) | ((scores == target_scores) & (index < targets[:, None]))
    return 1 + above.sum(axis=1)


def top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The best ``k`` items per row, best first, ties by lower item index.

    Returns (items, scores), both [rows, k]. Rows with fewer than ``k`` finite scores get -1 items
    (and -inf scores) in their last places; callers drop them.
    """
    n_rows, n_items = scores.shape
    k = min(k, n_items)
    if k <= 0:
        raise ValueError("k must be positive")
    kth = -np.partition(-scores, k - 1, axis=1)[:, k - 1 : k]
    above = scores > kth
    ties = scores == kth
    need = k - above.sum(axis=1, keepdims=True)
    chosen = above | (ties & (np.cumsum(ties, axis=1) <= need))
    items = np.nonzero(chosen)[1].reshape(n_rows, k)  # row-major: ascending index within a row
    picked = np.take_along_axis(scores, items, axis=1)
    order = np.argsort(-picked, axis=1, kind="stable")
    items = np.take_along_axis(items, order, axis=1)
    picked = np.take_along_axis(picked, order, axis=1)
    items[~np.isfinite(picked)] = -1
    return items, picked


def metrics_from_ranks(
    ranks: np.ndarray, top_items: np.ndarray, n_items: int, ks: Sequence[int] = KS
) -> dict[str, float]:
    """HR@k, NDCG@k, MRR@k and Coverage@k from held-out ranks and each user's top-max(k) list."""
    if len(ranks) == 0:
        raise ValueError("no users to evaluate")
    ranks = ranks.astype(np.float64)
    out: dict[str, float] = {}
    for k in ks:
        hit = ranks <= k
        out[f"HR@{k}"] = float(hit.mean())
        out[f"NDCG@{k}"] = float(np.where(hit, 1.0 / np.log2(ranks + 1.0), 0.0).mean())
        out[f"MRR@{k}"] = float(np.where(hit, 1.0 / ranks, 0.0).mean())
        listed = top_items[:, :k]
        out[f"Coverage@{k}"] = len(np.unique(listed[listed >= 0])) / n_items
    out["MRR"] = float((1.0 / ranks).mean())
    return out
