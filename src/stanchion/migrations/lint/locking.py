"""Lock rules: DDL that may wait for a lock forever while every query queues behind it."""

from __future__ import annotations

from stanchion.migrations.lint.findings import Rule
from stanchion.migrations.lint.statements import Statement

_DDL = r"^(ALTER|DROP|CREATE (UNIQUE )?INDEX|RENAME|TRUNCATE|LOCK|COMMENT ON)\b"


def _ddl_without_timeout(statement: Statement) -> bool:
    return statement.on_existing_table and statement.has(_DDL) and not statement.lock_timeout


MISSING_LOCK_TIMEOUT = Rule(
    id="missing-lock-timeout",
    title="DDL without a lock timeout",
    checks={"postgresql": _ddl_without_timeout, "mysql": _ddl_without_timeout},
    why={
        "postgresql": "DDL waiting for its lock (behind one long query) makes every later query "
        "on the table wait too: an outage until the long query ends",
        "mysql": "DDL waiting for the metadata lock blocks every later query on the table; "
        "lock_wait_timeout defaults to a year",
    },
    safe={
        "postgresql": "keep lock_timeout_ms in [tool.stanchion] (stanchion's env.py sets it), "
        "or SET lock_timeout before the DDL; retry the migration when it times out",
        "mysql": "keep lock_timeout_ms in [tool.stanchion] (stanchion's env.py sets "
        "lock_wait_timeout), or SET SESSION lock_wait_timeout before the DDL",
    },
)

RULES = (MISSING_LOCK_TIMEOUT,)
