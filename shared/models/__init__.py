"""Models and their registry. Every model meets the contract in ``shared.models.base``."""

from pathlib import Path

from shared.errors import ConfigError
from shared.models.base import ModelConfig, Recommender, TrainingConfig, load_params
from shared.models.fm import FM, FMConfig
from shared.models.ncf import NCF, NCFConfig
from shared.models.neural import NeuralRecommender
from shared.models.popularity import Popularity, PopularityConfig
from shared.models.random import RandomConfig, RandomModel

CONFIGS: dict[str, type[ModelConfig]] = {
    "fm": FMConfig,
    "ncf": NCFConfig,
    "pop": PopularityConfig,
    "random": RandomConfig,
}
MODEL_NAMES = tuple(CONFIGS)


def parse_model_names(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in MODEL_NAMES]
    if unknown or not names:
        raise ConfigError(
            f"unknown model(s) {', '.join(unknown) or '(none)'}; "
            f"choose from {', '.join(MODEL_NAMES)}"
        )
    return list(dict.fromkeys(names))


def build_model(
    name: str, config: ModelConfig, n_users: int, n_items: int, seed: int = 0, device: str = "cpu"
) -> Recommender:
    if isinstance(config, FMConfig):
        return FM(n_users, n_items, config, seed, device)
    if isinstance(config, NCFConfig):
        return NCF(n_users, n_items, config, seed, device)
    if isinstance(config, PopularityConfig):
        return Popularity(n_users, n_items, config)
    if isinstance(config, RandomConfig):
        return RandomModel(n_users, n_items, config)
    raise ConfigError(f"unknown model {name!r}")


def load_model(folder: Path, device: str = "cpu") -> Recommender:
    """Rebuild a saved model from its config.json and params.safetensors."""
    description, params = load_params(folder)
    name = description["model"]
    if name not in CONFIGS:
        raise ConfigError(f"{folder}: unknown model {name!r}")
    config = CONFIGS[name].model_validate(description["config"])
    model = build_model(name, config, description["n_users"], description["n_items"], device=device)
    model.load_parameters(params)
    return model


__all__ = [
    "CONFIGS",
    "FM",
    "MODEL_NAMES",
    "NCF",
    "FMConfig",
    "ModelConfig",
    "NCFConfig",
    "NeuralRecommender",
    "Popularity",
    "PopularityConfig",
    "RandomConfig",
    "RandomModel",
    "Recommender",
    "TrainingConfig",
    "build_model",
    "load_model",
    "parse_model_names",
]
