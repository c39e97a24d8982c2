"""The pytest plugin as a user runs it: docs/examples/testing, inline and with two xdist workers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL

from stanchion import AsyncDatabase, AsyncUnitOfWork
from tests import conftest
from tests.backends import async_url

EXAMPLE = Path(__file__).resolve().parents[1] / "docs" / "examples" / "testing"


def _base_url(backend: str, tmp_path: Path, name: str) -> str:
    """A base URL of this test's own on `backend` (the plugin suffixes it per worker)."""
    conftest.backend_url(backend)  # skips when the server is unreachable
    assert conftest._BACKENDS is not None
    if backend == "sqlite":
        return f"sqlite:///{tmp_path}/{name}.db"
    base: URL = conftest._BACKENDS.urls[backend]
    return base.set(database=f"{base.database}_{name}").render_as_string(hide_password=False)


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A copy of the docs' example project, run in a fresh "test run" of its own."""
    shutil.copytree(EXAMPLE, pytester.path, dirs_exist_ok=True)
    monkeypatch.setenv("PYTEST_XDIST_TESTRUNUID", uuid.uuid4().hex)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")  # the plugin overrides it; restored after
    monkeypatch.syspath_prepend(pytester.path)
    return pytester


def test_plugin_is_inert_until_a_database_url_is_configured(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite:///untouched.db")
    pytester.makepyfile(
        "import os\n"
        "def test_env():\n"
        "    assert os.environ['DATABASE_URL'] == 'sqlite:///untouched.db'\n"
    )
    result = pytester.runpytest("-p", "no:xdist")
    result.assert_outcomes(passed=1)
    assert "stanchion: test database" not in result.stdout.str()
    assert not list(pytester.path.glob("*.db"))


def test_example_project_isolates_every_test_sync_async_and_http(
    project: pytest.Pytester, backend: str, tmp_path: Path
) -> None:
    url = _base_url(backend, tmp_path, "plugin")
    result = project.runpytest("--stanchion-database-url", url, "-p", "no:xdist")
    result.assert_outcomes(passed=12, xfailed=1)
    result.stdout.fnmatch_lines(["stanchion: test database * per worker, built from migrations"])


def test_n_plus_one_failure_names_the_relationship_and_the_fix(
    project: pytest.Pytester, tmp_path: Path
) -> None:
    url = _base_url("sqlite", tmp_path, "nplusone")
    result = project.runpytest(
        "--stanchion-database-url", url, "-p", "no:xdist", "--runxfail", "-k", "test_g"
    )
    result.assert_outcomes(failed=1, deselected=12)
    result.stdout.fnmatch_lines(
        [
            "*N+1 queries: User.posts was lazy-loaded separately for 3 User objects*"
            "*.options(selectinload(User.posts))*"
        ]
    )


FIXTURE_MODE = """
from blogapp import Post, User
from sqlalchemy import select


def test_loop_under_the_fixture(stanchion_db, stanchion_nplusone):
    with stanchion_db.session() as session:
        session.add_all([User(name=n, posts=[Post(title="t")]) for n in ("a", "b")])
        session.commit()
    with stanchion_db.session() as session:
        assert [len(user.posts) for user in session.scalars(select(User))] == [1, 1]
"""


def test_the_nplusone_fixture_detects_when_not_on_for_every_test(
    project: pytest.Pytester, tmp_path: Path
) -> None:
    project.makepyfile(test_fixture_mode=FIXTURE_MODE)
    url = _base_url("sqlite", tmp_path, "fixture")
    options = ["-p", "no:xdist", "-o", "stanchion_nplusone=false"]
    result = project.runpytest("--stanchion-database-url", url, *options, "test_fixture_mode.py")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*User.posts was lazy-loaded separately for 2 User objects*"])


WRITES_UNDER_NPLUSONE = """
import pytest
from blogapp import User
from sqlalchemy import delete, insert, select, update

from stanchion import Repository


def test_writes(stanchion_db):
    with stanchion_db.transaction() as tx:
        users = tx.repository(User)
        users.add(User(id=1, name="a"))
        users.bulk_insert([{"id": 2, "name": "b"}])
        users.upsert([{"id": 1, "name": "a2"}, {"id": 3, "name": "c"}], conflict=["id"])
        tx.session.execute(update(User).where(User.id == 2).values(name="b2"))
        tx.session.execute(insert(User), [{"id": 4, "name": "d"}])
        tx.session.execute(delete(User).where(User.id == 4))
        assert tx.session.scalars(select(User.name).order_by(User.id)).all() == ["a2", "b2", "c"]


@pytest.mark.anyio
async def test_async_writes(stanchion_adb):
    async with stanchion_adb.transaction() as tx:
        await tx.repository(User).upsert([{"id": 5, "name": "e"}], conflict=["id"])
        await tx.session.execute(update(User).values(name="x"))
        await tx.session.execute(insert(User), [{"id": 6, "name": "f"}])
"""


def test_writes_pass_with_stanchion_nplusone_on_for_every_test(
    project: pytest.Pytester, backend: str, tmp_path: Path
) -> None:
    """docs/testing.md's sample config turns the detector on; writes must not trip it."""
    project.makepyfile(test_writes_under_nplusone=WRITES_UNDER_NPLUSONE)
    url = _base_url(backend, tmp_path, "nplusone_writes")
    options = ["-p", "no:xdist", "-o", "stanchion_nplusone=true"]
    result = project.runpytest(
        "--stanchion-database-url", url, *options, "test_writes_under_nplusone.py"
    )
    result.assert_outcomes(passed=2)


RECORDER = """
import json, os
from pathlib import Path
from sqlalchemy import text


def test_record_this_workers_database(stanchion_db, stanchion_url):
    with stanchion_db.connect() as connection:
        revision = connection.scalar(text("SELECT version_num FROM alembic_version"))
    record = {"database": stanchion_url.database, "revision": revision}
    out = Path(os.environ["RECORD_DIR"]) / (os.environ["PYTEST_XDIST_WORKER"] + ".json")
    out.write_text(json.dumps(record))
"""


@pytest.mark.backends("postgresql")  # the template clone; SQLite/MySQL paths run in the suite
def test_two_xdist_workers_each_get_their_own_database_at_the_latest_migration(
    backend: str, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project)
    for name in ("test_blog.py", "test_pieces.py", "conftest.py"):  # only the recorder runs
        (project / name).unlink()
    (project / "test_record.py").write_text(RECORDER)
    records = tmp_path / "records"
    records.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["RECORD_DIR"] = str(records)
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # load only what the run needs: starts faster
    plugins = ["-p", "stanchion.testing.plugin", "-p", "xdist.plugin", "-p", "anyio"]
    options = ["-q", "-p", "no:cacheprovider", "--stanchion-database-url"]
    url = _base_url(backend, tmp_path, "xdist")
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", *plugins, "-n", "2", "--dist", "each", *options, url],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    seen = {p.stem: json.loads(p.read_text()) for p in records.glob("*.json")}
    assert set(seen) == {"gw0", "gw1"}
    assert seen["gw0"]["database"] != seen["gw1"]["database"]
    assert {record["revision"] for record in seen.values()} == {"0002"}


def _databases_named(backend: str, prefix: str) -> list[str]:
    from sqlalchemy import create_engine, text

    assert conftest._BACKENDS is not None
    server: URL = conftest._BACKENDS.urls[backend]
    query = (
        "SELECT datname FROM pg_database WHERE datname LIKE :p"
        if backend == "postgresql"
        else "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE :p"
    )
    engine = create_engine(server.set(database="postgres" if backend == "postgresql" else "mysql"))
    try:
        with engine.connect() as connection:
            return list(connection.scalars(text(query), {"p": f"{prefix}%"}))
    finally:
        engine.dispose()


@pytest.mark.backends("postgresql", "mysql")
def test_the_plugin_drops_the_databases_it_made_when_the_run_ends(
    project: pytest.Pytester, backend: str, tmp_path: Path
) -> None:
    url = _base_url(backend, tmp_path, "leftover")
    name = str(URL.create("x").set(database=url.rsplit("/", 1)[1]).database)
    result = project.runpytest("--stanchion-database-url", url, "-p", "no:xdist")
    assert result.ret == 0, result.stdout.str()
    assert _databases_named(backend, name) == []


@pytest.mark.backends("postgresql")
@pytest.mark.anyio
async def test_an_in_process_pytester_run_leaves_the_async_driver_usable(
    pytester: pytest.Pytester, backend: str
) -> None:
    # pytester removes from sys.modules what its run imported; a re-imported asyncpg (>= 0.31)
    # segfaulted on its next connect and took the whole xdist worker down with it.
    pytester.makepyfile("import asyncpg\n\ndef test_imports():\n    assert asyncpg\n")
    pytester.runpytest("-p", "no:xdist").assert_outcomes(passed=1)
    adb = AsyncDatabase(async_url(conftest.backend_url(backend)))

    async def one(tx: AsyncUnitOfWork) -> Any:
        return await tx.session.scalar(text("SELECT 1"))

    try:
        assert await adb.run(one, read_only=True) == 1
    finally:
        await adb.dispose()
