"""The contract every model meets: fit, score a chunk of users against all items, save, load."""

import json
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from safetensors.numpy import load_file, save_file

from shared.preparation.interactions import InteractionMatrix

PARAMS_FILE = "params.safetensors"
CONFIG_FILE = "config.json"


class ModelConfig(BaseModel):
    """Base of every model's typed config."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class TrainingConfig(ModelConfig):
    """How a gradient-trained model is fitted (defaults chosen on validation: docs/tuning.md)."""

    max_epochs: int = Field(
        30, ge=1, description="Upper bound on epochs; early stopping usually ends sooner."
    )
    patience: int = Field(
        5, ge=1, description="Epochs without a better validation NDCG@10 before stopping."
    )
    early_stopping: bool = Field(
        True, description="Stop on validation NDCG@10; off trains max_epochs."
    )
    batch_size: int = Field(1024, ge=1)
    learning_rate: float = Field(1e-3, gt=0)
    l2: float = Field(
        0.0, ge=0, description="L2 penalty on the embeddings and biases used in a batch."
    )
    negatives: int = Field(5, ge=1, description="Sampled negatives per train positive.")
    negative_sampling: Literal["static", "resample"] = Field(
        "resample", description="Draw negatives anew every epoch, or once (static, the study's way)."
    )
    negative_weighting: Literal["uniform", "popularity"] = "uniform"
    loss: Literal["bce", "bpr"] = Field("bce", description="Pointwise BCE, or pairwise BPR.")


class Recommender(ABC):
    """A model over ``n_users`` × ``n_items`` internal indices."""

    name: ClassVar[str]
    config: ModelConfig

    def __init__(self, n_users: int, n_items: int) -> None:
        self.n_users = n_users
        self.n_items = n_items

    @abstractmethod
    def fit(self, train: InteractionMatrix) -> None:
        """Fit in one go (non-iterative models); iterative models also offer ``train_epoch``."""

    @abstractmethod
    def score(self, users: np.ndarray) -> np.ndarray:
        """Exact float32 scores [len(users), n_items]; a user's row never depends on the others."""

    @abstractmethod
    def parameters(self) -> dict[str, np.ndarray]:
        """Every learned array, by name."""

    @abstractmethod
    def load_parameters(self, params: dict[str, np.ndarray]) -> None: ...

    def describe(self) -> dict[str, Any]:
        return {
            "model": self.name,
            "n_users": self.n_users,
            "n_items": self.n_items,
            "config": self.config.model_dump(),
        }

    def save(self, folder: Path) -> list[Path]:
        """Config as JSON, parameters as safetensors: nothing is pickled."""
        folder.mkdir(parents=True, exist_ok=True)
        config_path = folder / CONFIG_FILE
        config_path.write_text(json.dumps(self.describe(), indent=2, sort_keys=True) + "\n")
        params_path = folder / PARAMS_FILE
        save_file(
            {k: np.ascontiguousarray(v) for k, v in self.parameters().items()}, str(params_path)
        )
        return [config_path, params_path]


def load_params(folder: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    description = json.loads((folder / CONFIG_FILE).read_text())
    return description, load_file(str(folder / PARAMS_FILE))
