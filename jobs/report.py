"""``python -m jobs.report`` / ``recsys report``: regenerate README.md's results block from the CSVs.

Rewrites what lies between ``<!-- results:begin -->`` and ``<!-- results:end -->`` with the tables
of every experiment under ``{reports}/{dataset}/`` and links to their plots.
"""

import argparse
import os
import sys
from pathlib import Path

from jobs.common import exit_process, guarded, run_main
from shared.artifacts import dataset_key
from shared.atomic import atomic_write_text
from shared.errors import ConfigError
from shared.experiments import readme_block, replace_block


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", default="amazon", help="whose results go into the README (default: amazon)")
    parser.add_argument("--reports-dir", type=Path, default=Path("reports"))
    parser.add_argument("--readme", type=Path, default=Path("README.md"))
    parser.add_argument("--check", action="store_true", help="exit 1 if the README block is out of date")


def run(args: argparse.Namespace) -> int:
    if not args.readme.exists():
        raise ConfigError(f"{args.readme} does not exist")
    text = args.readme.read_text()
    # Links are relative to the README, so they work on GitHub and in a checkout alike.
    link = Path(os.path.relpath(args.reports_dir.resolve(), args.readme.resolve().parent)).as_posix()
    try:
        updated = replace_block(text, readme_block(args.reports_dir, dataset_key(args.dataset), link))
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    if args.check:
        if updated != text:
            print(f"{args.readme}: results block is out of date; run recsys report", file=sys.stderr)
            return 1
        return 0
    if updated != text:
        atomic_write_text(args.readme, updated)
    print(f"{args.readme}: results block {'rewritten' if updated != text else 'already up to date'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    return run_main("python -m jobs.report", __doc__, add_arguments, execute, argv)


def execute(args: argparse.Namespace) -> int:
    code = 0

    def action() -> None:
        nonlocal code
        code = run(args)

    return guarded(action) or code


if __name__ == "__main__":
    exit_process(main)
