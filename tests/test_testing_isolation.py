"""Savepoint isolation: whatever the code under test commits is gone when the test ends."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import QueuePool

from stanchion import AsyncDatabase, Database
from stanchion.testing.isolation import IsolationBroken, async_isolated, isolated
from tests.backends import async_url
from tests.conftest import backend_url
from tests.models import Writer


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Writer)) or 0


def test_rows_committed_inside_isolation_are_gone_after_it(backend: str, _schema: str) -> None:
    database = Database(backend_url(backend))
    try:
        with isolated(database):
            with database.session() as session:
                session.add(Writer(name="kept-until-the-end"))
                session.commit()
            with database.session() as session:
                session.add(Writer(name="rolled-back"))
                session.flush()
                session.rollback()
            with database.session() as session:
                names = session.scalars(select(Writer.name)).all()
            assert names == ["kept-until-the-end"]
        with database.session() as session:
            assert _count(session) == 0
        assert database.bound is None
    finally:
        database.dispose()


@pytest.mark.anyio
async def test_async_rows_committed_inside_isolation_are_gone_after_it(
    backend: str, _schema: str
) -> None:
    database = AsyncDatabase(async_url(backend_url(backend)))
    try:
        async with async_isolated(database):
            async with database.session() as session:
                session.add(Writer(name="kept-until-the-end"))
                await session.commit()
            async with database.session() as session:
                session.add(Writer(name="rolled-back"))
                await session.flush()
                await session.rollback()
            async with database.session() as session:
                names = (await session.scalars(select(Writer.name))).all()
            assert names == ["kept-until-the-end"]
        async with database.session() as session:
            assert await session.scalar(select(func.count()).select_from(Writer)) == 0
    finally:
        await database.dispose()


def test_every_bound_database_and_connect_see_the_tests_rows(db: Database, backend: str) -> None:
    app_db = Database(backend_url(backend))  # the application's own Database object
    try:
        with isolated(db, app_db):
            with db.session() as session:
                session.add(Writer(name="seen-by-the-app"))
                session.commit()
            with app_db.session() as session:
                assert _count(session) == 1
            with app_db.connect() as connection:
                assert connection.scalar(select(func.count()).select_from(Writer)) == 1
        assert isinstance(app_db.engine.pool, QueuePool)
        assert app_db.engine.pool.checkedout() == 0
    finally:
        app_db.dispose()


def test_committing_the_isolated_connection_itself_is_refused(db: Database) -> None:
    with db.connect() as connection, pytest.raises(IsolationBroken, match="commits"):
        connection.commit()


@pytest.mark.commits
def test_commits_marker_gives_real_commits_seen_by_another_connection(
    db: Database, backend: str
) -> None:
    with db.session() as session:
        session.add(Writer(name="really-committed"))
        session.commit()
    other = Database(backend_url(backend))
    try:
        with other.session() as session:
            assert _count(session) == 1
    finally:
        other.dispose()


@pytest.mark.backends("sqlite")  # no SQL involved: one backend proves it
def test_overlapping_session_configurations_may_end_in_any_order(
    backend: str, _schema: str
) -> None:
    database = Database(backend_url(backend))
    try:
        original = dict(database.sessionmaker.kw)
        with database.engine.connect() as connection:
            binding = database.bound_to(connection)
            lazy = database.lazy_loads_allowed()
            binding.__enter__()
            lazy.__enter__()
            binding.__exit__(None, None, None)  # ends first, though entered first
            assert database.sessionmaker.kw["bind"] is original["bind"]
            assert database.sessionmaker.kw["info"] != original["info"]  # lazy loads still on
            lazy.__exit__(None, None, None)
        assert database.sessionmaker.kw == original
        assert database.bound is None
    finally:
        database.dispose()
