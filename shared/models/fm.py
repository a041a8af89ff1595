"""Factorization Machine over a user field and an item field, with per-feature biases.

ŷ(u, i) = w0 + w_u + w_i + ⟨v_u, v_i⟩. Each id is a one-hot feature with its own bias and
embedding (not a linear layer over raw id numbers). For ranking, ⟨[v_u; 1], [v_i; w_i]⟩ plus a
per-user constant is the exact score, so a maximum-inner-product index gives exact top-k.
"""

from typing import ClassVar, Literal

import torch
from pydantic import Field
from torch import nn

from shared.models.base import TrainingConfig
from shared.models.neural import NeuralRecommender, PairModule


class FMConfig(TrainingConfig):
    """FM's defaults: pairwise BPR with small steps, an L2 term and popularity-weighted negatives did
    best on amazon validation (docs/tuning.md)."""

    loss: Literal["bce", "bpr"] = "bpr"
    negative_weighting: Literal["uniform", "popularity"] = "popularity"
    learning_rate: float = Field(3e-4, gt=0)
    l2: float = Field(1e-3, ge=0, description="L2 penalty on the embeddings and biases used in a batch.")
    embedding_dim: int = Field(64, ge=1, description="Size of each user and item embedding.")
    init_std: float = Field(
        0.01, gt=0, description="Std of the normal initialisation of embeddings."
    )


class FMModule(PairModule):
    def __init__(self, n_users: int, n_items: int, cfg: FMConfig) -> None:
        super().__init__()
        self.user_embedding = nn.Embedding(n_users, cfg.embedding_dim)
        self.item_embedding = nn.Embedding(n_items, cfg.embedding_dim)
        self.user_bias = nn.Embedding(n_users, 1)
        self.item_bias = nn.Embedding(n_items, 1)
        self.global_bias = nn.Parameter(torch.zeros(1))
        nn.init.normal_(self.user_embedding.weight, std=cfg.init_std)
        nn.init.normal_(self.item_embedding.weight, std=cfg.init_std)
        nn.init.zeros_(self.user_bias.weight)
        nn.init.zeros_(self.item_bias.weight)

    def forward(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        interaction = (self.user_embedding(users) * self.item_embedding(items)).sum(-1)
        biases = self.user_bias(users).squeeze(-1) + self.item_bias(items).squeeze(-1)
        return self.global_bias + biases + interaction

    def score_all(self, users: torch.Tensor) -> torch.Tensor:
        u = self.user_embedding.weight[users].double()
        v = self.item_embedding.weight.double()
        item_bias = self.item_bias.weight.double().squeeze(-1)
        user_bias = self.user_bias.weight[users].double()
        return u @ v.T + item_bias[None, :] + user_bias + self.global_bias.double()

    def penalty(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        return (
            self.user_embedding(users).pow(2).sum(-1)
            + self.item_embedding(items).pow(2).sum(-1)
            + self.item_bias(items).pow(2).squeeze(-1)
        )


class FM(NeuralRecommender):
    name: ClassVar[str] = "fm"
    config: FMConfig

    def __init__(
        self, n_users: int, n_items: int, config: FMConfig | None = None, seed: int = 0, device: str = "cpu"
    ) -> None:
        self.config = config or FMConfig()
        super().__init__(n_users, n_items, seed, device)

    def build(self) -> FMModule:
        return FMModule(self.n_users, self.n_items, self.config)
