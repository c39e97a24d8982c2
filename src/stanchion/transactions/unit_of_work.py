"""`UnitOfWork`: one transaction with its session and repositories, committed only on success.

``with db.transaction() as tx:`` begins (at the isolation level and access mode asked for),
commits when the block ends normally and rolls back on any exception. After a commit the
``tx.on_commit`` callbacks run once. ``tx.savepoint()`` nests a part that can fail alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, overload

from stanchion.errors import DatabaseUnavailable
from stanchion.repository import Repository
from stanchion.transactions._core import TransactionState, UnitOfWorkCore, on_replica
from stanchion.transactions.hooks import run_callbacks

if TYPE_CHECKING:
    from stanchion.engine.session import StanchionSession
    from stanchion.transactions.source import SessionSource

M = TypeVar("M")
R = TypeVar("R", bound=Repository[Any])


class UnitOfWork(UnitOfWorkCore):
    """A transaction on a `Database`: ``tx.session``, ``tx.repository(...)``, ``tx.on_commit``."""

    session: StanchionSession

    database: SessionSource

    def __init__(
        self,
        database: SessionSource,
        *,
        isolation_level: str | None = None,
        read_only: bool = False,
        attempt: int = 1,
    ) -> None:
        super().__init__(
            database, isolation_level=isolation_level, read_only=read_only, attempt=attempt
        )

    def __enter__(self) -> UnitOfWork:
        self._open()
        try:
            self.session = self._begin(retry_elsewhere=True)
        except BaseException as error:
            self.state = TransactionState.ROLLED_BACK
            self.error = error
            self._forget()
            raise
        return self

    def _begin(self, *, retry_elsewhere: bool) -> StanchionSession:
        session = self.database.unit_session(read_only=self.read_only)
        try:
            # Check out the connection and begin now: a full pool fails here, and SQLite
            # takes its write lock (BEGIN IMMEDIATE) before any read.
            session.connection(execution_options=self._begin_options(session))
        except DatabaseUnavailable:
            session.close()
            if retry_elsewhere and on_replica(session):  # it left rotation: route again
                return self._begin(retry_elsewhere=False)
            raise
        except BaseException:
            session.close()
            raise
        return session

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if exc is None:
                self._commit_session(self.session)
            else:
                self.error = exc
                self._rollback_session(self.session)
        finally:
            try:
                self.session.close()
            finally:
                self._forget()
        if self.state is TransactionState.COMMITTED:
            callbacks = self._hooks.take()
            if callbacks:
                run_callbacks(callbacks)
            if not self.read_only:
                self.commit_token = self.database.unit_committed()

    @overload
    def repository(self, target: type[R]) -> R: ...
    @overload
    def repository(self, target: type[M]) -> Repository[M]: ...
    def repository(self, target: type[Any]) -> Any:
        """A repository on this transaction's session: for a model, or your subclass."""
        self._require_active()
        repository = self._repositories.get(target)
        if repository is None:
            if isinstance(target, type) and issubclass(target, Repository):
                repository = target(self.session)
            else:
                repository = Repository(self.session, target)
            self._repositories[target] = repository
        return repository

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A nested part (SAVEPOINT): on an exception only this part rolls back, then re-raises."""
        self._require_active()
        mark = self._hooks.mark()
        try:
            with self.session.begin_nested():
                yield
        except BaseException:
            self._hooks.discard_from(mark)  # hooks of a rolled-back part never run
            raise
