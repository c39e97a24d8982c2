"""The seed patterns' examples (docs/examples/patterns_*.py) run as printed, as scripts: on the
default SQLite file, and (the async one) on PostgreSQL by DATABASE_URL alone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from stanchion.engine.backends import backend_for
from stanchion.testing import databases
from tests.conftest import backend_url

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "docs" / "examples").glob("patterns_*.py"))
PAGES = ("fastapi.md", "reference-app.md")


def test_every_pattern_example_is_shown_in_the_docs() -> None:
    text = "".join((ROOT / "docs" / page).read_text() for page in PAGES)
    assert len(EXAMPLES) == 3
    for example in EXAMPLES:
        assert f"examples/{example.name}" in text


def run(example: Path, cwd: Path, database_url: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
    env["PYTHONPATH"] = str(ROOT / "src")
    if database_url:
        env["DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-W", "error", str(example)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.stem for e in EXAMPLES])
def test_pattern_example_runs_on_the_default_sqlite_file(example: Path, tmp_path: Path) -> None:
    done = run(example, tmp_path, None)
    assert done.returncode == 0, done.stderr
    assert list(tmp_path.glob("*.db")), "the example should use the embedded SQLite file"


@pytest.mark.backends("postgresql")
def test_async_session_example_runs_on_postgresql_by_url_alone(
    backend: str, tmp_path: Path
) -> None:
    example = ROOT / "docs" / "examples" / "patterns_async_session.py"
    base = backend_url(backend)
    admin = backend_for(base).admin
    url = admin.sibling_url(base, "docs")
    if not admin.database_exists(url):
        admin.create_database(url)
    try:
        done = run(example, tmp_path, url.set(drivername="postgresql").render_as_string(False))
    finally:
        databases.drop(url)  # leave no database behind (docs/testing.md)
    assert done.returncode == 0, done.stderr
