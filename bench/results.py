"""Results as plain data: medians, ratios to the raw driver and to hand-written ORM, JSON I/O."""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import statistics
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from bench.runner import RunResult

PACKAGES = (
    "sqlalchemy",
    "psycopg",
    "asyncpg",
    "aiosqlite",
    "advanced-alchemy",
    "fastcrud",
    "stanchion",
)


def baselines(is_async: bool) -> tuple[str, str]:
    """The (raw, orm) contenders a sync or async contender is compared with."""
    return ("raw-async", "orm-async") if is_async else ("raw", "orm")


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version}
    for name in PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def _server_version(result: RunResult) -> str:
    if result.ctx.backend != "postgresql":
        return f"SQLite {sqlite3.sqlite_version}"
    import psycopg

    with psycopg.connect(result.ctx.dsn) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return f"PostgreSQL {row[0] if row else '?'}"


def to_data(result: RunResult) -> dict[str, Any]:
    """Everything the report needs, JSON-ready."""
    ctx = result.ctx
    cells: dict[str, dict[str, Any]] = {}
    for workload, row in result.cells.items():
        cells[workload] = {
            name: {
                "median": cell.median,
                "times": cell.times,
                "cpu_median": cell.cpu_median,
                "cpu": cell.cpu,
                "error": cell.error,
            }
            for name, cell in row.items()
        }
    return {
        "backend": ctx.backend,
        "server": _server_version(result),
        "quick": ctx.quick,
        "sizes": {k: getattr(ctx.sizes, k) for k in ctx.sizes.__slots__},
        "started": result.started,
        "seconds": result.seconds,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "processor": platform.machine(),
            "loadavg_after": list(os.getloadavg()),
        },
        "versions": _versions(),
        "contenders": [
            {"name": c.name, "family": c.family, "is_async": c.is_async, "note": c.note}
            for c in result.contenders
        ],
        "workloads": [
            {
                "name": w.name,
                "title": w.title,
                "ops": w.batch_size(ctx),
                "rows_per_op": w.rows_per_op(ctx) if w.rows_per_op else None,
            }
            for w in result.workloads
        ],
        "cells": cells,
        "mismatches": result.mismatches,
    }


def ratio(
    data: dict[str, Any],
    workload: str,
    contender: str,
    baseline: str,
    key: str = "median",
    baseline_workload: str | None = None,
) -> float | None:
    """How `contender` compares with `baseline` on wall time (or `key`="cpu_median": CPU).

    `baseline_workload`: compare with another workload (of the same family, so the
    repetitions pair up). Paired: the median of the per-repetition ratios. Both ran in the
    same repetition, minutes apart at most, so the load other processes put on the machine
    mostly cancels out; a ratio of two independent medians would carry both runs' noise.
    """
    cells = data["cells"]
    series = "cpu" if key == "cpu_median" else "times"
    mine = cells.get(workload, {}).get(contender, {}).get(series)
    base = cells.get(baseline_workload or workload, {}).get(baseline, {}).get(series)
    if not mine or not base:
        return None
    if len(mine) == len(base):
        pairs = [a / b for a, b in zip(mine, base, strict=True) if b > 0]
        return statistics.median(pairs) if pairs else None
    return float(statistics.median(mine)) / float(statistics.median(base))


def save(data: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())  # type: ignore[no-any-return]
