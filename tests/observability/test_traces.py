"""Spans: one per unit of work (with its attempt's outcome), one per statement, by the conventions.

A request span wraps a `run` whose first attempt fails with a retryable error: the trace must
show both attempts under the request, the retry as an event, and each statement under its
attempt with the stable database attributes and no parameter value anywhere.
"""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.semconv.attributes import db_attributes, server_attributes
from sqlalchemy import event, text

from stanchion import (
    AsyncUnitOfWork,
    CommitOutcomeUnknown,
    RetryPolicy,
    SerializationFailure,
    UnitOfWork,
)
from tests.models import Writer
from tests.observability.conftest import Telemetry, attrs, url_for

SECRET_NAME = "writer-name-7f3a9"  # a parameter value: must never be exported
SECRET_EMAIL = "hidden-4c1e@example.org"
PASSWORD = "hunter2-pw-91d"
NO_WAIT = RetryPolicy(base_delay=0.0, max_delay=0.0)


def _children(spans: list[ReadableSpan], parent: ReadableSpan) -> list[ReadableSpan]:
    ident = parent.context.span_id if parent.context else None
    return [s for s in spans if s.parent is not None and s.parent.span_id == ident]


def _check_retried_request(telemetry: Telemetry, backend: str) -> None:
    spans = telemetry.finished()
    (request,) = [s for s in spans if s.name == "GET /writers"]
    attempts = sorted(
        (s for s in _children(spans, request) if s.name == "stanchion.transaction"),
        key=lambda s: s.start_time or 0,
    )
    assert [attrs(a)["stanchion.transaction.attempt"] for a in attempts] == [1, 2]
    first, second = attempts
    assert attrs(first)["stanchion.transaction.outcome"] == "retried"
    assert attrs(second)["stanchion.transaction.outcome"] == "committed"
    assert attrs(first)["stanchion.transaction.isolation_level"] == "SERIALIZABLE"
    assert attrs(first)["stanchion.transaction.read_only"] is False
    (retry,) = first.events
    assert retry.name == "stanchion.retry"
    assert retry.attributes is not None
    assert str(attrs(retry)["error.type"]).endswith("SerializationFailure")
    assert float(attrs(retry)["stanchion.retry.delay_s"]) >= 0.0

    for attempt in attempts:
        statements = _children(spans, attempt)
        inserts = [s for s in statements if attrs(s).get("db.operation.name") == "INSERT"]
        assert len(inserts) == 1, [s.name for s in statements]
        insert = attrs(inserts[0])
        assert inserts[0].name == "INSERT t_writers"
        systems = {"sqlite": "sqlite", "postgresql": "postgresql", "mysql": "mariadb"}
        assert insert[db_attributes.DB_SYSTEM_NAME] == systems[backend]
        assert insert[db_attributes.DB_COLLECTION_NAME] == "t_writers"
        assert insert[db_attributes.DB_NAMESPACE]
        assert "INSERT INTO t_writers" in str(insert[db_attributes.DB_QUERY_TEXT])
        assert insert["stanchion.repository.operation"] == "Writer.add"
        if backend != "sqlite":
            assert insert[server_attributes.SERVER_ADDRESS] == "127.0.0.1"
            assert isinstance(insert[server_attributes.SERVER_PORT], int)
    exported = telemetry.everything_exported()
    for secret in (SECRET_NAME, SECRET_EMAIL, PASSWORD):
        assert secret not in exported


def _with_password(telemetry: Telemetry, backend: str, *, is_async: bool) -> Any:
    url = url_for(backend, is_async=is_async)
    # PostgreSQL here trusts local logins, so a password in the URL is accepted and unused:
    # the test can check it never reaches a span.
    return url.set(password=PASSWORD) if backend == "postgresql" else url


def test_a_retried_run_shows_each_attempt_under_the_request(
    backend: str, observed: Any, telemetry: Telemetry
) -> None:
    db = observed(_with_password(telemetry, backend, is_async=False))
    tracer = telemetry.tracer_provider.get_tracer("test")

    def work(tx: UnitOfWork) -> int:
        writer = tx.repository(Writer).add(Writer(name=SECRET_NAME, email=SECRET_EMAIL))
        if tx.attempt == 1:
            raise SerializationFailure("simulated conflict")
        return writer.id

    with tracer.start_as_current_span("GET /writers"):
        db.run(work, retry=NO_WAIT, isolation_level="SERIALIZABLE")
    _check_retried_request(telemetry, backend)


