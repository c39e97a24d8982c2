"""``pooler="pgbouncer"`` on a real PgBouncer in transaction mode (.ci/servers/pooler.sh, 6432).

Each transaction may land on a server connection another client used a moment before: results
must always be the caller's own (no prepared statement met under another client's name), the
settings stanchion makes must hold for the transaction and be gone after it, and what needs a
session of its own must be refused with a typed error rather than misbehave.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Integer, bindparam, text
from sqlalchemy.engine import URL

from stanchion import (
    AsyncDatabase,
    ConfigurationError,
    Database,
    MigrationConfigError,
    UnsupportedByPooler,
)
from stanchion.migrations import MigrationConfig
from tests import backends as backend_support
from tests.pooler.conftest import libpq

pytestmark = pytest.mark.backends("postgresql")


@pytest.fixture
def db(pooled: URL) -> Iterator[Database]:
    database = Database(pooled, pooler="pgbouncer", statement_timeout_ms=4321, lock_timeout_ms=250)
    yield database
    database.dispose()


ECHO = text("SELECT :n + 0, current_setting('statement_timeout')").bindparams(
    bindparam("n", type_=Integer)
)


def test_concurrent_clients_always_get_their_own_results(db: Database) -> None:
    wrong: list[Any] = []

    def client(number: int) -> None:
        for step in range(40):  # past psycopg's prepare threshold (5) on every connection
            expected = number * 1000 + step
            with db.transaction() as tx:
                got, timeout = tx.session.execute(ECHO, {"n": expected}).one()
            if (got, timeout) != (expected, "4321ms"):
                wrong.append((expected, got, timeout))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []


@pytest.mark.anyio
async def test_concurrent_async_clients_always_get_their_own_results(pooled: URL) -> None:
    adb = AsyncDatabase(backend_support.async_url(pooled), pooler="pgbouncer",
                        statement_timeout_ms=4321)  # fmt: skip
    wrong: list[Any] = []

    async def client(number: int) -> None:
        for step in range(40):
            expected = number * 1000 + step
            async with adb.transaction() as tx:
                got, timeout = (await tx.session.execute(ECHO, {"n": expected})).one()
            if (got, timeout) != (expected, "4321ms"):
                wrong.append((expected, got, timeout))

    try:
        await asyncio.gather(*(client(n) for n in range(8)))
    finally:
        await adb.dispose()
    assert wrong == []


def test_settings_hold_for_the_transaction_and_never_reach_the_next_client(
    db: Database, pooled: URL
) -> None:
    with db.transaction() as tx:
        settings = tx.session.execute(
            text("SELECT current_setting('statement_timeout'), current_setting('lock_timeout')")
        ).one()
    assert tuple(settings) == ("4321ms", "250ms")
    # Another client of the same PgBouncer, with no settings of its own: PgBouncer hands it the
    # server connections stanchion just used, and it finds the server's defaults there.
    seen = set()
    for _ in range(20):
        with psycopg.connect(libpq(pooled), prepare_threshold=None) as other:
            seen.add(other.execute("SHOW statement_timeout").fetchone())
    assert seen == {("0",)}


def test_application_name_is_each_clients_own(pooled: URL) -> None:
    first = Database(pooled, pooler="pgbouncer", application_name="first-service")
    second = Database(pooled, pooler="pgbouncer", application_name="second-service")
    query = text("SELECT current_setting('application_name')")
    try:
        names = [
            (database.run(lambda tx: tx.session.scalar(query)), expected)
            for _ in range(10)
            for database, expected in ((first, "first-service"), (second, "second-service"))
        ]
    finally:
        first.dispose()
        second.dispose()
    assert all(got == expected for got, expected in names)


@pytest.mark.parametrize("isolation", ["SERIALIZABLE", "REPEATABLE READ"])
def test_isolation_and_read_only_are_the_transactions_own(db: Database, isolation: str) -> None:
    query = text(
        "SELECT current_setting('transaction_isolation'), current_setting('transaction_read_only')"
    )
    with db.transaction(isolation_level=isolation, read_only=True) as tx:
        asked = tuple(tx.session.execute(query).one())
    with db.transaction() as tx:
        after = tuple(tx.session.execute(query).one())
    assert asked == (isolation.lower(), "on")
    assert after == ("read committed", "off")


REFUSED = {
    "listen": "LISTEN stanchion_events",
    "session advisory lock": "SELECT pg_advisory_lock(42)",
    "held cursor": "DECLARE held CURSOR WITH HOLD FOR SELECT 1",
    "session set": "SET statement_timeout = '1s'",
    "reset": "RESET statement_timeout",
    "prepare": "PREPARE mine AS SELECT 1",
}
ALLOWED = {
    "notify": "NOTIFY stanchion_events",
    "transaction advisory lock": "SELECT pg_advisory_xact_lock(42)",
    "set local": "SET LOCAL statement_timeout = '1s'",
    "set constraints": "SET CONSTRAINTS ALL DEFERRED",
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_session_features_are_refused_with_a_typed_error(db: Database, name: str) -> None:
    with pytest.raises(UnsupportedByPooler) as caught, db.transaction() as tx:
        tx.session.execute(text(REFUSED[name]))
    assert "direct URL" in str(caught.value) or "SET LOCAL" in str(caught.value)
    assert db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", sorted(ALLOWED))
def test_transaction_scoped_forms_work(db: Database, name: str) -> None:
    with db.transaction() as tx:
        tx.session.execute(text(ALLOWED[name]))


@pytest.mark.anyio
async def test_async_session_features_are_refused(pooled: URL) -> None:
    adb = AsyncDatabase(backend_support.async_url(pooled), pooler="pgbouncer")
    try:
        with pytest.raises(UnsupportedByPooler):
            async with adb.transaction() as tx:
                await tx.session.execute(text(REFUSED["listen"]))
    finally:
        await adb.dispose()


# ----- configuration: no server needed -----


def test_the_pooler_option_is_for_postgresql_only(backend: str) -> None:
    with pytest.raises(ConfigurationError, match="pooler"):
        Database("sqlite://", pooler="pgbouncer")


def test_migrations_refuse_a_pooled_url_without_a_direct_one(
    backend: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://app@127.0.0.1:6432/app")
    monkeypatch.setenv("DATABASE_POOLER", "pgbouncer")
    monkeypatch.delenv("DATABASE_DIRECT_URL", raising=False)
    with pytest.raises(MigrationConfigError, match="DATABASE_DIRECT_URL"):
        MigrationConfig(directory=tmp_path).database_settings()
    monkeypatch.setenv("DATABASE_DIRECT_URL", "postgresql://app@127.0.0.1:5432/app")
    settings = MigrationConfig(directory=tmp_path).database_settings()
    assert settings.url.get_secret_value().endswith(":5432/app")
    assert settings.pooler is None
