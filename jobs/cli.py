"""The ``recsys`` console command: one entry with a subcommand per job."""

import argparse
import sys

from jobs import batch, models, train, worker


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
    for name, add, handler, text in (
        ("recommend", batch.add_recommend, batch.execute, "enqueue a bulk top-k job; prints its id"),
        ("evaluate", batch.add_evaluate, batch.execute, "enqueue a full or sampled evaluation job"),
        ("status", batch.add_status, batch.execute, "a job's state, chunks done, failures, elapsed"),
        ("fetch", batch.add_fetch, batch.execute, "download a job's verified files, URLs or one user"),
        ("worker", worker.add_arguments, worker.execute, "start a Celery worker"),
    ):
        sub = commands.add_parser(name, help=text)
        add(sub)
        sub.set_defaults(handler=handler)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
