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

from stanchion.errors import DatabaseUnavailable, MigrationConfigError, StanchionError
from stanchion.migrations.exit_codes import ExitCode

console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)


class Format(StrEnum):
    text = "text"
    json = "json"


def emit_json(data: Any) -> None:
    """Write `data` as JSON on stdout (plain, so pipes and jq read it)."""
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def fail(message: str, code: ExitCode) -> NoReturn:
    errors.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(int(code))


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn stanchion errors into a one-line message and their exit code."""
    try:
        yield
    except MigrationConfigError as error:
        fail(str(error), ExitCode.CONFIG)
    except DatabaseUnavailable as error:
        fail(f"database unavailable: {error}", ExitCode.CONFIG)
    except StanchionError as error:
        fail(str(error), ExitCode.ERROR)


def run(action: Callable[[], Any]) -> Any:
    with reported_errors():
        return action()
