"""NeuMF (He et al., 2017): GMF and MLP branches with separate embeddings, joined by a linear layer.

For exact full ranking the first MLP layer is split: W[p'; q'] + b = (W_u p' + b) + W_i q'. The
user and item projections are computed once per chunk, so users × all items costs only the later,
small layers.
"""

import itertools
from typing import ClassVar

import torch
from pydantic import Field, field_validator
from torch import nn

from shared.models.base import TrainingConfig
from shared.models.neural import NeuralRecommender, PairModule


class NCFConfig(TrainingConfig):
    """NCF's defaults: BCE with 10 negatives per positive did best on amazon validation."""

    negatives: int = Field(10, ge=1, description="Sampled negatives per train positive.")
    l2: float = Field(1e-5, ge=0, description="L2 penalty on the embeddings used in a batch.")
    gmf_dim: int = Field(64, ge=1, description="Embedding size of the GMF branch.")
    mlp_layers: tuple[int, ...] = Field(
        (64, 32, 16),
        description="MLP tower widths; the first is the concatenated user+item MLP embedding size.",
    )
    dropout: float = Field(0.0, ge=0, lt=1, description="Dropout after each hidden MLP layer.")
    init_std: float = Field(0.01, gt=0)

    @field_validator("mlp_layers")
    @classmethod
    def _tower(cls, layers: tuple[int, ...]) -> tuple[int, ...]:
        if len(layers) < 2 or layers[0] % 2 or min(layers) < 1:
            raise ValueError("mlp_layers needs at least two positive widths, the first even")
        return layers


class NCFModule(PairModule):
    def __init__(self, n_users: int, n_items: int, cfg: NCFConfig) -> None:
        super().__init__()
        half = cfg.mlp_layers[0] // 2
        self.gmf_user = nn.Embedding(n_users, cfg.gmf_dim)
        self.gmf_item = nn.Embedding(n_items, cfg.gmf_dim)
        self.mlp_user = nn.Embedding(n_users, half)
        self.mlp_item = nn.Embedding(n_items, half)
        for emb in (self.gmf_user, self.gmf_item, self.mlp_user, self.mlp_item):
            nn.init.normal_(emb.weight, std=cfg.init_std)
        widths = cfg.mlp_layers
        self.first = nn.Linear(widths[0], widths[1])
        tower: list[nn.Module] = [nn.ReLU(), nn.Dropout(cfg.dropout)]
        for w_in, w_out in itertools.pairwise(widths[1:]):
            tower += [nn.Linear(w_in, w_out), nn.ReLU(), nn.Dropout(cfg.dropout)]
        self.tower = nn.Sequential(*tower)
        self.output = nn.Linear(cfg.gmf_dim + widths[-1], 1)
        self.mlp_half = half

    def forward(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        gmf = self.gmf_user(users) * self.gmf_item(items)
        mlp = self.tower(
            self.first(torch.cat([self.mlp_user(users), self.mlp_item(items)], dim=-1))
        )
        return self.output(torch.cat([gmf, mlp], dim=-1)).squeeze(-1)

    def score_all(self, users: torch.Tensor) -> torch.Tensor:
        d = torch.float64
        weight, bias = self.first.weight.to(d), self.first.bias.to(d)
        user_proj = self.mlp_user.weight[users].to(d) @ weight[:, : self.mlp_half].T + bias  # [B, h]
        item_proj = self.mlp_item.weight.to(d) @ weight[:, self.mlp_half :].T  # [I, h]
        hidden = user_proj[:, None, :] + item_proj[None, :, :]  # [B, I, h]
        for layer in self.tower:  # in float64, without touching the module's own dtype
            if isinstance(layer, nn.Linear):
                hidden = nn.functional.linear(hidden, layer.weight.to(d), layer.bias.to(d))
            elif isinstance(layer, nn.ReLU):
                hidden = torch.relu(hidden)
        out_w, out_b = self.output.weight.to(d).squeeze(0), self.output.bias.to(d)
        gmf_w, mlp_w = out_w[: self.gmf_user.embedding_dim], out_w[self.gmf_user.embedding_dim :]
        gmf = (self.gmf_user.weight[users].to(d) * gmf_w) @ self.gmf_item.weight.to(d).T
        return gmf + hidden @ mlp_w + out_b

    def penalty(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        return sum(
            emb(ids).pow(2).sum(-1)
            for emb, ids in (
                (self.gmf_user, users),
                (self.gmf_item, items),
                (self.mlp_user, users),
                (self.mlp_item, items),
            )
        )


class NCF(NeuralRecommender):
    name: ClassVar[str] = "ncf"
    config: NCFConfig

    def __init__(
        self, n_users: int, n_items: int, config: NCFConfig | None = None, seed: int = 0, device: str = "cpu"
    ) -> None:
        self.config = config or NCFConfig()
        super().__init__(n_users, n_items, seed, device)

    def build(self) -> NCFModule:
        return NCFModule(self.n_users, self.n_items, self.config)
