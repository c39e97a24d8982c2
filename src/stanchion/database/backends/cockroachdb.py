"""CockroachDB: PostgreSQL's wire protocol and SQLSTATEs, plus its "result is ambiguous" code.

Its restart errors arrive as SQLSTATE 40001 (retryable, like PostgreSQL's); 40003 means the
commit may or may not have happened, so it must never be retried blindly.
"""

from __future__ import annotations

from stanchion import errors
from stanchion.database.backends.base import ErrorInfo
from stanchion.database.backends.postgresql import PostgreSQLBackend, sqlstate


class CockroachDBBackend(PostgreSQLBackend):
    name = "cockroachdb"

    def classify(self, orig: BaseException) -> ErrorInfo | None:
        if sqlstate(orig) == "40003":  # statement_completion_unknown
            return ErrorInfo(errors.CommitOutcomeUnknown)
        return super().classify(orig)
