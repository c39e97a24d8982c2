"""Typed errors: constraint violations, stale versions and unreachable databases, on every driver.

Each error names what happened, keeps the driver's error as ``__cause__`` and never carries SQL,
parameter values or passwords in its message.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from stanchion import (
    AlreadyExists,
    AsyncDatabase,
    CheckViolation,
    ConfigurationError,
    ConstraintViolation,
    Database,
    DatabaseUnavailable,
    ForeignKeyViolation,
    InvalidQuery,
    StaleData,
    StanchionError,
)
from stanchion.engine._translate import message_for
from stanchion.engine.backends import Backend, backend_for
from tests.foundation.harness import Sides
from tests.models import Account, Book, Writer

pytestmark = pytest.mark.anyio

SECRET = "Zebra-9931"  # a parameter value that must not leak into messages
SQL_WORDS = ("INSERT", "UPDATE", "SELECT", "VALUES", "DELETE", "WHERE")  # as SQL writes them


def assert_safe(error: BaseException, sides: Sides | None = None) -> None:
    """The message carries no SQL and no values; the driver's error is the cause."""
    message = str(error)
    assert SECRET not in message and "s3cret" not in message
    assert not any(word in message for word in SQL_WORDS), message
    assert error.__cause__ is not None
    if sides is not None:
        assert isinstance(error.__cause__, sides.sync_engine.dialect.loaded_dbapi.Error)


async def violate(sides: Sides, *instances: Any) -> ConstraintViolation:
    """Commit all but the last of `instances`; return the violation the last one raises."""
    side = sides.open()
    *first, last = instances
    for instance in first:
        await side.repo(type(instance)).add(instance)
    await side.commit()
    side = sides.open()
    with pytest.raises(ConstraintViolation) as caught:
        await side.repo(type(last)).add(last)
    await side.rollback()
    assert_safe(caught.value, sides)
    return caught.value


async def test_duplicate_unique_value_names_the_constraint_and_field(sides: Sides) -> None:
    error = await violate(sides, Writer(name=SECRET), Writer(name=SECRET))
    assert type(error) is AlreadyExists
    assert (error.constraint, error.table, error.fields) == (
        "uq_t_writers_name",
        "t_writers",
        ("name",),
    )
    assert "uq_t_writers_name" in str(error) and "name" in str(error)


async def test_duplicate_composite_key_names_every_field(sides: Sides) -> None:
    error = await violate(
        sides, Account(owner=SECRET, region="eu"), Account(owner=SECRET, region="eu")
    )
    assert type(error) is AlreadyExists
    assert error.constraint == "uq_t_accounts_owner_region"
    assert error.fields == ("owner", "region")


async def test_duplicate_primary_key_names_the_key(sides: Sides) -> None:
    error = await violate(sides, Writer(id=7, name="a"), Writer(id=7, name=SECRET))
    assert type(error) is AlreadyExists
    assert (error.constraint, error.fields) == ("pk_t_writers", ("id",))


async def test_missing_referenced_row_raises_foreign_key_violation(sides: Sides) -> None:
    error = await violate(sides, Book(title=SECRET, writer_id=987654))
    assert type(error) is ForeignKeyViolation and error.table == "t_books"
    if sides.backend == "sqlite":  # SQLite does not say which foreign key failed
        assert error.constraint is None
    else:
        assert error.constraint == "fk_t_books_writer_id_t_writers"
        assert error.fields == ("writer_id",)


async def test_failed_check_names_the_check_constraint(sides: Sides) -> None:
    writer = Writer(name="w")
    side = sides.open()
    await side.repo(Writer).add(writer)
    await side.commit()
    error = await violate(sides, Book(title=SECRET, pages=-5, writer_id=writer.id))
    assert type(error) is CheckViolation
    assert error.constraint == "ck_t_books_pages_not_negative"


async def test_missing_required_value_names_the_column(sides: Sides) -> None:
    writer = Writer(name="w")
    side = sides.open()
    await side.repo(Writer).add(writer)
    await side.commit()
    error = await violate(sides, Book(title=None, summary=SECRET, writer_id=writer.id))
    assert type(error) is CheckViolation
    assert error.fields == ("title",) and "title" in str(error)


@pytest.mark.backends("postgresql", "mysql")  # SQLite stores any length
async def test_a_value_too_long_for_its_column_is_a_check_violation(sides: Sides) -> None:
    error = await violate(sides, Writer(name=SECRET * 40))
    assert type(error) is CheckViolation and error.table == "t_writers"
    assert "too long" in str(error)
    if sides.backend == "mysql":  # PostgreSQL does not say which column
        assert error.fields == ("name",)


@pytest.mark.commits
async def test_concurrent_update_of_a_versioned_row_raises_stale_data(sides: Sides) -> None:
    first = sides.open()
    ada = await first.repo(Writer).add(Writer(name="Ada"))
    await first.commit()

    second = sides.open()
    theirs = await second.repo(Writer).get_one(ada.id)
    await second.commit()  # the read ends its transaction; the object stays usable

    await first.repo(Writer).update(ada, {"rating": 1})
    await first.commit()
    assert ada.version == 2

    with pytest.raises(StaleData) as caught:
        await second.repo(Writer).update(theirs, {"rating": 2})
    assert_safe(caught.value)
    await second.rollback()
    reread = await sides.open().repo(Writer).get_one(ada.id)
    assert (reread.rating, reread.version) == (1, 2)


