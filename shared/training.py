"""Fit one model the way the evaluation protocol asks: select on validation, refit, test.

Neural models train epoch by epoch with early stopping on validation NDCG@10; the chosen number of
epochs is then used to refit a fresh model on train + validation before the test. Popularity and
random fit in one step. Nothing here touches the test items before the final evaluation.
"""

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from shared.evaluation import DEFAULT_CHUNK, eval_target, evaluate
from shared.models import ModelConfig, NeuralRecommender, Recommender, build_model
from shared.preparation.prepare import PreparedData

log = logging.getLogger(__name__)
SELECT_ON = "NDCG@10"


@dataclass(frozen=True)
class Protocol:
    """How a model is selected and tested."""

    validate: bool = True
    """Select epochs on validation; off (the study's way): fit train + valid, test last epoch."""
    refit: bool = True
    """After selection, retrain on train + validation for the chosen epochs before testing."""
    eval_chunk_size: int = DEFAULT_CHUNK


@dataclass
class ModelResult:
    name: str
    model: Recommender
    test: dict[str, float]
    valid: dict[str, float] | None
    best_epoch: int | None
    train_seconds: float
    eval_seconds: float
    history: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "test": self.test,
            "best_epoch": self.best_epoch,
            "train_seconds": round(self.train_seconds, 3),
            "eval_seconds": round(self.eval_seconds, 3),
            "config": self.model.config.model_dump(mode="json"),
            "history": self.history,
        }


class _Clock:
    def __init__(self) -> None:
        self.train = 0.0
        self.eval = 0.0


def _train_epochs(
    model: NeuralRecommender,
    data: PreparedData,
    protocol: Protocol,
    clock: _Clock,
    history: list[dict[str, Any]],
) -> tuple[int, dict[str, float]]:
    """Train on train only with early stopping; leave the best epoch's parameters in ``model``."""
    cfg = model.config
    train = data.train_matrix()
    target = eval_target(data, "valid")
    best: tuple[float, int, dict[str, float], dict[str, np.ndarray]] | None = None
    for epoch in range(1, cfg.max_epochs + 1):
        start = time.perf_counter()
        loss = model.train_epoch(train)
        clock.train += (seconds := time.perf_counter() - start)
        start = time.perf_counter()
        metrics = evaluate(model, target, chunk_size=protocol.eval_chunk_size).metrics
        clock.eval += time.perf_counter() - start
        history.append(
            {
                "epoch": epoch,
                "loss": loss,
                "valid_" + SELECT_ON: metrics[SELECT_ON],
                "seconds": seconds,
            }
        )
        log.info(
            "%s epoch %d/%d loss %.4f valid HR@10 %.4f NDCG@10 %.4f (%.1fs)",
            model.name,
            epoch,
            cfg.max_epochs,
            loss,
            metrics["HR@10"],
            metrics[SELECT_ON],
            seconds,
        )
        if best is None or metrics[SELECT_ON] > best[0]:
            best = (metrics[SELECT_ON], epoch, metrics, model.parameters())
        elif cfg.early_stopping and epoch - best[1] >= cfg.patience:
            log.info(
                "%s stops early: best validation %s %.4f at epoch %d",
                model.name,
                SELECT_ON,
                best[0],
                best[1],
            )
            break
    assert best is not None
    model.load_parameters(best[3])
    return best[1], best[2]


def _fit_fixed(
    model: Recommender, data: PreparedData, epochs: int, clock: _Clock, label: str
) -> None:
    """Fit on train + validation: ``epochs`` epochs for neural models, one step otherwise."""
    train = data.train_matrix(with_valid=True)
    start = time.perf_counter()
    if isinstance(model, NeuralRecommender):
        for epoch in range(1, epochs + 1):
            t0 = time.perf_counter()
            loss = model.train_epoch(train)
            seconds = time.perf_counter() - t0
            log.info("%s %s epoch %d/%d loss %.4f (%.1fs)", model.name, label, epoch, epochs, loss, seconds)
    else:
        model.fit(train)
    clock.train += time.perf_counter() - start


def train_and_evaluate(
    name: str,
    config: ModelConfig,
    data: PreparedData,
    protocol: Protocol,
    seed: int,
    device: str,
) -> ModelResult:
    clock = _Clock()
    history: list[dict[str, Any]] = []
    model = build_model(name, config, data.n_users, data.n_items, seed, device)
    valid: dict[str, float] | None = None
    best_epoch: int | None = None
    if protocol.validate:
        if isinstance(model, NeuralRecommender):
            best_epoch, valid = _train_epochs(model, data, protocol, clock, history)
        else:
            start = time.perf_counter()
            model.fit(data.train_matrix())
            clock.train += time.perf_counter() - start
            start = time.perf_counter()
            valid = evaluate(
                model, eval_target(data, "valid"), chunk_size=protocol.eval_chunk_size
            ).metrics
            clock.eval += time.perf_counter() - start
        if protocol.refit:
            model = build_model(name, config, data.n_users, data.n_items, seed, device)
            _fit_fixed(model, data, best_epoch or 0, clock, "refit")
    else:
        epochs = model.config.max_epochs if isinstance(model, NeuralRecommender) else 0
        _fit_fixed(model, data, epochs, clock, "train")
        best_epoch = epochs or None
    start = time.perf_counter()
    test = evaluate(model, eval_target(data, "test"), chunk_size=protocol.eval_chunk_size).metrics
    clock.eval += time.perf_counter() - start
    log.info("%s test HR@10 %.4f NDCG@10 %.4f", name, test["HR@10"], test["NDCG@10"])
    return ModelResult(name, model, test, valid, best_epoch, clock.train, clock.eval, history)
