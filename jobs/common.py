"""What every entrypoint does at the edge: turn a user-facing error into one line and an exit code."""

import argparse
import sys
from collections.abc import Callable

from pydantic import ValidationError

from shared.errors import RecsysError

EXIT_ERROR = 2
EXIT_INTERRUPTED = 130


def guarded(action: Callable[[], object], interrupted: str = "interrupted") -> int:
    try:
        action()
    except (RecsysError, ValidationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print(interrupted, file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0


def run_main(
    prog: str,
    doc: str | None,
    add_arguments: Callable[[argparse.ArgumentParser], None],
    execute: Callable[[argparse.Namespace], int],
    argv: list[str] | None,
) -> int:
    """``python -m jobs.X``: the same arguments and handler as the ``recsys X`` subcommand."""
    parser = argparse.ArgumentParser(prog=prog, description=(doc or "").splitlines()[0] if doc else None)
    add_arguments(parser)
    return execute(parser.parse_args(argv))
