"""Named model settings. ``default`` was tuned on validation data only (docs/tuning.md);
``study`` reproduces the original study's setting."""

from typing import Literal

from shared.models import CONFIGS, FMConfig, ModelConfig, NCFConfig, RandomConfig
from shared.training import Protocol

PresetName = Literal["default", "study"]
PRESETS: tuple[str, ...] = ("default", "study")


def preset_configs(preset: PresetName, seed: int) -> dict[str, ModelConfig]:
    """A config for every model under the named preset."""
    configs: dict[str, ModelConfig] = {name: cls() for name, cls in CONFIGS.items()}
    configs["random"] = RandomConfig(seed=seed)
    if preset == "study":
        common = dict(
            max_epochs=12,
            early_stopping=False,
            batch_size=64,
            negatives=5,
            negative_sampling="static",
            negative_weighting="uniform",
            loss="bce",
            l2=0.0,
        )
        configs["fm"] = FMConfig(embedding_dim=64, learning_rate=1e-3, **common)
        configs["ncf"] = NCFConfig(
            gmf_dim=64, mlp_layers=(128, 64, 32), learning_rate=1e-4, **common
        )
    return configs


def preset_protocol(preset: PresetName, refit: bool, eval_chunk_size: int) -> Protocol:
    """The study trained on everything but the last item and had no validation hold-out."""
    return Protocol(validate=preset != "study", refit=refit, eval_chunk_size=eval_chunk_size)