@pytest.mark.anyio
async def test_a_retried_async_run_shows_each_attempt_under_the_request(
    backend: str, aobserved: Any, telemetry: Telemetry
) -> None:
    db = aobserved(_with_password(telemetry, backend, is_async=True))
    tracer = telemetry.tracer_provider.get_tracer("test")

    async def work(tx: AsyncUnitOfWork) -> int:
        writer = await tx.repository(Writer).add(Writer(name=SECRET_NAME, email=SECRET_EMAIL))
        if tx.attempt == 1:
            raise SerializationFailure("simulated conflict")
        return writer.id

    with tracer.start_as_current_span("GET /writers"):
        await db.run(work, retry=NO_WAIT, isolation_level="SERIALIZABLE")
    _check_retried_request(telemetry, backend)


def test_a_failed_statement_records_its_error_type_but_not_its_message(
    backend: str, observed: Any, telemetry: Telemetry
) -> None:
    db = observed()
    with db.transaction() as tx:
        tx.repository(Writer).add(Writer(name=SECRET_NAME))
    with pytest.raises(Exception), db.transaction() as tx:  # noqa: B017 - AlreadyExists
        tx.repository(Writer).add(Writer(name=SECRET_NAME))
    failed = [s for s in telemetry.finished() if attrs(s).get("error.type")]
    statement = next(s for s in failed if attrs(s).get("db.operation.name") == "INSERT")
    assert statement.status.description is None
    unit = next(s for s in failed if s.name == "stanchion.transaction")
    assert attrs(unit)["stanchion.transaction.outcome"] == "rolled_back"
    assert SECRET_NAME not in telemetry.everything_exported()


def _kill_on_commit(db: Any, backend: str) -> None:
    """Make the next COMMIT find its connection gone: the server ends it first."""
    engine = db.engine if hasattr(db.engine, "pool") else db.engine.sync_engine
    kill = {
        "postgresql": "SELECT pg_terminate_backend(:ident)",
        "mysql": "KILL :ident",
    }[backend]
    ask = {"postgresql": "SELECT pg_backend_pid()", "mysql": "SELECT CONNECTION_ID()"}[backend]

    @event.listens_for(engine, "commit", once=True)
    def _before_commit(connection: Any) -> None:
        ident = connection.exec_driver_sql(ask).scalar()
        admin = db.killer  # a plain sync engine on the same server
        with admin.connect() as other:
            other.execute(text(kill), {"ident": ident})
            other.commit()


@pytest.mark.backends("postgresql", "mysql")
def test_a_commit_whose_outcome_is_unknown_is_marked(
    backend: str, observed: Any, telemetry: Telemetry
) -> None:
    from sqlalchemy import create_engine

    db = observed()
    db.killer = create_engine(url_for(backend, is_async=False))
    try:
        _kill_on_commit(db, backend)
        with pytest.raises(CommitOutcomeUnknown), db.transaction() as tx:
            tx.repository(Writer).add(Writer(name="commit-lost"))
    finally:
        db.killer.dispose()
    (unit,) = [s for s in telemetry.finished() if s.name == "stanchion.transaction"]
    assert attrs(unit)["stanchion.transaction.outcome"] == "unknown"
    assert attrs(unit)["stanchion.commit_outcome_unknown"] is True
    assert [e.name for e in unit.events] == ["stanchion.commit_outcome_unknown"]
    outcomes = telemetry.metrics()["stanchion.transaction.outcomes"]
    assert {attrs(p)["stanchion.transaction.outcome"] for p in outcomes.data.data_points} == {
        "unknown"
    }


class _Broken:
    """An observer that fails on every call."""

    def unit_started(self, tx: Any) -> Any:
        raise RuntimeError("telemetry bug")

    def unit_ended(self, tx: Any, handle: Any, error: Any, retry_in: Any) -> None:
        raise RuntimeError("telemetry bug")

    def close(self) -> None:
        pass


@pytest.mark.backends("sqlite")
def test_a_failing_observer_never_breaks_the_transaction(
    backend: str, observed: Any, caplog: pytest.LogCaptureFixture
) -> None:
    db = observed()
    db.observer = _Broken()
    with db.transaction() as tx:
        tx.repository(Writer).add(Writer(name="kept"))
    with db.transaction(read_only=True) as tx:
        assert tx.repository(Writer).count() == 1
    assert "the transaction observer failed" in caplog.text
