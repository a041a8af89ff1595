"""The ``recsys`` console command: one entry with a subcommand per job."""

import argparse

from jobs import batch, experiment, models, report, train, worker
from jobs.common import exit_process

SUBCOMMANDS = (
    ("train", train.add_arguments, train.execute, "clean, split, train and evaluate models on a dataset"),
    ("models", models.add_arguments, models.execute, "list and show published model versions"),
    ("recommend", batch.add_recommend, batch.execute, "enqueue a bulk top-k job; prints its id"),
    ("evaluate", batch.add_evaluate, batch.execute, "enqueue a full or sampled evaluation job"),
    ("status", batch.add_status, batch.execute, "a job's state, chunks done, failures, elapsed"),
    ("fetch", batch.add_fetch, batch.execute, "download a job's verified files, URLs or one user"),
    ("worker", worker.add_arguments, worker.execute, "start a Celery worker"),
    (
        "experiment",
        experiment.add_arguments,
        experiment.execute,
        "run an experiment (reproduce, sampling-eval, split, negatives, hyper, all)",
    ),
    ("report", report.add_arguments, report.execute, "regenerate README.md's results block from reports/"),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="recsys", description="Batch recommender platform for implicit feedback.")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, add_arguments, execute, help_text in SUBCOMMANDS:
        sub = commands.add_parser(name, help=help_text)
        add_arguments(sub)
        sub.set_defaults(handler=execute)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


def run() -> None:
    """The ``recsys`` console script."""
    exit_process(main)


if __name__ == "__main__":
    run()
