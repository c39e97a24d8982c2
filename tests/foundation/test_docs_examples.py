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


# One interpreter runs every example in turn, each in its own directory (so its own SQLite
# file) and with the model registry emptied first, since the examples reuse table names.
RUNNER = """
import os, runpy, sys
from stanchion import Model
for path, directory in zip(sys.argv[1::2], sys.argv[2::2]):
    Model.registry.dispose()
    Model.metadata.clear()
    os.chdir(directory)
    runpy.run_path(path, run_name="__main__")
"""


def test_every_example_runs_on_the_default_embedded_sqlite_file(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
    arguments = []
    for page in PAGES:
        (tmp_path / page).mkdir()
        arguments += [str(_example(page)), str(tmp_path / page)]
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", RUNNER, *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    # database.md shows the default file; the others use their own, never the blog's.
    assert (tmp_path / "database" / "stanchion.db").exists()
    assert all((tmp_path / page / "examples.db").exists() for page in PAGES[1:])
