"""Query tags: sqlcommenter comments that reach the server and never defeat statement caching.

Ten runs of one repository query under one route must compile once in SQLAlchemy and, on
PostgreSQL, stay one server-side prepared statement, while the server shows the tag in
``pg_stat_activity.query``.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import create_engine, event, text

from stanchion import AsyncDatabase, Database
from stanchion.observability import query_tags
from tests.models import Writer
from tests.observability.conftest import url_for

ROUTE = "GET /writers/{name}"
TAG = "/*application='blog',operation='Writer.exists',route='GET%20%2Fwriters%2F%7Bname%7D'*/"
# Counts this session's prepared statements on t_writers, without matching its own text.
PREPARED = (
    "SELECT count(*) FROM pg_prepared_statements WHERE position('t_' || 'writers' IN statement) > 0"
)


def _watch(db: Database | AsyncDatabase) -> tuple[set[int], set[str]]:
    compiled: set[int] = set()
    sent: set[str] = set()
    engine = db.engine if isinstance(db, Database) else db.engine.sync_engine

    @event.listens_for(engine, "after_cursor_execute")
    def _seen(_c: Any, _cur: Any, statement: str, _p: Any, context: Any, _m: bool) -> None:
        if "FROM t_writers" in statement:
            compiled.add(id(context.compiled))
            sent.add(statement)

    return compiled, sent


def _server_query(backend: str, pid: int) -> str:
    other = create_engine(url_for(backend, is_async=False))
    try:
        with other.connect() as connection:
            found = connection.execute(
                text("SELECT query FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
            ).scalar_one()
            return str(found)
    finally:
        other.dispose()


def test_tags_reach_the_server_and_keep_statement_caching(backend: str, observed: Any) -> None:
    db = observed(query_tags=True, application="blog", traces=False, metrics=False)
    compiled, sent = _watch(db)
    with query_tags(route=ROUTE), db.transaction() as tx:
        pid = 0
        if backend == "postgresql":
            pid = tx.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        for n in range(10):
            tx.repository(Writer).exists(name=f"w{n}")
        if backend == "postgresql":
            assert TAG in _server_query(backend, pid)
            assert tx.session.execute(text(PREPARED)).scalar_one() == 1
    assert len(compiled) == 1, "compiled once, whatever the tags"
    # Drivers that format with % get the encoding's % doubled; the server sees it single.
    assert len(sent) == 1 and next(iter(sent)).replace("%%", "%").endswith(TAG)


@pytest.mark.anyio
async def test_async_tags_reach_the_server_and_keep_statement_caching(
    backend: str, aobserved: Any
) -> None:
    db = aobserved(query_tags=True, application="blog", traces=False, metrics=False)
    compiled, sent = _watch(db)
    with query_tags(route=ROUTE):
        async with db.transaction() as tx:
            pid = 0
            if backend == "postgresql":
                pid = (await tx.session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            for n in range(10):
                await tx.repository(Writer).exists(name=f"w{n}")
            if backend == "postgresql":
                assert TAG in _server_query(backend, pid)
                prepared = (await tx.session.execute(text(PREPARED))).scalar_one()
                assert prepared == 1
    assert len(compiled) == 1, "compiled once, whatever the tags"
    # Drivers that format with % get the encoding's % doubled; the server sees it single.
    assert len(sent) == 1 and next(iter(sent)).replace("%%", "%").endswith(TAG)


def test_tags_are_off_by_default(backend: str, observed: Any) -> None:
    db = observed(traces=False, metrics=False)
    _compiled, sent = _watch(db)
    with query_tags(route=ROUTE), db.transaction() as tx:
        tx.repository(Writer).exists(name="w")
    assert all("/*" not in statement for statement in sent)
