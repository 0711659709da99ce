"""What every ``piigate`` command shares: exit codes, one-line errors, ``--config``."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from piigate.errors import PiigateError

EXIT_OK, EXIT_USAGE, EXIT_HELD = 0, 2, 3
EXIT_BROKEN = 1  # records verify: the chain is broken

F = TypeVar("F", bound=Callable[..., Any])


def one_line_errors(func: F) -> F:
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PiigateError as exc:
            click.echo(f"piigate: error: {exc}", err=True)
            sys.exit(EXIT_USAGE)

    return wrapper  # type: ignore[return-value]


config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Settings file (default: ./config/piigate.yaml, else the shipped one).",
)
