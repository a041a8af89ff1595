"""What every entrypoint does at the edge: turn a user-facing error into one line and an exit code."""

import argparse
import logging
import os
import sys
from collections.abc import Callable
from typing import NoReturn

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


def exit_process(entry: Callable[[], int]) -> NoReturn:
    """Run a command-line entry and end the process with its exit code.

    The process ends with ``os._exit`` after flushing, skipping native libraries' static
    destructors: Arrow's thread pools, torn down beside torch's at interpreter exit, can abort
    a run that has already finished its work (exit 134; apache/arrow#34314).
    """
    try:
        code = entry()
    except SystemExit as exc:  # argparse's --help and usage errors
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else EXIT_ERROR)
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


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
