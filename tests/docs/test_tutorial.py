"""The tutorial's service (docs/examples/tutorial) works as the pages say, step by step.

Its scripts run twice where a user runs them (the repo root, next to the blog's database) and
touch nothing; its own test suite passes under the plugin on two xdist workers; and the switch to
PostgreSQL runs the same commands on a real server. Its migration is checked, linted and applied
on SQLite by the deploy recipe's script (tests/docs/test_howto.py).
Every run is a subprocess: the service registers its table on `stanchion.Model`, which this
suite's own models share.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from stanchion.engine.backends import backend_for
from tests import conftest

ROOT = Path(__file__).resolve().parents[2]
TUTORIAL = ROOT / "docs" / "examples" / "tutorial"
BIN = Path(sys.executable).parent
SCRIPTS = ("hello.py", "try_models.py", "try_store.py")
# Each script as `python docs/examples/tutorial/<script>` runs it: its folder first on sys.path.
TWICE = """
import os, runpy, sys
for path in sys.argv[1:] * 2:
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    runpy.run_path(path, run_name="__main__")
    sys.path.pop(0)
"""


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "PYTEST_"))}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return {**env, **extra}


def _run(args: list[str], cwd: Path, **env: str) -> str:
    done = subprocess.run(
        args, cwd=cwd, env=_env(**env), capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the tutorial's project, as a reader has it after the last step."""
    shutil.copytree(TUTORIAL, tmp_path / "inventory", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path / "inventory"


def test_step_scripts_run_twice_in_the_repo_root_and_write_nothing(tmp_path: Path) -> None:
    (tmp_path / "docs" / "examples").mkdir(parents=True)
    shutil.copytree(TUTORIAL, tmp_path / "docs" / "examples" / "tutorial")
    blog = sqlite3.connect(tmp_path / "stanchion.db")  # the blog's file, after `dev.py up`
    blog.execute("CREATE TABLE users (id INTEGER PRIMARY KEY)")
    blog.commit()
    blog.close()
    before = sorted(p.name for p in tmp_path.iterdir())
    paths = [f"docs/examples/tutorial/{s}" for s in SCRIPTS]
    out = _run([sys.executable, "-W", "error", "-c", TWICE, *paths], tmp_path)
    assert out.count("sqlite reachable: True") == 2
    assert out.count("SKU-022") == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    blog = sqlite3.connect(tmp_path / "stanchion.db")
    tables = blog.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    blog.close()
    assert tables == [("users",)]


def test_the_services_tests_pass_under_the_plugin_on_two_workers(project: Path) -> None:
    out = _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2"], project)
    assert "5 passed" in out
    assert not list(project.glob("inventory_test*.db")), "the plugin left its databases"


@pytest.mark.backends("postgresql")
def test_switch_to_postgresql_runs_the_same_service(backend: str, project: Path) -> None:
    conftest.backend_url(backend)  # skips when the server is unreachable (fails in CI)
    assert conftest._BACKENDS is not None
    base = conftest._BACKENDS.urls[backend]
    app_url = base.set(drivername="postgresql", database=f"{base.database}_tutorial")
    test_url = app_url.set(database=f"{base.database}_tutorial_test")
    admin = backend_for(app_url).admin
    if admin.database_exists(app_url):
        admin.drop_database(app_url)
    admin.create_database(app_url)
    try:
        out = _run(
            ["sh", "postgresql.sh"],
            project,
            DATABASE_URL=app_url.render_as_string(hide_password=False),
            TEST_URL=test_url.render_as_string(hide_password=False),
        )
    finally:
        admin.drop_database(app_url)
    assert "upgraded to head" in out and "drift: the models match the migrations" in out
    assert "5 passed" in out
