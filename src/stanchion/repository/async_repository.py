"""`AsyncRepository[M]`: a `Repository` driven from an `AsyncSession`.

Every method runs the sync repository's method through ``AsyncSession.run_sync`` (one greenlet
switch per call), so there is one implementation of every query, never two.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.interfaces import ORMOption

from stanchion.database.backends import Backend
from stanchion.query.pagination import KeysetPage, OffsetPage
from stanchion.repository.repository import Repository

M = TypeVar("M")
P = ParamSpec("P")
T = TypeVar("T")


class AsyncRepository(Generic[M]):
    """``AsyncRepository(session, PostRepository)`` or ``AsyncRepository(session, model=Post)``.

    Your own queries, written once on the sync repository subclass, run with
    ``await repo.run(PostRepository.by_slug, "hello")``.
    """

    def __init__(
        self,
        session: AsyncSession,
        repository: type[Repository[M]] = Repository,
        *,
        model: type[M] | None = None,
    ) -> None:
        self.session = session
        self.sync: Repository[M] = repository(session.sync_session, model)

    @property
    def model(self) -> type[M]:
        return self.sync.model

    @property
    def backend(self) -> Backend:
        """The backend profile of the database this session is bound to."""
        return self.sync.backend

    def select(
        self,
        filters: Mapping[str, Any] | None = None,
        *,
        options: Sequence[ORMOption] = (),
        include_deleted: bool = False,
    ) -> Select[M]:
        """The sync repository's statement (pure, no I/O): run it with ``session.execute``."""
        return self.sync.select(filters, options=options, include_deleted=include_deleted)

    async def run(
        self, method: Callable[Concatenate[Any, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run a method of the sync repository (built-in or your own) on this session."""
        sync = self.sync
        return await self.session.run_sync(lambda _session: method(sync, *args, **kwargs))

    async def get(
        self, ident: Any, *, options: Sequence[ORMOption] = (), include_deleted: bool = False
    ) -> M | None:
        return await self.run(
            Repository.get, ident, options=options, include_deleted=include_deleted
        )

    async def get_one(
        self, ident: Any, *, options: Sequence[ORMOption] = (), include_deleted: bool = False
    ) -> M:
        return await self.run(
            Repository.get_one, ident, options=options, include_deleted=include_deleted
        )

    async def exists(self, filters: Mapping[str, Any] | None = None, /, **equals: Any) -> bool:
        return await self.run(Repository.exists, filters, **equals)

    async def count(self, filters: Mapping[str, Any] | None = None, /, **equals: Any) -> int:
        return await self.run(Repository.count, filters, **equals)

    async def list(
        self,
        filters: Mapping[str, Any] | None = None,
        *,
        sort: str | Sequence[str] | None = None,
        limit: int | None = None,
        offset: int = 0,
        options: Sequence[ORMOption] = (),
        include_deleted: bool = False,
    ) -> builtins.list[M]:
        return await self.run(
            Repository.list,
            filters,
            sort=sort,
            limit=limit,
            offset=offset,
            options=options,
            include_deleted=include_deleted,
        )

    async def page(
        self,
        filters: Mapping[str, Any] | None = None,
        *,
        sort: str | Sequence[str] | None = None,
        limit: int = 20,
        offset: int = 0,
        options: Sequence[ORMOption] = (),
        include_deleted: bool = False,
    ) -> OffsetPage[M]:
        return await self.run(
            Repository.page,
            filters,
            sort=sort,
            limit=limit,
            offset=offset,
            options=options,
            include_deleted=include_deleted,
        )

    async def keyset_page(
        self,
        filters: Mapping[str, Any] | None = None,
        *,
        sort: str | Sequence[str] | None = None,
        limit: int = 20,
        cursor: str | None = None,
        options: Sequence[ORMOption] = (),
        include_deleted: bool = False,
    ) -> KeysetPage[M]:
        return await self.run(
            Repository.keyset_page,
            filters,
            sort=sort,
            limit=limit,
            cursor=cursor,
            options=options,
            include_deleted=include_deleted,
        )

    async def add(self, instance: M) -> M:
        return await self.run(Repository.add, instance)

    async def add_many(self, instances: Iterable[M]) -> builtins.list[M]:
        return await self.run(Repository.add_many, instances)

    async def update(
        self, target: M | Any, values: Mapping[str, Any], *, expected_version: int | None = None
    ) -> M:
        return await self.run(Repository.update, target, values, expected_version=expected_version)

    async def delete(self, target: M | Any, *, hard: bool = False) -> None:
        await self.run(Repository.delete, target, hard=hard)

    async def restore(self, ident: Any) -> M:
        return await self.run(Repository.restore, ident)

    async def upsert(
        self,
        rows: Sequence[Mapping[str, Any]],
        *,
        conflict: Sequence[str],
        update: Sequence[str] | None = None,
    ) -> int:
        return await self.run(Repository.upsert, rows, conflict=conflict, update=update)

    async def bulk_insert(
        self, rows: Iterable[Mapping[str, Any]], *, chunk_size: int = 50_000
    ) -> int:
        return await self.run(Repository.bulk_insert, rows, chunk_size=chunk_size)

    async def lock(self, ident: Any, *, nowait: bool = False) -> M:
        return await self.run(Repository.lock, ident, nowait=nowait)

    async def lock_many(
        self,
        filters: Mapping[str, Any] | None = None,
        *,
        limit: int,
        sort: str | Sequence[str] | None = None,
        skip_locked: bool = False,
    ) -> builtins.list[M]:
        return await self.run(
            Repository.lock_many, filters, limit=limit, sort=sort, skip_locked=skip_locked
        )
