"""Training negatives: items a user has not seen in train, drawn without a per-user loop."""

from typing import Literal

import numpy as np

from shared.errors import DatasetError
from shared.preparation.interactions import InteractionMatrix

Weighting = Literal["uniform", "popularity"]
_MAX_VECTOR_ROUNDS = 50


class NegativeSampler:
    """Draws ``n`` negatives per user row, uniform or popularity-weighted, never a positive."""

    def __init__(self, seen: InteractionMatrix, weighting: Weighting = "uniform") -> None:
        self.seen = seen
        self.weighting = weighting
        if weighting == "popularity":
            counts = np.bincount(seen.indices, minlength=seen.n_items).astype(np.float64)
            self.probs: np.ndarray | None = counts / counts.sum()
        elif weighting == "uniform":
            self.probs = None
        else:
            raise ValueError(f"unknown negative weighting {weighting!r}")
        full = seen.counts() >= seen.n_items
        if full.any():
            raise DatasetError(
                f"{int(full.sum())} user(s) interacted with every item: no negatives can be drawn"
            )

    def _draw(self, size: int, rng: np.random.Generator) -> np.ndarray:
        if self.probs is None:
            return rng.integers(0, self.seen.n_items, size=size, dtype=np.int64)
        return rng.choice(self.seen.n_items, size=size, p=self.probs).astype(np.int64)

    def sample(self, users: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        """[len(users), n] item indices, each outside that user's seen items."""
        flat_users = np.repeat(users.astype(np.int64), n)
        out = self._draw(len(flat_users), rng)
        bad = np.flatnonzero(self.seen.contains(flat_users, out))
        for _ in range(_MAX_VECTOR_ROUNDS):
            if len(bad) == 0:
                break
            out[bad] = self._draw(len(bad), rng)
            bad = bad[self.seen.contains(flat_users[bad], out[bad])]
        for pos in bad:  # users who hold most of the sampling mass: draw from their complement
            allowed = np.setdiff1d(
                np.arange(self.seen.n_items), self.seen.row(int(flat_users[pos]))
            )
            weights = None if self.probs is None else self.probs[allowed]
            if weights is not None and weights.sum() == 0:
                weights = None
            elif weights is not None:
                weights = weights / weights.sum()
            out[pos] = rng.choice(allowed, p=weights)
        return out.reshape(len(users), n)