async def test_stale_data_is_raised_at_commit_too(sides: Sides) -> None:
    first = sides.open()
    ada = await first.repo(Writer).add(Writer(name="Ada"))
    await first.commit()
    second = sides.open()
    theirs = await second.repo(Writer).get_one(ada.id)
    await second.commit()
    await first.repo(Writer).update(ada, {"rating": 1})
    await first.commit()

    theirs.rating = 3  # changed directly, flushed by commit
    with pytest.raises(StaleData):
        await second.commit()
    await second.rollback()


async def test_update_with_an_expected_version_refuses_a_moved_row(sides: Sides) -> None:
    side = sides.open()
    writers = side.repo(Writer)
    ada = await writers.add(Writer(name="Ada"))
    await writers.update(ada.id, {"rating": 1}, expected_version=1)
    assert ada.version == 2
    with pytest.raises(StaleData):
        await writers.update(ada.id, {"rating": 2}, expected_version=1)
    assert ada.rating == 1


UNREACHABLE = [
    "postgresql+psycopg://app:s3cret@127.0.0.1:1/app",
    "postgresql+asyncpg://app:s3cret@127.0.0.1:1/app",
    "postgresql+psycopg_async://app:s3cret@127.0.0.1:1/app",
    "mysql+pymysql://app:s3cret@127.0.0.1:1/app",
    "mysql+asyncmy://app:s3cret@127.0.0.1:1/app",
    "sqlite+pysqlite:////nonexistent-dir/s3cret/db.sqlite",
    # Not aiosqlite: after a failed open (same sqlite3 error, same translation) its worker
    # thread resolves a future on the test's already closed loop (aiosqlite 0.22).
]


@pytest.mark.parametrize("url", UNREACHABLE, ids=lambda u: make_url(u).drivername)
async def test_refused_connection_raises_database_unavailable(url: str) -> None:
    is_async = make_url(url).get_dialect().is_async
    database: Database | AsyncDatabase
    if is_async:
        database = AsyncDatabase(url, connect_timeout=2)
    else:
        database = Database(url, connect_timeout=2)
    try:
        with pytest.raises(DatabaseUnavailable) as caught:
            if isinstance(database, AsyncDatabase):
                async with database.connect() as connection:
                    await connection.execute(text("SELECT 1"))
            else:
                with database.connect() as connection:
                    connection.execute(text("SELECT 1"))
        assert_safe(caught.value)
    finally:
        if isinstance(database, AsyncDatabase):
            await database.dispose()
        else:
            database.dispose()


async def test_exhausted_async_pool_raises_database_unavailable(adb: AsyncDatabase) -> None:
    url = adb.spec.url.render_as_string(hide_password=False)
    small = AsyncDatabase(url, pool_size=1, max_overflow=0, pool_timeout=0.1)
    try:
        async with small.connect():
            with pytest.raises(DatabaseUnavailable) as caught:
                async with small.connect():
                    pass
        assert_safe(caught.value)
        assert small.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    finally:
        await small.dispose()


@pytest.mark.parametrize("name", ["sqlite", "postgresql", "mysql"])
def test_every_classified_code_has_words(name: str) -> None:
    backend: Backend = backend_for(make_url(f"{name}://"))
    codes = backend.errors.codes()
    assert codes, f"{name} classifies no codes"
    for code, kind in codes.items():
        if issubclass(kind, ConstraintViolation):
            continue
        assert message_for(kind, backend) != "database error", (code, kind)


def test_sqlite_restrict_action_is_a_foreign_key_violation(tmp_path: Any) -> None:
    """SQLite reports ON DELETE RESTRICT with SQLITE_CONSTRAINT_TRIGGER (1811), not the FK code."""
    from stanchion import Database, ForeignKeyViolation

    db = Database(f"sqlite:///{tmp_path}/restrict.db")
    try:
        with db.connect() as connection:
            connection.exec_driver_sql("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
            connection.exec_driver_sql(
                "CREATE TABLE child (id INTEGER PRIMARY KEY,"
                " parent_id INTEGER REFERENCES parent (id) ON DELETE RESTRICT)"
            )
            connection.exec_driver_sql("INSERT INTO parent VALUES (1)")
            connection.exec_driver_sql("INSERT INTO child VALUES (1, 1)")
            connection.commit()
        with pytest.raises(ForeignKeyViolation) as caught, db.connect() as connection:
            connection.exec_driver_sql("DELETE FROM parent")
        assert getattr(caught.value.__cause__, "sqlite_errorcode", None) == 1811
        with db.connect() as connection:
            assert connection.exec_driver_sql("SELECT count(*) FROM parent").scalar() == 1
    finally:
        db.dispose()


async def test_an_error_no_profile_classifies_stays_sqlalchemys_dbapi_error(
    sides: Sides,
) -> None:
    """docs/errors.md: unclassified driver errors are not re-typed (SQLAlchemy catches them)."""
    side = sides.open()
    with pytest.raises(DBAPIError) as caught:
        await side.run(lambda s: s.execute(text("SELEKT 1 FROM nowhere")))
    await side.rollback()
    assert not isinstance(caught.value, StanchionError)
    assert isinstance(caught.value.orig, sides.sync_engine.dialect.loaded_dbapi.Error)


@pytest.mark.parametrize("url", ["oracle://scott:tiger@db/x", "mssql://sa:pw@db/x"])
def test_an_unsupported_url_is_a_configuration_error_not_a_bad_query(url: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        Database(url)
    assert not isinstance(caught.value, InvalidQuery)  # FastAPI would answer it with a 422
    assert "tiger" not in str(caught.value) and "pw" not in str(caught.value)
