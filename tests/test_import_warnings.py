"""Stanchion imports clean with every warning an error (a fresh process: imports run once)."""

from __future__ import annotations

import subprocess
import sys

import pytest

PUBLIC_MODULES = [
    "stanchion",
    "stanchion.fastapi",
    "stanchion.testing",
    "stanchion.migrations",
    "stanchion.cli",
]


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_module_imports_with_every_warning_an_error(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
