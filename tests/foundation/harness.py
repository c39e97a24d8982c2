"""One test body for sync and async: sessions whose repositories are always awaited.

`Sides` opens sessions on the test's `Database` (sync) or `AsyncDatabase` (async); a sync
repository's methods are wrapped into coroutines, an async one is the real `AsyncRepository`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from stanchion import AsyncDatabase, AsyncRepository, Database, Repository


class _AwaitedRepository:
    """A sync `Repository` whose methods return coroutines, to match `AsyncRepository`."""

    def __init__(self, sync: Repository[Any]) -> None:
        self.sync = sync

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.sync, name)
        if not callable(attribute):
            return attribute

        async def call(*args: Any, **kwargs: Any) -> Any:
            return attribute(*args, **kwargs)

        return call


class Side:
    """One session, sync or async, seen through awaitable calls."""

    def __init__(self, session: Session | AsyncSession) -> None:
        self.session = session
        self.is_async = isinstance(session, AsyncSession)

    @property
    def sync_session(self) -> Session:
        session = self.session
        return session.sync_session if isinstance(session, AsyncSession) else session

    def repo(self, target: type[Any]) -> Any:
        """A repository for a model or a `Repository` subclass."""
        is_repository = isinstance(target, type) and issubclass(target, Repository)
        if isinstance(self.session, AsyncSession):
            if is_repository:
                return AsyncRepository(self.session, target)
            return AsyncRepository(self.session, model=target)
        sync = target(self.session) if is_repository else Repository(self.session, target)
        return _AwaitedRepository(sync)

    async def run(self, fn: Callable[[Session], Any]) -> Any:
        """Run `fn` with the sync session (through ``run_sync`` when async)."""
        if isinstance(self.session, AsyncSession):
            return await self.session.run_sync(fn)
        return fn(self.session)

    async def commit(self) -> None:
        await self._call("commit")

    async def rollback(self) -> None:
        await self._call("rollback")

    async def close(self) -> None:
        await self._call("close")

    async def _call(self, name: str) -> None:
        result = getattr(self.session, name)()
        if self.is_async:
            await result


class Sides:
    """Opens sessions on one database, sync or async, and closes them all at the end."""

    def __init__(self, database: Database | AsyncDatabase) -> None:
        self.database = database
        self.is_async = isinstance(database, AsyncDatabase)
        self.opened: list[Side] = []

    @property
    def backend(self) -> str:
        return self.database.backend.name

    @property
    def sync_engine(self) -> Engine:
        engine = self.database.engine
        return engine if isinstance(engine, Engine) else engine.sync_engine

    def open(self, **options: Any) -> Side:
        side = Side(self.database.session(**options))
        self.opened.append(side)
        return side

    async def close_all(self) -> None:
        for side in self.opened:
            await side.close()


def writes(statements: list[str]) -> list[str]:
    """The INSERT / UPDATE / DELETE / SELECT ... FOR UPDATE statements among `statements`."""
    verbs = ("INSERT", "UPDATE", "DELETE")
    return [s for s in statements if s.lstrip().upper().startswith(verbs)]
