"""The cost gate: each README-path operation stays within its committed budget of SQL
statements and Python function calls (tests/cost_budgets.toml), with no timing involved.

The counts come from a fresh interpreter (tests/cost_probe.py) with a fixed hash seed, so
they are the same on every run of the same code and dependency versions.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUDGETS = Path(__file__).with_name("cost_budgets.toml")
#: Extra calls allowed over a budget, and how far under it a count may fall before the
#: budget must come down (so a gain is kept, not spent silently later).
OVER, UNDER = 0.02, 0.10

HOW_TO_UPDATE = (
    "\nIf the change is intended, update tests/cost_budgets.toml to the measured figures "
    "(printed above; `python -m tests.cost_probe` prints them all) and say why in the commit "
    "message: a budget changes only with a reason."
)


@pytest.fixture(scope="module")
def measured() -> dict[str, dict[str, float]]:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(
        [sys.executable, "-m", "tests.cost_probe"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found: dict[str, dict[str, float]] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def budgets() -> list[tuple[str, dict[str, Any]]]:
    table = tomllib.loads(BUDGETS.read_text())
    return [
        (f"{backend}.{mode}.{op}", budget)
        for backend, modes in table.items()
        for mode, ops in modes.items()
        for op, budget in ops.items()
    ]


@pytest.mark.parametrize(("operation", "budget"), budgets(), ids=[name for name, _ in budgets()])
def test_an_operation_stays_within_its_cost_budget(
    measured: dict[str, dict[str, float]], operation: str, budget: dict[str, Any]
) -> None:
    assert operation in measured, f"{operation} has a budget but tests/cost_probe.py skips it"
    found = measured[operation]
    problems = []
    if found["statements"] > budget["statements"]:
        problems.append(
            f"{operation} sends {found['statements']:g} SQL statements, "
            f"budget {budget['statements']}"
        )
    elif found["statements"] < budget["statements"]:
        problems.append(
            f"{operation} sends {found['statements']:g} statements, fewer than its budget "
            f"{budget['statements']}: lower the budget to keep the gain"
        )
    calls, allowed = found["calls"], budget["calls"]
    if calls > allowed * (1 + OVER):
        problems.append(
            f"{operation} makes {calls:g} Python calls, budget {allowed} "
            f"(+{OVER:.0%} tolerance): {calls / allowed - 1:+.1%}"
        )
    elif calls < allowed * (1 - UNDER):
        problems.append(
            f"{operation} makes {calls:g} Python calls, {1 - calls / allowed:.0%} under its "
            f"budget {allowed}: lower the budget to keep the gain"
        )
    assert not problems, "\n".join(problems) + HOW_TO_UPDATE


def test_every_measured_operation_has_a_budget(measured: dict[str, dict[str, float]]) -> None:
    missing = sorted(set(measured) - {name for name, _ in budgets()})
    assert not missing, f"no budget for {', '.join(missing)} in tests/cost_budgets.toml"
