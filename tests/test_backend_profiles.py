"""The backend profiles' admin facet on real servers, and the rule that only profiles ask
which database they are on."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

import stanchion
from stanchion.engine import backends
from stanchion.engine.backends import backend_for
from tests.conftest import backend_url

pytestmark = pytest.mark.commits


def run(url: URL, *statements: str) -> list[tuple[object, ...]]:
    """Run `statements` in one committed transaction; the rows of the last one."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            result = None
            for statement in statements:
                result = connection.execute(text(statement))
            return (
                [tuple(row) for row in result] if result is not None and result.returns_rows else []
            )
    finally:
        engine.dispose()


@pytest.fixture
def scratch(backend: str) -> Iterator[URL]:
    """A name for a database of this test's own on `backend`, dropped afterwards."""
    base = backend_url(backend)
    admin = backend_for(base).admin
    url = admin.scratch_url(base, f"a{uuid.uuid4().hex[:10]}")
    yield url
    admin.drop_database(url)


def test_admin_creates_a_database_that_works_and_drops_it(scratch: URL) -> None:
    admin = backend_for(scratch).admin
    assert not admin.database_exists(scratch)

    admin.create_database(scratch)

    assert admin.database_exists(scratch)
    assert run(
        scratch, "CREATE TABLE t (x INTEGER)", "INSERT INTO t VALUES (7)", "SELECT x FROM t"
    ) == [(7,)]
    admin.drop_database(scratch)
    assert not admin.database_exists(scratch)
    admin.drop_database(scratch)  # dropping what is not there is no error


def test_admin_drops_a_database_someone_is_still_connected_to(scratch: URL) -> None:
    admin = backend_for(scratch).admin
    admin.create_database(scratch)
    engine = create_engine(scratch, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            admin.drop_database(scratch)
    except Exception:  # the server cut our connection: that is what dropping it means
        pass
    finally:
        engine.dispose()
    assert not admin.database_exists(scratch)


def test_admin_copies_a_database_with_its_rows_where_it_can(backend: str, scratch: URL) -> None:
    admin = backend_for(scratch).admin
    template = admin.scratch_url(backend_url(backend), f"tpl{uuid.uuid4().hex[:8]}")
    admin.create_database(template)
    try:
        run(template, "CREATE TABLE t (x INTEGER)", "INSERT INTO t VALUES (1), (2)")
        if not admin.copies_databases:
            assert backend == "mysql"
            with pytest.raises(NotImplementedError, match="cannot copy"):
                admin.create_database(scratch, template=template)
            return

        admin.create_database(scratch, template=template)

        run(template, "INSERT INTO t VALUES (3)")  # the copy is a copy, not a view
        assert run(scratch, "SELECT x FROM t ORDER BY x") == [(1,), (2,)]
    finally:
        admin.drop_database(template)


@pytest.mark.backends("postgresql", "mysql")
def test_admin_refuses_a_database_name_that_is_not_a_plain_word(backend: str) -> None:
    base = backend_url(backend)
    admin = backend_for(base).admin
    hostile = base.set(database='x"; DROP DATABASE postgres; --')
    with pytest.raises(ValueError, match="letters, digits and _"):
        admin.create_database(hostile)
    with pytest.raises(ValueError, match="letters, digits and _"):
        admin.drop_database(hostile)


@pytest.mark.backends("sqlite")
def test_sqlite_admin_copies_the_file_with_the_online_backup(tmp_path: Path) -> None:
    admin = backend_for(URL.create("sqlite")).admin
    template = URL.create("sqlite", database=str(tmp_path / "template.db"))
    copy = admin.sibling_url(template, "gw0")
    assert copy.database == str(tmp_path / "template_gw0.db")
    run(
        template,
        "PRAGMA journal_mode=WAL",
        "CREATE TABLE t (x INTEGER)",
        "INSERT INTO t VALUES (5)",
    )

    admin.create_database(copy, template=template)

    assert run(copy, "SELECT x FROM t") == [(5,)]
    admin.drop_database(copy)
    assert not any(tmp_path.glob("template_gw0.db*"))


#: Files that may ask which database they are on: the profiles, and models/types.py, whose
#: per-dialect type implementations are SQLAlchemy's own mechanism (docs/architecture.md).
_ALLOWED = (Path(backends.__file__).parent, Path(stanchion.__file__).parent / "models" / "types.py")
_DIALECT_CHECK = re.compile(r"dialect\.name\b|get_backend_name\(\)\s*(==|!=|in\b)")


def test_only_the_backend_profiles_ask_which_database_they_are_on() -> None:
    root = Path(stanchion.__file__).parent
    found = [
        f"{path.relative_to(root)}:{number}: {line.strip()}"
        for path in sorted(root.rglob("*.py"))
        if not any(path == allowed or allowed in path.parents for allowed in _ALLOWED)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _DIALECT_CHECK.search(line)
    ]
    assert found == []


_PROFILE_USE = re.compile(r"backend_for(?:_dialect)?\([^()]*(?:\([^()]*\))?[^()]*\)(\.\w+)?")


@pytest.mark.parametrize("package", ["migrations", "testing"])
def test_migrations_and_testing_reach_only_the_ddl_and_admin_facets(package: str) -> None:
    root = Path(stanchion.__file__).parent / package
    uses = [
        (path.name, match.group(0))
        for path in sorted(root.rglob("*.py"))
        for match in _PROFILE_USE.finditer(path.read_text(encoding="utf-8"))
        if not match.group(0).startswith("backend_for(url: ")
    ]
    assert uses, f"stanchion.{package} no longer asks a profile: drop this test"
    assert [use for use in uses if use[1].rsplit(".", 1)[-1] not in ("ddl", "admin")] == []
