"""What each experiment trains: a list of variants (model + preset + overrides), run once per seed.

Model settings always come from ``shared.presets.preset_configs``; a variant only names the fields
it changes, so a retuned default preset flows into every experiment.
"""

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shared.errors import ConfigError
from shared.models import ModelConfig, TrainingConfig
from shared.preparation.split import SplitMode
from shared.presets import PresetName, preset_configs

NEURAL = ("fm", "ncf")
NEGATIVE_COUNTS = (1, 2, 4, 5, 8)
SAMPLINGS = ("static", "resample")
WEIGHTINGS = ("uniform", "popularity")
LEARNING_RATES = (1e-4, 1e-3, 1e-2)
"""The study's 1e-3 and 1e-4, plus 1e-2."""
EMBEDDING_SIZES = (16, 32, 64, 128)
"""The study's 32 and 64, plus 16 and 128."""


@dataclass(frozen=True)
class Variant:
    """One configuration of an experiment; ``factors`` become CSV columns."""

    label: str
    model: str
    preset: PresetName = "default"
    overrides: dict[str, Any] = field(default_factory=dict)
    split: SplitMode = "time"
    refit: bool = True
    factors: dict[str, Any] = field(default_factory=dict)

    def config(self, seed: int, max_epochs: int | None = None) -> ModelConfig:
        """The preset's config for this model with the overrides (and the epoch cap) applied."""
        base = preset_configs(self.preset, seed)[self.model]
        changes = dict(self.overrides)
        if max_epochs is not None and isinstance(base, TrainingConfig):
            changes["max_epochs"] = min(max_epochs, int(changes.get("max_epochs", base.max_epochs)))
        return base.model_validate({**base.model_dump(), **changes}) if changes else base


def _reproduce(full_grid: bool) -> list[Variant]:
    # Popularity and random do not depend on the preset (both fit train + validation before the
    # test), so they run once, under the study's protocol.
    study = [Variant(f"{m} (study)", m, "study") for m in NEURAL]
    study += [Variant(m, m, "study") for m in ("pop", "random")]
    return study + [Variant(f"{m} (default)", m, "default") for m in NEURAL]


def _split(full_grid: bool) -> list[Variant]:
    return [
        Variant(f"{m} · {s}", m, "default", split=s)
        for s in ("time", "random")
        for m in (*NEURAL, "pop", "random")
    ]


def _negatives(full_grid: bool) -> list[Variant]:
    variants: list[Variant] = []
    for model in NEURAL:
        base = preset_configs("default", 0)[model]
        assert isinstance(base, TrainingConfig)
        n0, s0, w0 = base.negatives, base.negative_sampling, base.negative_weighting
        if full_grid:
            grid = list(itertools.product(NEGATIVE_COUNTS, SAMPLINGS, WEIGHTINGS))
        else:
            grid = [(n, s0, w0) for n in NEGATIVE_COUNTS]
            grid += [(n0, s, w0) for s in SAMPLINGS] + [(n0, s0, w) for w in WEIGHTINGS]
        for n, s, w in dict.fromkeys(grid):
            variants.append(
                Variant(
                    f"{model} n={n} {s} {w}",
                    model,
                    overrides={"negatives": n, "negative_sampling": s, "negative_weighting": w},
                    factors={"negatives": n, "negative_sampling": s, "negative_weighting": w},
                )
            )
    return variants


def _size_overrides(model: str, size: int) -> dict[str, Any]:
    if model == "fm":
        return {"embedding_dim": size}
    # NeuMF: GMF embeddings of ``size`` and MLP embeddings of ``size`` per side, tower halving.
    return {"gmf_dim": size, "mlp_layers": (2 * size, size, max(1, size // 2))}


def _hyper(full_grid: bool) -> list[Variant]:
    # Selection is on validation; testing the model trained on train only keeps the grid affordable.
    return [
        Variant(
            f"{model} lr={lr:g} d={size}",
            model,
            overrides={"learning_rate": lr, **_size_overrides(model, size)},
            refit=False,
            factors={"learning_rate": lr, "embedding_dim": size},
        )
        for model in NEURAL
        for lr in LEARNING_RATES
        for size in EMBEDDING_SIZES
    ]


GRIDS: dict[str, Callable[[bool], list[Variant]]] = {
    "reproduce": _reproduce,
    "sampling-eval": _reproduce,  # the same trained models, ranked by both protocols
    "split": _split,
    "negatives": _negatives,
    "hyper": _hyper,
}
EXPERIMENTS: tuple[str, ...] = tuple(GRIDS)
ALL = "all"


def experiment_names(name: str) -> list[str]:
    """The experiments a command-line name stands for (``all`` is every one, in order)."""
    if name == ALL:
        return list(EXPERIMENTS)
    if name not in GRIDS:
        raise ConfigError(f"unknown experiment {name!r}; choose one of: {', '.join([*EXPERIMENTS, ALL])}")
    return [name]


def variants(name: str, full_grid: bool = False) -> list[Variant]:
    return GRIDS[name](full_grid)
