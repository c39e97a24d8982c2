"""The plugin's pieces used directly: isolation and query assertions, without its fixtures."""

from __future__ import annotations

from blogapp import User
from sqlalchemy import select
from sqlalchemy.engine import URL

from stanchion import Database
from stanchion.testing import assert_max_queries, assert_num_queries, capture_queries, isolated


def test_isolation_without_the_plugin_fixtures(stanchion_url: URL) -> None:
    db, app_db = Database(stanchion_url), Database(stanchion_url)
    try:
        with isolated(db, app_db):  # app_db: another Database bound to the same connection
            with app_db.session() as session:
                session.add(User(name="temporary"))
                session.commit()
            with db.session() as session:
                assert session.scalar(select(User.name)) == "temporary"
        with db.session() as session:  # everything committed inside the block is gone
            assert session.scalar(select(User.name)) is None
    finally:
        db.dispose()
        app_db.dispose()


def test_query_assertions(stanchion_db: Database) -> None:
    with assert_num_queries(2, stanchion_db), stanchion_db.session() as session:
        session.add(User(name="counted"))
        session.commit()  # 1: INSERT (SAVEPOINT and RELEASE are not counted)
        session.scalars(select(User)).all()  # 2: SELECT
    with assert_max_queries(5), stanchion_db.session() as session:  # no target: every engine
        session.scalars(select(User)).all()
    with capture_queries(stanchion_db) as log, stanchion_db.session() as session:
        session.scalars(select(User)).all()
    assert log.statements[0].startswith("SELECT")
