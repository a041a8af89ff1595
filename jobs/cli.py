"""The ``recsys`` console command: one entry with a subcommand per job."""

import argparse
import sys

from jobs import experiment, models, report, train

SUBCOMMANDS = (
    ("train", train, "clean, split, train and evaluate models on a dataset"),
    ("models", models, "list and show published model versions"),
    ("experiment", experiment, "run an experiment (reproduce, sampling-eval, split, negatives, hyper, all)"),
    ("report", report, "regenerate README.md's results block from reports/"),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="recsys", description="Batch recommender platform for implicit feedback."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name, module, help_text in SUBCOMMANDS:
        sub = commands.add_parser(name, help=help_text)
        module.add_arguments(sub)
        sub.set_defaults(handler=module.execute)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
