"""docs/fastapi.md shows only code its examples run: every python block is quoted from a
docs/examples/fastapi_*.py file; the blocks of the complete service (fastapi_example.py) each run
on their own (imports included), and that file runs as a user runs it — in the repo root, twice,
whatever DATABASE_URL says — and leaves nothing behind."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "fastapi.md"
EXAMPLE = ROOT / "docs" / "examples" / "fastapi_example.py"
EXAMPLES = sorted((ROOT / "docs" / "examples").glob("fastapi_*.py"))


def blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", PAGE.read_text(), flags=re.DOTALL)


def python(*arguments: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *arguments],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_every_block_is_quoted_from_the_example() -> None:
    found = blocks()
    assert found, "docs/fastapi.md shows no code"
    examples = [path.read_text() for path in EXAMPLES]
    for block in found:
        assert any(block in text for text in examples), (
            f"docs/fastapi.md shows code no example runs:\n{block}"
        )


def test_every_block_of_the_complete_service_runs_alone_with_its_own_imports() -> None:
    example = EXAMPLE.read_text()
    service = [block for block in blocks() if block in example]
    assert service, "docs/fastapi.md shows none of the complete service"
    for block in service:
        done = python("-c", block)
        assert done.returncode == 0, f"{done.stderr}\n--- in block ---\n{block}"


def test_the_example_runs_twice_in_the_repo_root_touching_nothing(tmp_path: Path) -> None:
    before = sorted(p.name for p in ROOT.iterdir())
    # a DATABASE_URL pointing at something precious must be left alone
    precious = tmp_path / "precious.db"
    for _ in range(2):
        done = python(str(EXAMPLE), env={"DATABASE_URL": f"sqlite:///{precious}"})
        assert done.returncode == 0, done.stderr
        assert "the FastAPI example works" in done.stdout
    assert not precious.exists()
    assert sorted(p.name for p in ROOT.iterdir()) == before
