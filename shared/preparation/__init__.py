"""Preparation: cleaning, k-core, leave-one-out split and negative sampling."""

from shared.preparation.cleaning import clean, dataset_statistics, drop_duplicates, k_core
from shared.preparation.interactions import InteractionMatrix
from shared.preparation.negatives import NegativeSampler
from shared.preparation.prepare import PreparedData, PrepConfig, prepare
from shared.preparation.split import leave_one_out

__all__ = [
    "InteractionMatrix",
    "NegativeSampler",
    "PrepConfig",
    "PreparedData",
    "clean",
    "dataset_statistics",
    "drop_duplicates",
    "k_core",
    "leave_one_out",
    "prepare",
]
