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


def test_quickstart_runs_on_the_default_embedded_sqlite_file(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
    done = subprocess.run(
        [sys.executable, str(QUICKSTART)], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "stanchion.db").exists()
