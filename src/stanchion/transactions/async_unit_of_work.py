"""`AsyncUnitOfWork`: the asyncio twin of `UnitOfWork`, sharing its state and error rules.

Ending the transaction (commit or rollback, then returning the connection) runs to completion
even when the task is cancelled; the cancellation is re-raised afterwards.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, overload

from stanchion.repository import AsyncRepository, Repository
from stanchion.transactions._core import TransactionState, UnitOfWorkCore
from stanchion.transactions.cancellation import run_to_completion
from stanchion.transactions.hooks import run_callbacks_async

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from stanchion.database.database import AsyncDatabase

M = TypeVar("M")


class AsyncUnitOfWork(UnitOfWorkCore):
    """A transaction on an `AsyncDatabase`: ``tx.session`` is an `AsyncSession`."""

    session: AsyncSession

    def __init__(
        self,
        database: AsyncDatabase,
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
        session = self.database.session()
        try:
            bind = session.sync_session.get_bind()
            await session.connection(execution_options=self._begin_options(bind))
        except BaseException:
            await run_to_completion(session.close())
            self.state = TransactionState.ROLLED_BACK
            self._forget()
            raise
        self.session = session
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        finished, cancelled = await run_to_completion(self._finish(commit=exc is None))
        self._forget()
        if self.state is TransactionState.COMMITTED:
            callbacks = self._hooks.take()
            if callbacks and cancelled is not None:
                await run_to_completion(run_callbacks_async(callbacks))
            elif callbacks:
                await run_callbacks_async(callbacks)
        if cancelled is not None:
            raise cancelled
        error = finished.exception()
        if error is not None:
            raise error

    @overload
    def repository(self, target: type[Repository[M]]) -> AsyncRepository[M]: ...
    @overload
    def repository(self, target: type[M]) -> AsyncRepository[M]: ...
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
        except BaseException as error:
            translated = self._savepoint_failed(mark, error)
            if translated is not None:
                raise translated from error
            raise

    async def _finish(self, *, commit: bool) -> None:
        """Commit or roll back, then return the connection (shielded by the caller)."""
        try:
            end = self._commit_session if commit else self._rollback_session
            await self.session.run_sync(end)
        finally:
            await self.session.close()
