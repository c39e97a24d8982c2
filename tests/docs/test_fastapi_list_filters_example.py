"""docs/fastapi.md's "Choosing operators, and any-of groups" quotes a file that runs: every code
block of the section is in docs/examples/fastapi_list_filters.py, and the file runs as a user
runs it (in the repository root, twice) without touching any database of the project."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "fastapi_list_filters.py"


def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    end = text.find("\n## ", start)
    return text[start : end if end != -1 else None]


def test_every_code_block_of_the_section_is_quoted_from_the_example() -> None:
    section = _section((ROOT / "docs" / "fastapi.md").read_text(), "### Choosing operators")
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    assert len(blocks) == 2
    example = EXAMPLE.read_text()
    for block in blocks:
        assert block in example, f"docs/fastapi.md shows code its example does not run:\n{block}"
    assert "examples/fastapi_list_filters.py" in section


def test_the_example_runs_twice_in_the_repository_root_and_leaves_nothing_behind() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, str(EXAMPLE)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
    assert not list(ROOT.glob("articles.db*"))  # its SQLite file lived in a temp directory
