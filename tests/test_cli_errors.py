"""Every CLI (``stanchion``, ``blog``) reports an expected failure in one line and a hint.

Run as a user runs them: the installed console scripts, in a subprocess, against a PostgreSQL
database that was never created, a URL that is not one, and a project without configuration.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy.engine import URL

from tests.conftest import backend_url

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _run(command: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / command[0]), *command[1:]],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _assert_one_line_and_a_hint(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert "Traceback" not in result.stderr + result.stdout
    assert len(lines) == 2, result.stderr
    assert lines[0].startswith("error: ") and lines[1].startswith("hint: "), result.stderr
    for word in words:
        assert word in lines[0], lines[0]


@pytest.fixture
def uncreated(backend: str) -> str:
    server: URL = backend_url(backend)
    name = f"st_fhb_uncreated_{uuid.uuid4().hex[:6]}"
    return server.set(database=name).render_as_string(hide_password=False)


@pytest.mark.backends("postgresql")
@pytest.mark.parametrize("command", [["blog", "migrate"], ["blog", "up"], ["blog", "seed"]])
def test_blog_against_an_uncreated_database_says_so_in_one_line(
    uncreated: str, tmp_path: Path, command: list[str]
) -> None:
    result = _run(command, tmp_path, DATABASE_URL=uncreated)
    _assert_one_line_and_a_hint(result, "does not exist", uncreated.rsplit("/", 1)[1])


@pytest.mark.backends("postgresql")
def test_stanchion_db_upgrade_against_an_uncreated_database_says_so(uncreated: str) -> None:
    result = _run(["stanchion", "db", "upgrade", "--url", uncreated], ROOT / "examples" / "blog")
    _assert_one_line_and_a_hint(result, "does not exist")


@pytest.mark.backends("postgresql")
def test_stanchion_health_against_an_uncreated_database_says_so(uncreated: str) -> None:
    result = _run(["stanchion", "health", "--url", uncreated], ROOT)
    _assert_one_line_and_a_hint(result, "unreachable", "DatabaseNotFound")


def test_a_url_that_is_not_one_is_one_line(tmp_path: Path) -> None:
    _assert_one_line_and_a_hint(
        _run(["blog", "migrate"], tmp_path, DATABASE_URL="not a url"), "URL"
    )
    _assert_one_line_and_a_hint(_run(["stanchion", "health", "--url", "nope"], tmp_path))


def test_stanchion_db_without_configuration_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    _assert_one_line_and_a_hint(_run(["stanchion", "db", "current"], tmp_path))


def _help(*args: str) -> str:
    result = _run(["stanchion", *args, "--help"], ROOT, COLUMNS="200", TERM="dumb")
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_stanchion_help_is_rich_and_complete() -> None:
    top = _help()
    assert "╭" in top  # rich panels, as `blog --help` has
    assert "Migrations on Alembic, configured by [tool.stanchion] in pyproject.toml." in top
    assert "Ping the database: reachable or not, latency and pool state." in top
    db_help = _help("db")
    for command in ("init", "revision", "upgrade", "downgrade", "stamp", "current", "history"):
        assert f"│ {command} " in db_help, command
    assert "..." not in db_help.replace("[ARGS]...", "").replace("[OPTIONS]", "")
    assert "[tool.stanchion] url, then DATABASE_URL" in _help("db", "upgrade")
