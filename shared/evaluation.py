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
    negatives: np.ndarray | None = None
    """Sampled protocols: [len(users), n] fixed negatives; the candidates are they and the target."""

    def candidates(self) -> np.ndarray:
        if self.negatives is not None:
            return np.full(len(self.users), self.negatives.shape[1] + 1)
        return self.n_items - self.seen.counts()[self.users]

    def chunk(self, start: int, stop: int) -> "EvalTarget":
        """The users ``start:stop`` (positions in ``users``), with their targets and negatives."""
        negatives = None if self.negatives is None else self.negatives[start:stop]
        return EvalTarget(self.users[start:stop], self.targets[start:stop], self.seen, self.n_items, negatives)


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
    model: Recommender,
    users: np.ndarray,
    targets: np.ndarray,
    seen: InteractionMatrix,
    k_max: int,
    negatives: np.ndarray | None = None,
) -> ChunkResult:
    """Held-out ranks and top-``k_max`` lists for one chunk of users.

    With ``negatives`` (sampled protocols) only the target and those items are candidates: every
    other item is masked like a seen one, so ranks and top lists count within the sample.
    """
    scores = model.score(users)
    if np.isnan(scores).any():
        raise FloatingPointError(f"{model.name} produced NaN scores; training diverged")
    if negatives is None:
        excluded = seen.dense_mask(users)
    else:
        excluded = np.ones_like(scores, dtype=bool)
        rows = np.arange(len(users))[:, None]
        excluded[rows, negatives] = False
        excluded[rows[:, 0], targets] = False
    scores = mask_seen(scores, excluded)
    items, _ = top_k(scores, k_max)
    return ChunkResult(heldout_ranks(scores, targets), items)


def score_target_chunk(model: Recommender, chunk: EvalTarget, k_max: int) -> ChunkResult:
    """``score_chunk`` over one chunk of an evaluation target (what a worker runs)."""
    return score_chunk(model, chunk.users, chunk.targets, chunk.seen, k_max, chunk.negatives)


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
        result = score_target_chunk(model, target.chunk(start, start + chunk_size), max(ks))
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



def sampled_negatives(target: EvalTarget, weighting: str, n: int, seed: int) -> np.ndarray:
    """[len(users), n] distinct negatives per user, outside the user's seen items and target.

    Drawn once from one generator in user order, so the same seed gives the same sample to every
    model. ``popularity`` weights items by seen-interaction count plus one (so no item is impossible).
    """
    rng = np.random.default_rng(seed)
    counts = np.bincount(target.seen.indices, minlength=target.n_items).astype(np.float64) + 1.0
    out = np.empty((len(target.users), n), dtype=np.int64)
    for row, (user, item) in enumerate(zip(target.users, target.targets, strict=True)):
        allowed = np.setdiff1d(np.arange(target.n_items), np.append(target.seen.row(int(user)), item))
        if len(allowed) < n:
            raise ValueError(f"user index {user} has only {len(allowed)} unseen items; {n} negatives needed")
        weights = None
        if weighting == "popularity":
            weights = counts[allowed] / counts[allowed].sum()
        elif weighting != "uniform":
            raise ValueError(f"unknown weighting {weighting!r}")
        out[row] = rng.choice(allowed, size=n, replace=False, p=weights)
    return out
