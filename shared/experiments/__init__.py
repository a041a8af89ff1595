"""Experiments: the study's reproduction and ablations, run resumably, reported as CSV, Markdown and PNG."""

from shared.experiments.grids import ALL, EXPERIMENTS, Variant, experiment_names, variants
from shared.experiments.runner import ExperimentOptions, Outcome, missing_dataset, run_experiment
from shared.experiments.stats import kendall_tau, mean_sd
from shared.experiments.tables import readme_block, render_table, replace_block

__all__ = [
    "ALL",
    "EXPERIMENTS",
    "ExperimentOptions",
    "Outcome",
    "Variant",
    "experiment_names",
    "kendall_tau",
    "mean_sd",
    "missing_dataset",
    "readme_block",
    "render_table",
    "replace_block",
    "run_experiment",
    "variants",
]
