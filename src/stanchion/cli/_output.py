"""Console output for the CLI: readable for people (rich), JSON for machines, errors on stderr."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Any, NoReturn

import typer
from rich.console import Console

from stanchion.errors import ConfigurationError, DatabaseUnavailable, StanchionError
from stanchion.migrations.exit_codes import ExitCode

console = Console(highlight=False)
errors = Console(stderr=True, highlight=False, soft_wrap=True)  # one error, one line


class Format(StrEnum):
    text = "text"
    json = "json"


def emit_json(data: Any) -> None:
    """Write `data` as JSON on stdout (plain, so pipes and jq read it)."""
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def fail(message: str, code: ExitCode, hint: str | None = None) -> NoReturn:
    """Print ``error: <message>`` (one line) and ``hint: <what to do>`` on stderr, then exit."""
    errors.print(f"[bold red]error:[/] {message}", markup=True)
    if hint:
        errors.print(f"[bold]hint:[/] {hint}")
    raise typer.Exit(int(code))


def report(error: StanchionError) -> NoReturn:
    """Fail with a stanchion error's message, its hint and its exit code."""
    configuration = isinstance(error, (ConfigurationError, DatabaseUnavailable))
    fail(str(error), ExitCode.CONFIG if configuration else ExitCode.ERROR, error.hint)


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn stanchion errors into a one-line message, a hint and their exit code."""
    try:
        yield
    except StanchionError as error:
        report(error)


def run(action: Callable[[], Any]) -> Any:
    with reported_errors():
        return action()
