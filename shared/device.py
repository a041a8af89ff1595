"""Torch device choice: ``auto`` takes CUDA when present."""

import torch

from shared.errors import ConfigError


def resolve_device(setting: str) -> str:
    if setting == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if setting == "cuda" and not torch.cuda.is_available():
        raise ConfigError("RECSYS_DEVICE=cuda but no CUDA device is available; use auto or cpu")
    if setting not in ("cpu", "cuda"):
        raise ConfigError(f"unknown device {setting!r}; use auto, cpu or cuda")
    return setting
