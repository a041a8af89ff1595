"""Sampled ranking: the held-out item among a fixed number of drawn negatives.

Used only to compare protocols (Krichene & Rendle, KDD 2020; Dallmann et al., RecSys 2021); the
platform's own numbers come from exact full ranking (``shared.ranking``). Everything here is pure:
it takes scores, a seen matrix, targets and a generator, and returns arrays.
"""

from typing import Literal

import numpy as np

from shared.preparation.interactions import InteractionMatrix

Weighting = Literal["uniform", "popularity"]
SAMPLED_NEGATIVES = 99
_ROWS_AT_ONCE = 512


def item_weights(seen: InteractionMatrix, weighting: Weighting) -> np.ndarray:
    """Sampling weight per item: all ones, or the item's number of interactions in ``seen``."""
    if weighting == "uniform":
        return np.ones(seen.n_items, dtype=np.float64)
    if weighting == "popularity":
        return np.bincount(seen.indices, minlength=seen.n_items).astype(np.float64)
    raise ValueError(f"unknown weighting {weighting!r}")


def draw_negatives(
    seen: InteractionMatrix,
    users: np.ndarray,
    targets: np.ndarray,
    n: int,
    weights: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """[len(users), n] distinct items per user, none seen by the user and none its target.

    Sampling is without replacement, proportional to ``weights`` (Gumbel top-k: the n largest
    log-weight + Gumbel keys). Items of weight zero come only after every positive-weight candidate.
    """
    if n <= 0:
        raise ValueError("n must be positive")
    log_w = np.where(weights > 0, np.log(np.maximum(weights, 1e-300)), -1e12)
    out = np.empty((len(users), n), dtype=np.int64)
    for start in range(0, len(users), _ROWS_AT_ONCE):
        chunk = users[start : start + _ROWS_AT_ONCE]
        blocked = seen.dense_mask(chunk)
        blocked[np.arange(len(chunk)), targets[start : start + len(chunk)]] = True
        short = np.flatnonzero((~blocked).sum(axis=1) < n)
        if len(short):
            raise ValueError(f"user {int(chunk[short[0]])} has fewer than {n} candidate items to sample")
        keys = log_w[None, :] + rng.gumbel(size=blocked.shape)
        keys[blocked] = -np.inf
        top = np.argpartition(-keys, n - 1, axis=1)[:, :n]
        out[start : start + len(chunk)] = np.sort(top, axis=1)
    return out


def sampled_ranks(scores: np.ndarray, targets: np.ndarray, negatives: np.ndarray) -> np.ndarray:
    """1 + the number of a row's negatives ranked above its target (ties: lower item index first).

    ``scores`` is [rows, items]; ``negatives`` [rows, n] item indices. Ranks lie in 1..n+1.
    """
    rows = np.arange(len(targets))
    target_scores = scores[rows, targets][:, None]
    negative_scores = np.take_along_axis(scores, negatives, axis=1)
    above = (negative_scores > target_scores) | (
        (negative_scores == target_scores) & (negatives < targets[:, None])
    )
    return 1 + above.sum(axis=1)
