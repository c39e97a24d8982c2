"""Database and AsyncDatabase: URLs, backend defaults, health, secrets kept out of sight."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import exc, text

from stanchion import AsyncDatabase, Database, DatabaseSettings, DatabaseUnavailable


def test_default_url_is_an_embedded_sqlite_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    db = Database()
    try:
        assert db.backend.name == "sqlite"
        assert db.engine.url.database == "./stanchion.db"
    finally:
        db.dispose()


def test_database_url_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    monkeypatch.setenv("DATABASE_POOL_SIZE", "7")
    settings = DatabaseSettings()
    assert settings.url.get_secret_value() == "sqlite://"
    assert settings.pool_size == 7


@pytest.mark.parametrize("empty", ["", "   "])
def test_an_empty_database_url_means_the_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, empty: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", empty)
    monkeypatch.chdir(tmp_path)
    assert DatabaseSettings().url.get_secret_value() == "sqlite:///./stanchion.db"
    db = Database()
    try:
        assert db.backend.name == "sqlite"
    finally:
        db.dispose()


def test_password_never_appears_in_repr_or_settings() -> None:
    db = Database("postgresql://app:s3cret@127.0.0.1:1/app?sslpassword=hunter2", connect_timeout=1)
    try:
        assert "s3cret" not in repr(db)
        assert "hunter2" not in repr(db)
        assert "s3cret" not in repr(db.settings)
        assert "***" in db.url
    finally:
        db.dispose()


def test_unreachable_server_raises_database_unavailable_without_password() -> None:
    db = Database("postgresql://app:s3cret@127.0.0.1:1/app", connect_timeout=1)
    try:
        with pytest.raises(DatabaseUnavailable) as caught, db.connect() as connection:
            connection.execute(text("SELECT 1"))
        assert "s3cret" not in str(caught.value)
        assert caught.value.__cause__ is not None
        health = db.health()
        assert not health.ok and health.error == "ServerUnreachable"
    finally:
        db.dispose()


def test_sqlite_connections_get_production_pragmas(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path}/p.db", sqlite_busy_timeout_ms=1234)
    try:
        with db.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 1234
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    finally:
        db.dispose()


def test_in_memory_sqlite_shares_one_database_across_sessions() -> None:
    db = Database("sqlite://")
    try:
        with db.connect() as connection:
            connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
            connection.exec_driver_sql("INSERT INTO t VALUES (1)")
            connection.commit()
        with db.session() as session:
            assert session.execute(text("SELECT x FROM t")).scalar_one() == 1
    finally:
        db.dispose()


@pytest.mark.backends("postgresql")
def test_postgresql_sessions_carry_timeouts_and_application_name(
    backend: str, db: Database
) -> None:
    configured = Database(
        db.engine.url.render_as_string(hide_password=False),
        application_name="svc-test",
        statement_timeout_ms=1500,
        lock_timeout_ms=700,
    )
    try:
        with configured.connect() as connection:
            assert connection.exec_driver_sql("SHOW application_name").scalar() == "svc-test"
            assert connection.exec_driver_sql("SHOW statement_timeout").scalar() == "1500ms"
            assert connection.exec_driver_sql("SHOW lock_timeout").scalar() == "700ms"
    finally:
        configured.dispose()


@pytest.mark.backends("mysql")
def test_mysql_sessions_are_strict_utf8mb4_and_utc(backend: str, db: Database) -> None:
    with db.connect() as connection:
        mode = connection.exec_driver_sql("SELECT @@SESSION.sql_mode").scalar()
        assert "STRICT_ALL_TABLES" in str(mode)
        assert connection.exec_driver_sql("SELECT @@SESSION.time_zone").scalar() == "+00:00"
        charset = connection.exec_driver_sql("SELECT @@character_set_client").scalar()
        assert charset == "utf8mb4"


@pytest.mark.commits  # no rolled-back test connection held, so the pool is idle
def test_health_reports_latency_and_pool_state(backend: str, db: Database) -> None:
    health = db.health()
    assert health.ok
    assert health.latency_ms is not None and health.latency_ms >= 0
    assert health.pool.checked_out == 0


@pytest.mark.anyio
async def test_async_health_reports_latency(backend: str, adb: AsyncDatabase) -> None:
    health = await adb.health()
    assert health.ok and health.backend in ("sqlite", "postgresql", "mysql")


def test_pool_exhaustion_fails_fast_with_database_unavailable(backend: str, db: Database) -> None:
    small = Database(
        db.engine.url.render_as_string(hide_password=False),
        pool_size=1,
        max_overflow=0,
        pool_timeout=0.2,
    )
    try:
        with small.connect(), pytest.raises(DatabaseUnavailable) as caught, small.connect():
            pass
        assert isinstance(caught.value.__cause__, exc.TimeoutError)
        assert small.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    finally:
        small.dispose()
