"""Server-side helpers for fault tests: who am I, and kill that connection from outside."""

from __future__ import annotations

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from tests.conftest import backend_url


def connection_id(session: Session, backend: str) -> int:
    """The server's id for the connection `session` uses (its backend pid on PostgreSQL)."""
    query = "SELECT pg_backend_pid()" if backend == "postgresql" else "SELECT CONNECTION_ID()"
    return int(session.execute(text(query)).scalar_one())


def kill(backend: str, ident: int) -> None:
    """Terminate a server connection from another one, waiting until it is gone."""
    engine = create_engine(backend_url(backend), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as admin:
            if backend == "postgresql":
                stopped = admin.execute(
                    text("SELECT pg_terminate_backend(:pid, 10000)"), {"pid": ident}
                ).scalar_one()
                assert stopped, "the backend did not terminate in time"
            else:
                admin.exec_driver_sql(f"KILL CONNECTION {int(ident)}")
    finally:
        engine.dispose()


def open_transactions(backend: str) -> int:
    """Server connections of this test database left inside a transaction."""
    engine = create_engine(backend_url(backend), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as admin:
            if backend == "postgresql":
                query = (
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()"
                )
            else:
                query = (
                    "SELECT count(*) FROM information_schema.innodb_trx t "
                    "JOIN information_schema.processlist p ON p.id = t.trx_mysql_thread_id "
                    "WHERE p.db = DATABASE()"
                )
            return int(admin.execute(text(query)).scalar_one())
    finally:
        engine.dispose()
