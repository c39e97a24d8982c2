"""Query assertions: exact and maximum counts, captured statements, savepoints left out."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from stanchion import Database
from stanchion.testing.queries import assert_max_queries, assert_num_queries, capture_queries
from tests.models import Writer


def test_exact_count_passes_and_fails_listing_the_statements(db: Database) -> None:
    with assert_num_queries(2, db), db.session() as session:
        session.add(Writer(name="q"))
        session.commit()  # INSERT (savepoint statements are not counted)
        session.scalars(select(Writer)).all()
    with (
        pytest.raises(AssertionError, match=r"expected 1 queries, 2 were executed") as caught,
        assert_num_queries(1, db),
        db.session() as session,
    ):
        session.scalars(select(Writer)).all()
        session.scalars(select(Writer.id)).all()
    assert "1. SELECT" in str(caught.value) and "2. SELECT" in str(caught.value)


def test_maximum_count_fails_only_above_the_limit(db: Database) -> None:
    with assert_max_queries(2, db), db.session() as session:
        session.scalars(select(Writer)).all()
    with (
        pytest.raises(AssertionError, match="at most 1"),
        assert_max_queries(1),  # no target: every engine
        db.session() as session,
    ):
        session.scalars(select(Writer)).all()
        session.scalars(select(Writer)).all()


def test_capture_records_statements_and_optionally_transaction_control(db: Database) -> None:
    with (
        capture_queries(db, include_transaction_control=True) as everything,
        capture_queries(db) as statements,
        db.session() as session,
    ):
        session.add(Writer(name="cap"))
        session.commit()
    assert len(statements) == 1
    assert statements.statements[0].startswith("INSERT INTO t_writers")
    assert any(s.startswith("SAVEPOINT") for s in everything.statements)
    assert any(s.startswith("RELEASE SAVEPOINT") for s in everything.statements)


@pytest.mark.commits
def test_counts_are_the_same_without_isolation(db: Database) -> None:
    with assert_num_queries(2, db), db.session() as session:
        session.add(Writer(name="q"))
        session.commit()
        session.scalars(select(Writer)).all()


def test_expect_checks_one_block_of_a_running_log(db: Database) -> None:
    from stanchion.testing.queries import QueryLog

    with QueryLog(db) as log, db.session() as session:
        session.scalars(select(Writer)).all()
        with log.expect(1):
            session.scalars(select(Writer)).all()
        with pytest.raises(AssertionError), log.expect(at_most=0):
            session.scalars(select(Writer)).all()
    assert log.count == 3
