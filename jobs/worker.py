"""``recsys worker``: a thin wrapper over ``celery -A workers.app worker``."""

import argparse
import sys

from shared.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--concurrency", type=int, default=1, help="worker processes (one per GPU on GPU hosts)")
    parser.add_argument("--queues", help="comma-separated queues (default RECSYS_QUEUE)")
    parser.add_argument("--pool", default="prefork", choices=("prefork", "solo", "threads"))
    parser.add_argument("--loglevel", default="INFO")


def execute(args: argparse.Namespace) -> int:
    settings = Settings()
    if not settings.broker_url:
        print("error: RECSYS_BROKER_URL is not set; a worker needs a broker, e.g. redis://127.0.0.1:6379/0",
              file=sys.stderr)
        return 2
    if args.concurrency <= 0:
        print("error: --concurrency must be positive", file=sys.stderr)
        return 2
    from workers.app import app

    argv = ["worker", f"--concurrency={args.concurrency}", f"--pool={args.pool}", f"--loglevel={args.loglevel}",
            f"--queues={args.queues or settings.queue}"]
    app.worker_main(argv)
    return 0
