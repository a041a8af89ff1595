"""Popularity: every user gets the items with the most train interactions."""

from typing import ClassVar

import numpy as np

from shared.models.base import ModelConfig, Recommender
from shared.preparation.interactions import InteractionMatrix


class PopularityConfig(ModelConfig):
    """Popularity has nothing to tune."""


class Popularity(Recommender):
    name: ClassVar[str] = "pop"
    config: PopularityConfig

    def __init__(self, n_users: int, n_items: int, config: PopularityConfig | None = None) -> None:
        super().__init__(n_users, n_items)
        self.config = config or PopularityConfig()
        self.counts = np.zeros(n_items, dtype=np.float32)

    def fit(self, train: InteractionMatrix) -> None:
        self.counts = np.bincount(train.indices, minlength=self.n_items).astype(np.float32)

    def score(self, users: np.ndarray) -> np.ndarray:
        return np.broadcast_to(self.counts, (len(users), self.n_items)).copy()

    def parameters(self) -> dict[str, np.ndarray]:
        return {"counts": self.counts}

    def load_parameters(self, params: dict[str, np.ndarray]) -> None:
        self.counts = params["counts"].astype(np.float32)
