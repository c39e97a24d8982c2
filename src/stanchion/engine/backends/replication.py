"""The replication facet: how a backend reports, compares and waits for replication positions.

PostgreSQL positions are WAL LSNs (``pg_current_wal_lsn()`` on the primary,
``pg_last_wal_replay_lsn()`` on a standby); MariaDB positions are GTID lists
(``@@gtid_binlog_pos``, waited for with ``MASTER_GTID_WAIT``). Lag is a distance between
positions, never a timestamp: a replay timestamp reports "lag" on an idle, caught-up standby.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy import event
from sqlalchemy.engine import Engine

from stanchion.engine.backends.options import READ_ONLY


@dataclass(frozen=True, slots=True)
class WaitStatement:
    """One statement of a wait for a position; `polls` when it must be repeated until true."""

    sql: str
    params: dict[str, Any]
    polls: bool


class Replication:
    """No replication support: a database with replicas configured refuses to start."""

    supported: ClassVar[bool] = False
    #: The token kind, so a token from another kind of database is ignored, not misread.
    kind: ClassVar[str] = ""
    #: Lag (in `lag` units) beyond which a replica leaves rotation when settings give none.
    default_max_lag: ClassVar[int] = 0
    lag_unit: ClassVar[str] = ""
    primary_position_sql: ClassVar[str] = ""
    replica_position_sql: ClassVar[str] = ""
    #: Run on each new replica connection: makes every transaction there read-only.
    replica_session_sql: ClassVar[str] = ""

    def lag(self, primary: str, replica: str) -> int:
        """How far `replica` is behind `primary`, in `lag_unit`."""
        raise NotImplementedError

    def newer(self, first: str, second: str) -> str:
        """The position that covers both (the later LSN, the per-domain maximum GTID)."""
        raise NotImplementedError

    def valid(self, position: str) -> bool:
        """Whether `position` is well-formed (tokens come from clients)."""
        return False

    def wait_statement(self, position: str, timeout_s: float) -> WaitStatement:
        """The statement that waits for (or checks) replay of `position` on a replica."""
        raise NotImplementedError

    def reached(self, result: Any) -> bool:
        """Whether the wait statement's scalar result means the position was replayed."""
        return bool(result)

    def install_replica(self, engine: Engine) -> None:
        """Open every connection of a replica engine read-only from the start.

        A per-transaction flag is not enough: SQLAlchemy resets psycopg's ``read_only`` to
        False when a connection returns to the pool, and ``BEGIN READ WRITE`` fails on a standby.
        """
        statement = self.replica_session_sql
        # A replica refuses writes by design: its read-only errors are the caller's own write,
        # never a demoted primary (`PrimaryLost` would drop the pool and re-run the work).
        engine.update_execution_options(**{READ_ONLY: True})

        @event.listens_for(engine, "connect")
        def _read_only(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute(statement)
            finally:
                cursor.close()
            dbapi_connection.commit()


def _lsn(position: str) -> int:
    high, _, low = position.partition("/")
    return (int(high, 16) << 32) + int(low, 16)


class PostgreSQLReplication(Replication):
    """Streaming replication: WAL LSNs, compared on the standby by polling its replay LSN."""

    supported: ClassVar[bool] = True
    kind: ClassVar[str] = "pg"
    default_max_lag: ClassVar[int] = 16 * 1024 * 1024
    lag_unit: ClassVar[str] = "bytes"
    # The insert position: with synchronous_commit=off a commit is inserted but may not be
    # written yet, so the write position (pg_current_wal_lsn) can stand before it.
    primary_position_sql: ClassVar[str] = "SELECT CAST(pg_current_wal_insert_lsn() AS text)"
    # A standby's replayed position; on a primary (a promoted standby) its own WAL position.
    replica_position_sql: ClassVar[str] = (
        "SELECT CAST(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()"
        " ELSE pg_current_wal_insert_lsn() END AS text)"
    )
    replica_session_sql: ClassVar[str] = "SET SESSION default_transaction_read_only = on"

    def lag(self, primary: str, replica: str) -> int:
        return max(0, _lsn(primary) - _lsn(replica))

    def newer(self, first: str, second: str) -> str:
        return first if _lsn(first) >= _lsn(second) else second

    def valid(self, position: str) -> bool:
        high, slash, low = position.partition("/")
        if not slash or not 0 < len(high) <= 8 or not 0 < len(low) <= 8:
            return False
        try:
            _lsn(position)
        except ValueError:
            return False
        return True

    def wait_statement(self, position: str, timeout_s: float) -> WaitStatement:
        # asyncpg sends the parameter typed as text only through the inner CAST.
        return WaitStatement(
            "SELECT COALESCE(pg_last_wal_replay_lsn() >= CAST(CAST(:position AS text) AS pg_lsn),"
            " NOT pg_is_in_recovery())",
            {"position": position},
            polls=True,
        )


def _gtids(position: str) -> dict[int, tuple[int, int]]:
    """``"0-1-42,1-3-7"`` as {domain: (server, sequence)}."""
    found: dict[int, tuple[int, int]] = {}
    for part in position.split(","):
        part = part.strip()
        if part:
            domain, server, sequence = (int(n) for n in part.split("-"))
            found[domain] = (server, sequence)
    return found


def _gtid_text(gtids: dict[int, tuple[int, int]]) -> str:
    return ",".join(f"{d}-{s}-{n}" for d, (s, n) in sorted(gtids.items()))


class MariaDBReplication(Replication):
    """GTID replication: positions are GTID lists, waited for with ``MASTER_GTID_WAIT``."""

    supported: ClassVar[bool] = True
    kind: ClassVar[str] = "gtid"
    default_max_lag: ClassVar[int] = 1000
    lag_unit: ClassVar[str] = "transactions"
    primary_position_sql: ClassVar[str] = "SELECT @@GLOBAL.gtid_binlog_pos"
    replica_position_sql: ClassVar[str] = "SELECT @@GLOBAL.gtid_slave_pos"
    replica_session_sql: ClassVar[str] = "SET SESSION TRANSACTION READ ONLY"

    def lag(self, primary: str, replica: str) -> int:
        applied = _gtids(replica)
        return sum(
            max(0, sequence - applied.get(domain, (0, 0))[1])
            for domain, (_, sequence) in _gtids(primary).items()
        )

    def newer(self, first: str, second: str) -> str:
        merged = _gtids(first)
        for domain, (server, sequence) in _gtids(second).items():
            if sequence > merged.get(domain, (0, 0))[1]:
                merged[domain] = (server, sequence)
        return _gtid_text(merged)

    def valid(self, position: str) -> bool:
        try:
            return bool(_gtids(position)) and len(position) <= 512
        except ValueError:
            return False

    def wait_statement(self, position: str, timeout_s: float) -> WaitStatement:
        # 0 when replayed, -1 on timeout; the server waits, no polling.
        return WaitStatement(
            "SELECT MASTER_GTID_WAIT(:position, :timeout)",
            {"position": position, "timeout": timeout_s},
            polls=False,
        )

    def reached(self, result: Any) -> bool:
        return result is not None and int(result) == 0
