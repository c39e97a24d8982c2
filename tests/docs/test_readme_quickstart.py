"""The README's first lines run as printed: the file the README quotes is executed as a script."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "docs" / "examples" / "quickstart.py"


def test_readme_shows_the_quickstart_file_verbatim() -> None:
    readme = (ROOT / "README.md").read_text()
    body = QUICKSTART.read_text()
    start = body.index("from sqlalchemy.orm import")
    end = body.index("\nwith db.transaction(read_only=True)")
    lines = [line for line in body[start:end].splitlines() if line.strip()]
    shown = [line for line in readme.splitlines() if line.strip()]
    first = shown.index(lines[0])
    assert shown[first : first + len(lines)] == lines


def test_quickstart_runs_twice_in_memory_and_writes_no_file(tmp_path: Path) -> None:
    """In memory: safe in any directory, with any DATABASE_URL, any number of times."""
    env = dict(os.environ, DATABASE_URL="postgresql://nobody@127.0.0.1:1/not_touched")
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-W", "error", str(QUICKSTART)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
    assert list(tmp_path.iterdir()) == []
