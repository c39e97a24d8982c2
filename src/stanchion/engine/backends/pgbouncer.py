"""PostgreSQL through PgBouncer in transaction mode: what changes when ``pooler="pgbouncer"``.

Each transaction may run on another server connection, shared with other clients, so nothing
may outlive the transaction: no server-side prepared statements (psycopg never prepares,
asyncpg keeps no statement caches), every setting stanchion applies is set per transaction
(``set_config(..., true)``, the form of ``SET LOCAL``), and session features are refused.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine

from stanchion.engine.backends.base import sql_literal_ms
from stanchion.engine.backends.options import TRANSACTION_SETUP
from stanchion.engine.settings import DatabaseSettings
from stanchion.errors import UnsupportedByPooler

PGBOUNCER = "pgbouncer"

#: Settings made per transaction (they would leak to other clients as session settings).
TRANSACTION_SETTINGS = ("statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout")

#: Statements whose effect outlives the transaction, each with what to do instead.
_SESSION_FEATURES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"^\s*(UN)?LISTEN\b", re.IGNORECASE),
        "LISTEN needs its own session: open it on the direct URL (NOTIFY works as is)",
    ),
    (
        re.compile(r"\bpg_(try_)?advisory_(un)?lock(_shared|_all)?\s*\(", re.IGNORECASE),
        "session advisory locks outlive the transaction: use pg_advisory_xact_lock, "
        "or the direct URL",
    ),
    (
        re.compile(r"\bDECLARE\b.*\bWITH\s+HOLD\b", re.IGNORECASE | re.DOTALL),
        "a cursor held across transactions (WITH HOLD) needs its own session: use the "
        "direct URL, or read inside one transaction",
    ),
    (
        re.compile(r"^\s*(PREPARE|DEALLOCATE)\b", re.IGNORECASE),
        "prepared statements live in one server session: run the statement itself, or use "
        "the direct URL",
    ),
    (
        re.compile(
            r"^\s*(SET(?!\s+(LOCAL|TRANSACTION|CONSTRAINTS)\b)|RESET)\b|"
            r"^\s*SET\s+SESSION\s+CHARACTERISTICS\b",
            re.IGNORECASE,
        ),
        "a session SET leaks to the pooler's other clients: use SET LOCAL (this transaction)",
    ),
)


def refusal(statement: str) -> str | None:
    """Why `statement` cannot work through a transaction-mode pooler, or None when it can."""
    for pattern, reason in _SESSION_FEATURES:
        if pattern.search(statement):
            return reason
    return None


def connect_args(driver: str, settings: DatabaseSettings, args: dict[str, Any]) -> dict[str, Any]:
    """`args` (the direct form) changed for a pooler: no server-side prepared statements, and
    only the startup parameters PgBouncer keeps per client (application_name)."""
    if driver == "asyncpg":
        # Both caches off and no custom statement names: asyncpg's unnamed statements then
        # never outlive the protocol exchange (a uuid-named recipe still fails: docs).
        return {
            "server_settings": {"application_name": settings.application_name},
            "timeout": args["timeout"],
            "statement_cache_size": 0,
            "prepared_statement_cache_size": 0,
        }
    # PgBouncer rejects the ``options`` startup parameter; psycopg must never prepare.
    kept = {key: value for key, value in args.items() if key != "options"}
    return {**kept, "prepare_threshold": None}


def transaction_settings(settings: DatabaseSettings) -> dict[str, str]:
    """The server settings to make at the start of each transaction (name: literal)."""
    found: dict[str, str] = {}
    for key in TRANSACTION_SETTINGS:
        value = getattr(settings, f"{key}_ms")
        if value is not None:
            found[key] = sql_literal_ms(value)
    return found


def install(engine: Engine, settings: DatabaseSettings) -> None:
    """Set the timeouts at each BEGIN, per transaction, and refuse session features."""
    local = transaction_settings(settings)
    if local:
        calls = ", ".join(f"set_config('{key}', :{key}, true)" for key in local)
        statement = text(f"SELECT {calls}")

        @event.listens_for(engine, "begin")
        def _settings(connection: Connection) -> None:
            # The first statement of the transaction: it begins it (implicit BEGIN) at the
            # isolation level and access mode already chosen on the connection.
            connection.execute(statement, local, execution_options={TRANSACTION_SETUP: True})

    @event.listens_for(engine, "before_cursor_execute")
    def _refuse(
        _connection: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool
    ) -> None:
        reason = refusal(statement)
        if reason is not None:
            raise UnsupportedByPooler(f"not through a transaction-mode pooler: {reason}")
