"""The ``recsys`` console command: one entry with a subcommand per job."""

import argparse
import sys

from jobs import experiment, models, report, train


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="recsys", description="Batch recommender platform for implicit feedback."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    train_parser = commands.add_parser(
        "train", help="clean, split, train and evaluate models on a dataset"
    )
    train.add_arguments(train_parser)
    train_parser.set_defaults(handler=train.execute)
    models_parser = commands.add_parser("models", help="list and show published model versions")
    models.add_arguments(models_parser)
    models_parser.set_defaults(handler=models.execute)
    experiment_parser = commands.add_parser(
        "experiment", help="run an experiment (reproduce, sampling-eval, split, negatives, hyper, all)"
    )
    experiment.add_arguments(experiment_parser)
    experiment_parser.set_defaults(handler=experiment.execute)
    report_parser = commands.add_parser("report", help="regenerate README.md's results block from reports/")
    report.add_arguments(report_parser)
    report_parser.set_defaults(handler=report.execute)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
