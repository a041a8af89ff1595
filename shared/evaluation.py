"""Exact full-ranking evaluation in user chunks: never a matrix larger than one chunk × items.

Candidates for a user are all items outside the user's seen items (train, and validation at test
time). The chunk function here is what workers run; metrics come from the per-user ranks it returns.
"""

from dataclasses import dataclass
from typing import Literal

import numpy as np

from shared.models.base import Recommender
from shared.preparation.interactions import InteractionMatrix
from shared.preparation.prepare import PreparedData
from shared.ranking import KS, heldout_ranks, mask_seen, metrics_from_ranks, top_k

Split = Literal["valid", "test"]
DEFAULT_CHUNK = 512


@dataclass(frozen=True)
class EvalTarget:
    """Who is evaluated on a split, what they have seen, and their held-out item."""

    users: np.ndarray
    targets: np.ndarray
    seen: InteractionMatrix
    n_items: int

    def candidates(self) -> np.ndarray:
        return self.n_items - self.seen.counts()[self.users]


def eval_target(data: PreparedData, split: Split) -> EvalTarget:
    held = data.valid_item if split == "valid" else data.test_item
    users = np.flatnonzero(held >= 0)
    seen = data.train_matrix(with_valid=split == "test")
    return EvalTarget(users, held[users], seen, data.n_items)


@dataclass(frozen=True)
class ChunkResult:
    ranks: np.ndarray
    top_items: np.ndarray


def score_chunk(
    model: Recommender, users: np.ndarray, targets: np.ndarray, seen: InteractionMatrix, k_max: int
) -> ChunkResult:
    """Held-out ranks and top-``k_max`` lists for one chunk of users."""
    scores = model.score(users)
    if np.isnan(scores).any():
        raise FloatingPointError(f"{model.name} produced NaN scores; training diverged")
    scores = mask_seen(scores, seen.dense_mask(users))
    items, _ = top_k(scores, k_max)
    return ChunkResult(heldout_ranks(scores, targets), items)


@dataclass(frozen=True)
class Evaluation:
    metrics: dict[str, float]
    users: np.ndarray
    ranks: np.ndarray


def evaluate(
    model: Recommender,
    target: EvalTarget,
    ks: tuple[int, ...] = KS,
    chunk_size: int = DEFAULT_CHUNK,
) -> Evaluation:
    if chunk_size <= 0:
        raise ValueError("chunk size must be positive")
    ranks, tops = [], []
    for start in range(0, len(target.users), chunk_size):
        stop = start + chunk_size
        result = score_chunk(
            model, target.users[start:stop], target.targets[start:stop], target.seen, max(ks)
        )
        ranks.append(result.ranks)
        tops.append(result.top_items)
    all_ranks = np.concatenate(ranks)
    metrics = metrics_from_ranks(all_ranks, np.concatenate(tops), target.n_items, ks)
    metrics["users"] = len(target.users)
    return Evaluation(metrics, target.users, all_ranks)


def expected_random_hr(target: EvalTarget, k: int = 10) -> float:
    """HR@k of a uniformly random ranking: the mean of min(k, C)/C over users with C candidates."""
    candidates = target.candidates().astype(np.float64)
    return float(np.mean(np.minimum(k, candidates) / candidates))
