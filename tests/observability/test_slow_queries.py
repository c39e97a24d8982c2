"""The slow-query log: once per statement shape, values masked, the caller named, and the plan
fetched on a connection of its own; a statement that writes is never explained or re-run."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import select, text

from stanchion import AsyncDatabase, Database
from tests.models import Account, Writer
from tests.observability.conftest import log_text, slow_entries

SECRET = "slow-secret-5d2b"


def _check_plan(backend: str, plan: Any) -> None:
    if backend == "postgresql":
        assert isinstance(plan, list) and "Plan" in plan[0]  # EXPLAIN (FORMAT JSON)
    elif backend == "mysql":
        assert isinstance(plan, dict) and "query_block" in plan  # EXPLAIN FORMAT=JSON
    else:
        assert isinstance(plan, list) and any("t_writers" in str(row) for row in plan)


def _check(backend: str, caplog: pytest.LogCaptureFixture, db: Database | AsyncDatabase) -> None:
    assert db.observer is not None and db.observer.slow_queries is not None
    db.observer.slow_queries.wait()
    entries = slow_entries(caplog)
    reads = [e for e in entries if e["operation"] == "SELECT" and e["collection"] == "t_writers"]
    assert len(reads) == 1, "one entry per shape, however often it ran"
    (read,) = reads
    assert read["parameters"] and all(v.startswith("<") for v in _values(read["parameters"]))
    assert read["location"] is not None and "test_slow_queries.py" in read["location"]
    assert read["duration_ms"] >= 0 and read["plan_skipped"] if "plan_skipped" in read else True
    _check_plan(backend, read["plan"])
    (write,) = [e for e in entries if e["operation"] == "UPDATE"]
    assert write["plan"] is None and write["plan_skipped"] == "not a plain read"
    assert SECRET not in log_text(caplog)


def _values(parameters: Any) -> list[str]:
    if isinstance(parameters, dict):
        return [str(v) for v in parameters.values()]
    return [str(v) for v in parameters]


def test_slow_statements_are_logged_once_per_shape_with_their_plan(
    backend: str, observed: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="stanchion.slow_queries")
    db = observed(slow_query_ms=0.0, traces=False, metrics=False)
    with db.transaction() as tx:
        tx.session.add(Account(owner="a", balance=0))
    for name in (SECRET, "other"):
        with db.transaction(read_only=True) as tx:
            tx.session.scalars(select(Writer).where(Writer.name == name)).all()
    with db.transaction() as tx:
        tx.session.execute(text("UPDATE t_accounts SET balance = balance + 1 WHERE owner = 'a'"))
    _check(backend, caplog, db)
    with db.transaction(read_only=True) as tx:
        balance = tx.session.scalars(select(Account.balance)).one()
    assert balance == 1, "the UPDATE ran once: the log never re-ran it"


@pytest.mark.anyio
async def test_async_slow_statements_are_logged_once_per_shape_with_their_plan(
    backend: str, aobserved: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="stanchion.slow_queries")
    db = aobserved(slow_query_ms=0.0, traces=False, metrics=False)
    async with db.transaction() as tx:
        tx.session.add(Account(owner="a", balance=0))
    for name in (SECRET, "other"):
        async with db.transaction(read_only=True) as tx:
            (await tx.session.scalars(select(Writer).where(Writer.name == name))).all()
    async with db.transaction() as tx:
        await tx.session.execute(
            text("UPDATE t_accounts SET balance = balance + 1 WHERE owner = 'a'")
        )
    _check(backend, caplog, db)
    async with db.transaction(read_only=True) as tx:
        balance = (await tx.session.scalars(select(Account.balance))).one()
    assert balance == 1, "the UPDATE ran once: the log never re-ran it"


def test_fast_statements_are_not_logged(
    backend: str, observed: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="stanchion.slow_queries")
    db = observed(slow_query_ms=60_000.0, traces=False, metrics=False)
    with db.transaction(read_only=True) as tx:
        tx.session.scalars(select(Writer)).all()
    assert slow_entries(caplog) == []
