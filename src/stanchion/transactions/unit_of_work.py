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

from stanchion.repository import Repository
from stanchion.transactions._core import TransactionState, UnitOfWorkCore
from stanchion.transactions.hooks import run_callbacks

if TYPE_CHECKING:
    from stanchion.database._session import StanchionSession
    from stanchion.database.database import Database

M = TypeVar("M")
R = TypeVar("R", bound=Repository[Any])


class UnitOfWork(UnitOfWorkCore):
    """A transaction on a `Database`: ``tx.session``, ``tx.repository(...)``, ``tx.on_commit``."""

    session: StanchionSession

    def __init__(
        self,
        database: Database,
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
        session = self.database.session()
        try:
            # Check out the connection and begin now: a full pool fails here, and SQLite
            # takes its write lock (BEGIN IMMEDIATE) before any read.
            session.connection(execution_options=self._begin_options(session.get_bind()))
        except BaseException:
            session.close()
            self.state = TransactionState.ROLLED_BACK
            self._forget()
            raise
        self.session = session
        return self

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
                self._rollback_session(self.session)
        finally:
            try:
                self.session.close()
            finally:
                self._forget()
        if self.state is TransactionState.COMMITTED:
            run_callbacks(self._hooks.take())

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
        except BaseException as error:
            translated = self._savepoint_failed(mark, error)
            if translated is not None:
                raise translated from error
            raise
