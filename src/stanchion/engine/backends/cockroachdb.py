"""CockroachDB: PostgreSQL's wire protocol and SQLSTATEs, plus its "result is ambiguous" code.

Its restart errors arrive as SQLSTATE 40001 (retryable, like PostgreSQL's); 40003 means the
commit may or may not have happened, so it must never be retried blindly.
"""

from __future__ import annotations

from typing import ClassVar

from stanchion import errors
from stanchion.engine.backends.errors import ErrorInfo, Errors
from stanchion.engine.backends.postgresql import PostgreSQLBackend, PostgreSQLErrors, sqlstate
from stanchion.engine.backends.replication import Replication


class CockroachDBErrors(PostgreSQLErrors):
    """PostgreSQL's SQLSTATEs plus 40003, "result is ambiguous"."""

    def classify(self, orig: BaseException) -> ErrorInfo | None:
        if sqlstate(orig) == "40003":  # statement_completion_unknown
            return ErrorInfo(errors.CommitOutcomeUnknown)
        return super().classify(orig)


class CockroachDBBackend(PostgreSQLBackend):
    name = "cockroachdb"
    errors: ClassVar[Errors] = CockroachDBErrors()
    # No WAL LSNs: its replicas are ranges inside one cluster (follower reads), not standbys.
    replication: ClassVar[Replication] = Replication()

    def explain(self, statement: str) -> str | None:
        return f"EXPLAIN {statement}"  # no FORMAT JSON: the plan comes as rows of text
