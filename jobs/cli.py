"""The ``recsys`` console command: one entry with a subcommand per job."""

import argparse
import sys

from jobs import train


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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
