"""Hand-written SQLAlchemy ORM, sync and async: what a careful user writes without a library.

`session.get`, `select(Post)` with `joinedload`, `add` + `flush`, ORM bulk INSERT with a list of
dicts, one INSERT ... ON CONFLICT statement for upserts. Plain engine, default settings.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Insert, create_engine, func, insert, select, true
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import joinedload, sessionmaker

from bench.contenders.base import Contender, page_sum
from bench.schema import Item, Post

#: Rows per hand-written upsert statement: 4 values each stays under asyncpg's 32,767 parameters.
UPSERT_CHUNK = 5_000


def chunks(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [rows[i : i + UPSERT_CHUNK] for i in range(0, len(rows), UPSERT_CHUNK)]


def upsert_statement(backend: str, rows: list[dict[str, Any]]) -> Insert:
    """INSERT ... ON CONFLICT (id) DO UPDATE for `rows` of items."""
    make = pg_insert if backend == "postgresql" else sqlite_insert
    stmt = make(Item).values(rows)
    return stmt.on_conflict_do_update(
        index_elements=["id"],
        set_={c: stmt.excluded[c] for c in ("sku", "name", "qty")},
    )


def published_page(author_id: int, limit: int = 50) -> Any:
    """One author's published posts by id, each with its author (the page workload's query)."""
    return (
        select(Post)
        .options(joinedload(Post.author))
        .where(Post.author_id == author_id, Post.published == true())
        .order_by(Post.id)
        .limit(limit)
    )


def _keyset(after: int | None) -> Any:
    stmt = select(Post).order_by(Post.id).limit(50)
    return stmt if after is None else stmt.where(Post.id > after)


def _count(author_id: int) -> Any:
    return select(func.count()).select_from(Post).where(Post.author_id == author_id)


class Orm(Contender):
    name = "orm"
    family = "orm"
    note = "hand-written SQLAlchemy ORM Session"

    def open(self) -> None:
        self.engine = create_engine(self.ctx.sqlalchemy_url(is_async=False))
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()

    def get(self, ids: list[int]) -> int:
        with self.sessions() as s:
            return sum(p.id + p.views for p in (s.get(Post, i) for i in ids) if p is not None)

    def page(self, author_ids: list[int]) -> int:
        with self.sessions() as s:
            return sum(page_sum(s.scalars(published_page(a)).all()) for a in author_ids)

    def count(self, author_ids: list[int]) -> int:
        with self.sessions() as s:
            return sum(s.execute(_count(a)).scalar_one() for a in author_ids)

    def keyset(self, afters: list[int | None]) -> int:
        with self.sessions() as s:
            return sum(sum(p.id for p in s.scalars(_keyset(a))) for a in afters)

    def offset(self, offsets: list[int]) -> int:
        with self.sessions() as s:
            return sum(
                sum(p.id for p in s.scalars(select(Post).order_by(Post.id).limit(50).offset(o)))
                for o in offsets
            )

    def insert_one(self, rows: list[dict[str, Any]]) -> int:
        total = 0
        with self.sessions() as s, s.begin():
            for r in rows:
                item = Item(**r)
                s.add(item)
                s.flush()
                total += item.id
        return total

    def bulk_insert(self, batches: list[list[dict[str, Any]]]) -> int:
        with self.sessions() as s, s.begin():
            s.execute(insert(Item), batches[0])
        return len(batches[0])

    def upsert(self, batches: list[list[dict[str, Any]]]) -> int:
        with self.sessions() as s, s.begin():
            for chunk in chunks(batches[0]):
                s.execute(upsert_statement(self.ctx.backend, chunk))
        return len(batches[0])

    def update(self, changes: list[tuple[int, int]]) -> int:
        with self.sessions() as s, s.begin():
            for ident, views in changes:
                post = s.get(Post, ident)
                assert post is not None
                post.views = views
                s.flush()
        return sum(v for _, v in changes)


class OrmAsync(Contender):
    name = "orm-async"
    family = "orm"
    is_async = True
    note = "hand-written SQLAlchemy AsyncSession"

    async def aopen(self) -> None:
        self.engine = create_async_engine(self.ctx.sqlalchemy_url(is_async=True))
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    async def aclose(self) -> None:
        await self.engine.dispose()

    async def get(self, ids: list[int]) -> int:
        total = 0
        async with self.sessions() as s:
            for i in ids:
                p = await s.get(Post, i)
                assert p is not None
                total += p.id + p.views
        return total

    async def page(self, author_ids: list[int]) -> int:
        total = 0
        async with self.sessions() as s:
            for a in author_ids:
                total += page_sum((await s.scalars(published_page(a))).all())
        return total

    async def count(self, author_ids: list[int]) -> int:
        total = 0
        async with self.sessions() as s:
            for a in author_ids:
                total += (await s.execute(_count(a))).scalar_one()
        return total

    async def keyset(self, afters: list[int | None]) -> int:
        total = 0
        async with self.sessions() as s:
            for a in afters:
                total += sum(p.id for p in await s.scalars(_keyset(a)))
        return total

    async def offset(self, offsets: list[int]) -> int:
        total = 0
        async with self.sessions() as s:
            for o in offsets:
                stmt = select(Post).order_by(Post.id).limit(50).offset(o)
                total += sum(p.id for p in await s.scalars(stmt))
        return total

    async def insert_one(self, rows: list[dict[str, Any]]) -> int:
        total = 0
        async with self.sessions() as s, s.begin():
            for r in rows:
                item = Item(**r)
                s.add(item)
                await s.flush()
                total += item.id
        return total

    async def bulk_insert(self, batches: list[list[dict[str, Any]]]) -> int:
        async with self.sessions() as s, s.begin():
            await s.execute(insert(Item), batches[0])
        return len(batches[0])

    async def upsert(self, batches: list[list[dict[str, Any]]]) -> int:
        async with self.sessions() as s, s.begin():
            for chunk in chunks(batches[0]):
                await s.execute(upsert_statement(self.ctx.backend, chunk))
        return len(batches[0])

    async def update(self, changes: list[tuple[int, int]]) -> int:
        async with self.sessions() as s, s.begin():
            for ident, views in changes:
                post = await s.get(Post, ident)
                assert post is not None
                post.views = views
                await s.flush()
        return sum(v for _, v in changes)
