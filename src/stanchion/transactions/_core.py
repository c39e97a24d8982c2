"""What the sync and async units of work share: options, state, hooks and error meanings.

Everything here is free of I/O; `UnitOfWork` and `AsyncUnitOfWork` only add the awaits.
"""

from __future__ import annotations

import enum
import logging
from contextvars import Token
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from stanchion.errors import CommitOutcomeUnknown, DatabaseUnavailable, StaleData, TransactionError
from stanchion.transactions import active
from stanchion.transactions.hooks import Callback, CommitHooks

if TYPE_CHECKING:
    from stanchion.database.backends import Backend

logger = logging.getLogger("stanchion.transactions")


class TransactionState(enum.Enum):
    """Where a unit of work is in its life."""

    NEW = "new"
    ACTIVE = "active"
    COMMITTING = "committing"
    COMMITTED = "committed"
    ROLLED_BACK = "rolled back"


class UnitOfWorkCore:
    """Options, state and after-commit hooks of one transaction; no I/O."""

    def __init__(
        self,
        database: Any,
        *,
        isolation_level: str | None = None,
        read_only: bool = False,
        attempt: int = 1,
        allow_async_hooks: bool = False,
    ) -> None:
        self.database = database
        self.isolation_level = isolation_level
        self.read_only = read_only
        #: 1 for the first run of a retried function, 2 for its first retry, and so on.
        self.attempt = attempt
        self.state = TransactionState.NEW
        self._hooks = CommitHooks(allow_async=allow_async_hooks)
        self._repositories: dict[type[Any], Any] = {}
        self._token: Token[tuple[object, ...]] | None = None

    @property
    def backend(self) -> Backend:
        """The backend profile of the database this transaction runs on."""
        backend: Backend = self.database.backend
        return backend

    def on_commit(self, callback: Callback) -> None:
        """Run `callback` once, after this transaction commits; never if it rolls back."""
        self._require_active()
        self._hooks.add(callback)

    def _require_active(self) -> None:
        if self.state is not TransactionState.ACTIVE:
            raise TransactionError(f"the transaction is {self.state.value}, not active")

    def _open(self) -> None:
        if self.state is not TransactionState.NEW:
            raise TransactionError("a unit of work can be entered only once")
        active.refuse_if_open(self.database, "transaction()")
        self._token = active.enter(self.database)
        self.state = TransactionState.ACTIVE

    def _forget(self) -> None:
        if self._token is not None:
            active.leave(self._token, self.database)
            self._token = None

    # ----- ending the transaction, on the sync Session (async runs these through run_sync) -----

    def _commit_session(self, session: Session) -> None:
        """Flush, then COMMIT; on failure roll back and raise the typed error."""
        try:
            session.flush()  # a failure here is certain: nothing was committed
        except StaleDataError as error:
            self._rollback_session(session)
            raise stale_data(error) from error
        except BaseException:
            self._rollback_session(session)
            raise
        self.state = TransactionState.COMMITTING
        try:
            session.commit()
        except BaseException as error:
            self._rollback_session(session)
            translated = commit_failure(error)
            if translated is not None:
                raise translated from error
            raise
        self.state = TransactionState.COMMITTED

    def _rollback_session(self, session: Session) -> None:
        self.state = TransactionState.ROLLED_BACK
        try:
            session.rollback()
        except Exception as error:  # the original error matters more; close() discards
            logger.debug("rollback failed (the connection is discarded): %s", type(error).__name__)

    def _savepoint_failed(self, mark: int, error: BaseException) -> BaseException | None:
        """Drop the hooks added inside a rolled-back savepoint; the typed error to raise, if any."""
        self._hooks.discard_from(mark)
        return stale_data(error) if isinstance(error, StaleDataError) else None

    def _begin_options(self, bind: object) -> dict[str, Any]:
        """Execution options that begin this transaction with its isolation and access mode.

        A session bound to a connection already in a transaction (a test's outer transaction)
        joins it: that transaction's isolation and mode apply, as they can no longer change."""
        if isinstance(bind, Connection) and bind.in_transaction():
            return {}
        return self.backend.transaction_options(
            isolation_level=self.isolation_level, read_only=self.read_only
        )


def stale_data(error: StaleDataError) -> StaleData:
    """The typed error for an optimistic-lock conflict found at flush or commit."""
    del error  # its message names SQL details we do not repeat
    return StaleData("a row was changed or deleted by another transaction since it was read")


def commit_failure(error: BaseException) -> BaseException | None:
    """What to raise instead of `error`, raised while committing; None keeps `error`.

    A connection lost once COMMIT may have been sent leaves the outcome unknown: that must
    reach the caller as its own error, never as something a retry loop would re-run."""
    if isinstance(error, StaleDataError):
        return stale_data(error)
    if isinstance(error, DatabaseUnavailable) or (
        isinstance(error, DBAPIError) and error.connection_invalidated
    ):
        return CommitOutcomeUnknown(
            "the connection was lost while committing: the transaction may or may not be "
            "saved; check (for example by an idempotency key) before doing it again"
        )
    return None
