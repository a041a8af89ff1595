"""What FM and NCF share: a torch module trained on positives and sampled negatives."""

from abc import abstractmethod
from typing import ClassVar

import numpy as np
import torch
from torch import nn

from shared.models.base import Recommender, TrainingConfig
from shared.preparation.interactions import InteractionMatrix
from shared.preparation.negatives import NegativeSampler
from shared.seeding import derive_seed


class PairModule(nn.Module):
    """Scores (user, item) pairs, and all items for a chunk of users exactly."""

    @abstractmethod
    def forward(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor: ...

    @abstractmethod
    def score_all(self, users: torch.Tensor) -> torch.Tensor:
        """[len(users), n_items] scores, computed in float64 so every chunking rounds alike."""

    @abstractmethod
    def penalty(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """Per-pair squared norm of the parameters the pair uses (for the batch L2 term)."""


class NeuralRecommender(Recommender):
    """Shared fit / score / save logic. Subclasses build the module."""

    name: ClassVar[str]
    config: TrainingConfig
    SCORE_CHUNK: ClassVar[int] = 256

    def __init__(self, n_users: int, n_items: int, seed: int = 0, device: str = "cpu") -> None:
        super().__init__(n_users, n_items)
        self.seed = seed
        self.device = torch.device(device)
        torch.manual_seed(derive_seed(seed, self.name, "init"))
        self.module = self.build().to(self.device)
        self.optimizer = torch.optim.Adam(self.module.parameters(), lr=self.config.learning_rate)
        self._sampler: NegativeSampler | None = None
        self._negatives: np.ndarray | None = None
        self.epochs_trained = 0

    @abstractmethod
    def build(self) -> PairModule: ...

    # --- training -------------------------------------------------------------------------
    def fit(self, train: InteractionMatrix) -> None:
        for _ in range(self.config.max_epochs):
            self.train_epoch(train)

    def _epoch_negatives(self, train: InteractionMatrix, users: np.ndarray) -> np.ndarray:
        cfg = self.config
        if self._sampler is None or self._sampler.seen is not train:
            self._sampler = NegativeSampler(train, cfg.negative_weighting)
            self._negatives = None
        if cfg.negative_sampling == "static":
            if self._negatives is None:
                # Same seed for every model: FM and NCF train on the same negatives.
                rng = np.random.default_rng(derive_seed(self.seed, "negatives"))
                self._negatives = self._sampler.sample(users, cfg.negatives, rng)
            return self._negatives
        rng = np.random.default_rng(derive_seed(self.seed, "negatives", self.epochs_trained))
        return self._sampler.sample(users, cfg.negatives, rng)

    def train_epoch(self, train: InteractionMatrix) -> float:
        """One pass over every train positive and its negatives; returns the mean loss."""
        cfg = self.config
        users, positives = train.pairs()
        negatives = self._epoch_negatives(train, users)
        n = cfg.negatives
        if cfg.loss == "bce":
            u = np.concatenate([users, np.repeat(users, n)])
            i = np.concatenate([positives, negatives.reshape(-1)])
            y = np.concatenate([np.ones(len(users)), np.zeros(len(users) * n)]).astype(np.float32)
            columns = [torch.from_numpy(u), torch.from_numpy(i), torch.from_numpy(y)]
        else:
            u, p = np.repeat(users, n), np.repeat(positives, n)
            columns = [
                torch.from_numpy(u),
                torch.from_numpy(p),
                torch.from_numpy(negatives.reshape(-1)),
            ]
        generator = torch.Generator().manual_seed(
            derive_seed(self.seed, self.name, "shuffle", self.epochs_trained)
        )
        order = torch.randperm(len(columns[0]), generator=generator)
        columns = [c[order].to(self.device) for c in columns]
        self.module.train()
        total, count = torch.zeros((), device=self.device), 0
        for start in range(0, len(order), cfg.batch_size):
            batch = [c[start : start + cfg.batch_size] for c in columns]
            loss = self._loss(*batch)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            total += loss.detach() * len(batch[0])
            count += len(batch[0])
        self.epochs_trained += 1
        return float(total) / count

    def _loss(self, users: torch.Tensor, items: torch.Tensor, third: torch.Tensor) -> torch.Tensor:
        cfg = self.config
        if cfg.loss == "bce":
            logits = self.module(users, items)
            loss = nn.functional.binary_cross_entropy_with_logits(logits, third)
            reg = self.module.penalty(users, items)
        else:
            diff = self.module(users, items) - self.module(users, third)
            loss = -nn.functional.logsigmoid(diff).mean()
            reg = self.module.penalty(users, items) + self.module.penalty(users, third)
        return loss + cfg.l2 * reg.mean() if cfg.l2 > 0 else loss

    # --- scoring and state --------------------------------------------------------------------
    @torch.no_grad()
    def score(self, users: np.ndarray) -> np.ndarray:
        self.module.eval()
        out = np.empty((len(users), self.n_items), dtype=np.float32)
        for start in range(0, len(users), self.SCORE_CHUNK):
            chunk = torch.from_numpy(
                np.ascontiguousarray(users[start : start + self.SCORE_CHUNK], dtype=np.int64)
            )
            out[start : start + len(chunk)] = (
                self.module.score_all(chunk.to(self.device)).float().cpu().numpy()
            )
        return out

    def parameters(self) -> dict[str, np.ndarray]:
        # A copy: on CPU, .numpy() shares memory with the live weights, which the optimiser keeps updating.
        return {k: v.detach().cpu().numpy().copy() for k, v in self.module.state_dict().items()}

    def load_parameters(self, params: dict[str, np.ndarray]) -> None:
        self.module.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in params.items()})
