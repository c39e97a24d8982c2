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

from stanchion.engine.replicas import ON_REPLICA
from stanchion.errors import CommitOutcomeUnknown, DatabaseUnavailable, TransactionError
from stanchion.transactions import active
from stanchion.transactions.hooks import Callback, CommitHooks

if TYPE_CHECKING:
    from stanchion.engine.backends import Backend
    from stanchion.engine.causality import CausalityToken
    from stanchion.transactions.source import AsyncSessionSource, SessionSource

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
        database: SessionSource | AsyncSessionSource,
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
        #: What ended the transaction (None while open or once committed), for observers.
        self.error: BaseException | None = None
        #: Set by `run`: it reports a failed attempt itself, once it knows whether it retries.
        self.report_failure_later = False
        #: A `TransactionObserver` (stanchion.transactions.observer) when observability is on.
        self._observer: Any = getattr(database, "observer", None)
        self._observation: Any = None
        #: After a committed write on a database with replicas: the primary's position, which
        #: later reads wait for (it is also recorded in the caller's context). Else None.
        self.commit_token: CausalityToken | None = None

    @property
    def backend(self) -> Backend:
        """The backend profile of the database this transaction runs on."""
        return self.database.backend

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
        if self._observer is not None:
            try:
                self._observation = self._observer.unit_started(self)
            except Exception:  # telemetry must never break the transaction it watches
                logger.exception("the transaction observer failed; it is ignored for this unit")
                self._observer = None

    def _forget(self) -> None:
        if self._token is not None:
            active.leave(self._token, self.database)
            self._token = None
            if self._observer is not None and not (self.error and self.report_failure_later):
                self._report(None)

    def _report(self, retry_in: float | None) -> None:
        """Tell the observer how this unit ended (once); `retry_in`: seconds to the re-run."""
        observer, self._observer = self._observer, None
        if observer is not None and self.state is not TransactionState.NEW:  # it had started
            try:
                observer.unit_ended(self, self._observation, self.error, retry_in)
            except Exception:  # telemetry must never hide the transaction's own outcome
                logger.exception("the transaction observer failed")

    # ----- ending the transaction, on the sync Session (async runs these through run_sync) -----

    def _commit_session(self, session: Session) -> None:
        """Flush, then COMMIT; on failure roll back and raise the typed error."""
        try:
            session.flush()  # a failure here is certain: nothing was committed
        except BaseException as error:
            self.error = error
            self._rollback_session(session)
            raise
        self.state = TransactionState.COMMITTING
        try:
            session.commit()
        except BaseException as error:
            self._rollback_session(session)
            translated = commit_failure(error)
            self.error = translated or error
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

    def _begin_options(self, session: Session) -> dict[str, Any]:
        """Execution options that begin this transaction with its isolation and access mode.

        A session bound to a connection already in a transaction (a test's outer transaction)
        joins it: that transaction's isolation and mode apply, as they can no longer change.
        On a replica every connection is read-only already (a per-transaction flag would be
        reset to read-write on return to the pool, which a standby refuses)."""
        bind = session.get_bind()
        if isinstance(bind, Connection) and bind.in_transaction():
            return {}
        backend = self.database.backend
        read_only = self.read_only and not on_replica(session)
        key = (backend, self.isolation_level, read_only)
        options = _BEGIN_OPTIONS.get(key)
        if options is None:
            options = _BEGIN_OPTIONS[key] = backend.transaction_options(
                isolation_level=self.isolation_level, read_only=read_only
            )
        return options


#: Begin options by (backend profile, isolation level, read-only): asked once, not per begin.
_BEGIN_OPTIONS: dict[tuple[object, str | None, bool], dict[str, Any]] = {}


def on_replica(session: Session) -> bool:
    """Whether `session` was routed to a read replica."""
    return session.info.get(ON_REPLICA) is not None


def commit_failure(error: BaseException) -> BaseException | None:
    """What to raise instead of `error`, raised while committing; None keeps `error`.

    A connection lost once COMMIT may have been sent leaves the outcome unknown: that must
    reach the caller as its own error, never as something a retry loop would re-run. (A stale
    version found by the final flush is already `StaleData`: the session converts it.)"""
    if isinstance(error, DatabaseUnavailable) or (
        isinstance(error, DBAPIError) and error.connection_invalidated
    ):
        return CommitOutcomeUnknown(
            "the connection was lost while committing: the transaction may or may not be "
            "saved; check (for example by an idempotency key) before doing it again"
        )
    return None
