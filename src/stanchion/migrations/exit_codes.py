"""Exit codes of ``stanchion db``: one per kind of failure, so CI can tell them apart."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1  # unexpected failure
    USAGE = 2  # bad command line (typer's own code)
    CONFIG = 3  # no [tool.stanchion], bad import path, database unreachable
    NOT_AT_HEAD = 4  # `current --check`: the database lags behind the migrations
    MULTIPLE_HEADS = 10
    UPGRADE_FAILED = 11
    DRIFT = 12
    ROUND_TRIP_FAILED = 13
    LINT_FINDINGS = 20
