"""`AsyncUnitOfWork`: the asyncio twin of `UnitOfWork`, sharing its state and error rules.

Ending the transaction (commit or rollback, then returning the connection) runs to completion
even when the task is cancelled; the cancellation is re-raised afterwards.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, overload

from stanchion.errors import DatabaseUnavailable
from stanchion.repository import AsyncRepository, Repository
from stanchion.transactions._core import TransactionState, UnitOfWorkCore, on_replica
from stanchion.transactions.cancellation import run_to_completion
from stanchion.transactions.hooks import async_run_callbacks

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from stanchion.transactions.source import AsyncSessionSource


M = TypeVar("M")
R = TypeVar("R", bound=Repository[Any])


class AsyncUnitOfWork(UnitOfWorkCore):
    """A transaction on an `AsyncDatabase`: ``tx.session`` is an `AsyncSession`."""

    session: AsyncSession

    database: AsyncSessionSource

    def __init__(
        self,
        database: AsyncSessionSource,
        *,
        isolation_level: str | None = None,
        read_only: bool = False,
        attempt: int = 1,
    ) -> None:
        super().__init__(
            database,
            isolation_level=isolation_level,
            read_only=read_only,
            attempt=attempt,
            allow_async_hooks=True,
        )

    async def __aenter__(self) -> AsyncUnitOfWork:
        self._open()
        try:
            self.session = await self._begin(retry_elsewhere=True)
        except BaseException as error:
            self.state = TransactionState.ROLLED_BACK
            self.error = error
            self._forget()
            raise
        return self

    async def _begin(self, *, retry_elsewhere: bool) -> AsyncSession:
        session = await self.database.unit_session(read_only=self.read_only)
        try:
            await session.connection(execution_options=self._begin_options(session.sync_session))
        except DatabaseUnavailable:
            await run_to_completion(session.close())
            if retry_elsewhere and on_replica(session.sync_session):  # left rotation: again
                return await self._begin(retry_elsewhere=False)
            raise
        except BaseException:
            await run_to_completion(session.close())
            raise
        return session

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc is not None:
            self.error = exc
        finished, cancelled = await run_to_completion(self._finish(commit=exc is None))
        if cancelled is not None and self.error is None:
            self.error = cancelled
        self._forget()
        if self.state is TransactionState.COMMITTED:
            callbacks = self._hooks.take()
            if callbacks and cancelled is not None:
                await run_to_completion(async_run_callbacks(callbacks))
            elif callbacks:
                await async_run_callbacks(callbacks)
            # Last, so a cancellation while it is read cannot keep the hooks from running.
            if not self.read_only and cancelled is None:
                self.commit_token = await self.database.unit_committed()
        if cancelled is not None:
            raise cancelled
        error = finished.exception()
        if error is not None:
            raise error

    @overload
    def repository(self, target: type[R]) -> AsyncRepository[R]: ...
    @overload
    def repository(self, target: type[M]) -> AsyncRepository[Repository[M]]: ...
    def repository(self, target: type[Any]) -> AsyncRepository[Any]:
        """An async repository on this session; for your subclass, call its own methods
        with ``await repo.run(PostRepository.by_slug, ...)``."""
        self._require_active()
        repository = self._repositories.get(target)
        if repository is None:
            if isinstance(target, type) and issubclass(target, Repository):
                repository = AsyncRepository(self.session, target)
            else:
                repository = AsyncRepository(self.session, model=target)
            self._repositories[target] = repository
        return repository

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """A nested part (SAVEPOINT): on an exception only this part rolls back, then re-raises."""
        self._require_active()
        mark = self._hooks.mark()
        try:
            async with self.session.begin_nested():
                yield
        except BaseException:
            self._hooks.discard_from(mark)  # hooks of a rolled-back part never run
            raise

    async def _finish(self, *, commit: bool) -> None:
        """Commit or roll back, then return the connection (shielded by the caller)."""
        try:
            end = self._commit_session if commit else self._rollback_session
            await self.session.run_sync(end)
        finally:
            await self.session.close()
