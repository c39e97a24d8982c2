"""Every docs example runs the way a user runs it: in the repo root after ``dev.py up``, twice.

A fresh temp directory per run hid what users met: the examples shared the reference blog's
./stanchion.db (and DATABASE_URL's database), dropped its tables, collided with its ``users``
table, and failed on a second run. Here the repo root is rebuilt in a temp directory (the
examples, plus the blog's database made by the blog's own CLI, as ``dev.py up`` does), each
example runs twice with every warning an error, and the blog's tables and rows must come out
exactly as they went in, with no example table left behind. The same runs repeat against a
PostgreSQL and a MariaDB database holding the blog's schema, named by DATABASE_URL.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, inspect, select, table
from sqlalchemy.engine import URL

from stanchion import Database
from stanchion.engine.backends import backend_for
from tests.conftest import backend_url

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"
# docs/examples/testing is a pytest project (run by tests/test_testing_plugin.py) and
# docs/examples/migrations holds a revision file (run by tests/migrations/test_docs_examples.py);
# docs/examples/tutorial, howto and migrating run in tests/docs/test_tutorial.py and test_howto.py.
NOT_SCRIPTS = {"testing", "migrations", "tutorial", "howto", "migrating"}
SCRIPTS = sorted(
    p.relative_to(ROOT)
    for p in EXAMPLES.rglob("*.py")
    if p.relative_to(EXAMPLES).parts[0] not in NOT_SCRIPTS
)
BLOG_TABLES = {"users", "posts", "comments", "tags"}


def _env(database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    return env


def _run(args: list[str], cwd: Path, database_url: str | None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-W", "error", *args],
        cwd=cwd,
        env=_env(database_url),
        capture_output=True,
        text=True,
        timeout=300,
    )


def _blog(command: list[str], cwd: Path, database_url: str | None) -> None:
    """The blog's own CLI, as ``dev.py up`` runs it (migrate, then seed)."""
    done = _run(["-c", "from blog.cli import main; main()", *command], cwd, database_url)
    assert done.returncode == 0, done.stdout + done.stderr


def _snapshot(url: str | URL) -> dict[str, object]:
    """Every table's columns and row count: what an example must leave as it found it."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            inspector = inspect(connection)
            return {
                name: (
                    [c["name"] for c in inspector.get_columns(name)],
                    connection.scalar(select(func.count()).select_from(table(name))),
                )
                for name in sorted(inspector.get_table_names())
            }
    finally:
        engine.dispose()


def test_every_script_under_docs_examples_is_run_here() -> None:
    assert len(SCRIPTS) >= 11
    assert Path("docs/examples/quickstart.py") in SCRIPTS


@pytest.fixture(scope="module")
def repo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repo's layout after ``python3 dev.py up``: the blog's ./stanchion.db."""
    root = tmp_path_factory.mktemp("repo-root")
    shutil.copytree(EXAMPLES, root / "docs" / "examples")
    _blog(["migrate"], root, None)
    _blog(["seed", "--users", "5", "--posts", "10"], root, None)
    assert set(_snapshot(f"sqlite:///{root / 'stanchion.db'}")) >= BLOG_TABLES
    return root


@pytest.mark.parametrize("script", SCRIPTS, ids=[str(s) for s in SCRIPTS])
def test_example_runs_twice_in_the_repo_root_and_leaves_the_blog_alone(
    script: Path, repo_root: Path
) -> None:
    blog_db = f"sqlite:///{repo_root / 'stanchion.db'}"
    before = _snapshot(blog_db)
    for attempt in ("first", "second"):
        done = _run([str(script)], repo_root, None)
        assert done.returncode == 0, f"{attempt} run failed:\n{done.stderr}"
    assert _snapshot(blog_db) == before
    for other in repo_root.glob("*.db"):
        if other.name != "stanchion.db":
            assert _snapshot(f"sqlite:///{other}") == {}, f"{other.name} kept example tables"


@pytest.fixture(scope="module")
def blog_servers() -> Iterator[dict[str, URL]]:
    """Per backend, a database holding the blog's schema, to name by DATABASE_URL."""
    made: dict[str, URL] = {}
    yield made
    for url in made.values():
        db = Database(url)
        try:
            db.backend.admin.drop_database(url)
        finally:
            db.dispose()


def _blog_server(backend: str, servers: dict[str, URL], cwd: Path) -> URL:
    if backend not in servers:
        base = backend_url(backend)
        admin = backend_for(base).admin
        url = admin.sibling_url(base, "examples")
        if not admin.database_exists(url):
            admin.create_database(url)
        _blog(["migrate"], cwd, url.render_as_string(hide_password=False))
        servers[backend] = url
    return servers[backend]


@pytest.mark.slow
@pytest.mark.backends("postgresql", "mysql")
@pytest.mark.parametrize("script", SCRIPTS, ids=[str(s) for s in SCRIPTS])
def test_example_runs_twice_on_database_url_and_leaves_the_blog_alone(
    backend: str, script: Path, repo_root: Path, blog_servers: dict[str, URL]
) -> None:
    url = _blog_server(backend, blog_servers, repo_root)
    before = _snapshot(url)
    assert set(before) >= BLOG_TABLES
    # As users write it (docs/database.md): no driver named, so async code picks its own.
    database_url = url.set(drivername=url.get_backend_name()).render_as_string(False)
    for attempt in ("first", "second"):
        done = _run([str(script)], repo_root, database_url)
        assert done.returncode == 0, f"{attempt} run failed:\n{done.stderr}"
    assert _snapshot(url) == before
