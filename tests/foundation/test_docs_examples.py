"""The foundation's doc pages quote files that run: every python block is in its example file."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = ["database", "models", "repositories", "errors"]


def _example(page: str) -> Path:
    return ROOT / "docs" / "examples" / "foundation" / f"{page}_example.py"


@pytest.mark.parametrize("page", PAGES)
def test_every_code_block_of_the_page_is_quoted_from_its_example(page: str) -> None:
    text = (ROOT / "docs" / f"{page}.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    assert blocks, f"docs/{page}.md shows no code"
    example = _example(page).read_text()
    for block in blocks:
        assert block in example, f"docs/{page}.md shows code its example does not run:\n{block}"


def test_every_example_runs_on_the_default_embedded_sqlite_file(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
    running = {}
    for page in PAGES:  # side by side: each is a fresh interpreter with its own database file
        (tmp_path / page).mkdir()
        running[page] = subprocess.Popen(
            [sys.executable, str(_example(page))],
            cwd=tmp_path / page,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
    failed = {}
    for page, process in running.items():
        _, stderr = process.communicate(timeout=120)
        if process.returncode:
            failed[page] = stderr
    assert not failed, failed
