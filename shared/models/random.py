"""Random: scores from a generator seeded by (seed, user), so any chunking gives the same lists."""

from typing import ClassVar

import numpy as np
from pydantic import Field

from shared.models.base import ModelConfig, Recommender
from shared.preparation.interactions import InteractionMatrix


class RandomConfig(ModelConfig):
    seed: int = Field(0, description="Scores for user u come from a generator seeded by (seed, u).")


class RandomModel(Recommender):
    name: ClassVar[str] = "random"
    config: RandomConfig

    def __init__(self, n_users: int, n_items: int, config: RandomConfig | None = None) -> None:
        super().__init__(n_users, n_items)
        self.config = config or RandomConfig()

    def fit(self, train: InteractionMatrix) -> None:
        """Nothing to learn."""

    def score(self, users: np.ndarray) -> np.ndarray:
        out = np.empty((len(users), self.n_items), dtype=np.float32)
        for row, user in enumerate(users):
            out[row] = np.random.default_rng([self.config.seed, int(user)]).random(
                self.n_items, dtype=np.float32
            )
        return out

    def parameters(self) -> dict[str, np.ndarray]:
        return {}

    def load_parameters(self, params: dict[str, np.ndarray]) -> None:
        """Nothing to load."""
