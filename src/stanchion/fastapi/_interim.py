"""Interim unit of work, used only while `AsyncDatabase.transaction` is not yet available.

Same shape as the real one (``session``, ``repository``, ``on_commit``); deleted once it lands.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from stanchion.database import AsyncDatabase
from stanchion.repository import AsyncRepository


class InterimTransaction:
    """A session in one transaction, its repositories and its after-commit callbacks."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._callbacks: list[Callable[[], Any]] = []

    def repository(self, model: type[Any]) -> AsyncRepository[Any]:
        return AsyncRepository(self.session, model=model)

    def on_commit(self, callback: Callable[[], Any]) -> None:
        self._callbacks.append(callback)

    async def _fire(self) -> None:
        for callback in self._callbacks:
            result = callback()
            if isinstance(result, Awaitable):
                await result


@asynccontextmanager
async def interim_transaction(db: AsyncDatabase) -> AsyncIterator[InterimTransaction]:
    async with db.session() as session:
        tx = InterimTransaction(session)
        async with session.begin():
            yield tx
        await tx._fire()
