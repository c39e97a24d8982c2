"""advanced-alchemy: its `SQLAlchemySyncRepository` / `SQLAlchemyAsyncRepository`, defaults kept.

Sessions come from a plain engine (as its docs' "standalone" usage). Its defaults refresh an
object after add/update (an extra SELECT): that is what users get, so it is measured as is.
It has no keyset pagination and no COPY.
"""

from __future__ import annotations

from typing import Any

from advanced_alchemy.filters import LimitOffset, OrderBy
from advanced_alchemy.repository import SQLAlchemyAsyncRepository, SQLAlchemySyncRepository
from sqlalchemy import create_engine, true
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import joinedload, sessionmaker

from bench.contenders.base import Contender, page_sum
from bench.schema import Item, Post

AUTHOR = [joinedload(Post.author)]
BY_ID = OrderBy("id", "asc")


class PostRepo(SQLAlchemySyncRepository[Post]):
    model_type = Post


class ItemRepo(SQLAlchemySyncRepository[Item]):
    model_type = Item


class AsyncPostRepo(SQLAlchemyAsyncRepository[Post]):
    model_type = Post


class AsyncItemRepo(SQLAlchemyAsyncRepository[Item]):
    model_type = Item


class AdvancedAlchemy(Contender):
    name = "advanced-alchemy"
    family = "advanced-alchemy"
    requires = ("advanced_alchemy",)
    note = "advanced-alchemy SQLAlchemySyncRepository"

    def open(self) -> None:
        self.engine = create_engine(self.ctx.sqlalchemy_url(is_async=False))
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()

    def get(self, ids: list[int]) -> int:
        total = 0
        with self.sessions() as s:
            repo = PostRepo(session=s)
            for i in ids:
                p = repo.get(i)
                total += p.id + p.views
        return total

    def page(self, author_ids: list[int]) -> int:
        total = 0
        with self.sessions() as s:
            repo = PostRepo(session=s)
            for a in author_ids:
                rows = repo.get_many(
                    Post.author_id == a,
                    Post.published == true(),
                    LimitOffset(50, 0),
                    BY_ID,
                    load=AUTHOR,
                )
                total += page_sum(rows)
        return total

    def count(self, author_ids: list[int]) -> int:
        with self.sessions() as s:
            repo = PostRepo(session=s)
            return sum(repo.count(Post.author_id == a) for a in author_ids)

    def offset(self, offsets: list[int]) -> int:
        total = 0
        with self.sessions() as s:
            repo = PostRepo(session=s)
            for o in offsets:
                total += sum(p.id for p in repo.get_many(LimitOffset(50, o), BY_ID))
        return total

    def insert_one(self, rows: list[dict[str, Any]]) -> int:
        total = 0
        with self.sessions() as s, s.begin():
            repo = ItemRepo(session=s)
            for r in rows:
                total += repo.add(Item(**r)).id
        return total

    def bulk_insert(self, batches: list[list[dict[str, Any]]]) -> int:
        with self.sessions() as s, s.begin():
            return len(ItemRepo(session=s).add_many([Item(**r) for r in batches[0]]))

    def upsert(self, batches: list[list[dict[str, Any]]]) -> int:
        with self.sessions() as s, s.begin():
            done = ItemRepo(session=s).upsert_many([Item(**r) for r in batches[0]])
            return len(done)

    def update(self, changes: list[tuple[int, int]]) -> int:
        with self.sessions() as s, s.begin():
            repo = PostRepo(session=s)
            for ident, views in changes:
                post = repo.get(ident)
                post.views = views
                repo.update(post)
        return sum(v for _, v in changes)


class AdvancedAlchemyAsync(Contender):
    name = "advanced-alchemy-async"
    family = "advanced-alchemy"
    is_async = True
    requires = ("advanced_alchemy",)
    note = "advanced-alchemy SQLAlchemyAsyncRepository"

    async def aopen(self) -> None:
        self.engine = create_async_engine(self.ctx.sqlalchemy_url(is_async=True))
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    async def aclose(self) -> None:
        await self.engine.dispose()

    async def get(self, ids: list[int]) -> int:
        total = 0
        async with self.sessions() as s:
            repo = AsyncPostRepo(session=s)
            for i in ids:
                p = await repo.get(i)
                total += p.id + p.views
        return total

    async def page(self, author_ids: list[int]) -> int:
        total = 0
        async with self.sessions() as s:
            repo = AsyncPostRepo(session=s)
            for a in author_ids:
                rows = await repo.get_many(
                    Post.author_id == a,
                    Post.published == true(),
                    LimitOffset(50, 0),
                    BY_ID,
                    load=AUTHOR,
                )
                total += page_sum(rows)
        return total

    async def count(self, author_ids: list[int]) -> int:
        total = 0
        async with self.sessions() as s:
            repo = AsyncPostRepo(session=s)
            for a in author_ids:
                total += await repo.count(Post.author_id == a)
        return total

    async def offset(self, offsets: list[int]) -> int:
        total = 0
        async with self.sessions() as s:
            repo = AsyncPostRepo(session=s)
            for o in offsets:
                total += sum(p.id for p in await repo.get_many(LimitOffset(50, o), BY_ID))
        return total

    async def insert_one(self, rows: list[dict[str, Any]]) -> int:
        total = 0
        async with self.sessions() as s, s.begin():
            repo = AsyncItemRepo(session=s)
            for r in rows:
                total += (await repo.add(Item(**r))).id
        return total

    async def bulk_insert(self, batches: list[list[dict[str, Any]]]) -> int:
        async with self.sessions() as s, s.begin():
            done = await AsyncItemRepo(session=s).add_many([Item(**r) for r in batches[0]])
            return len(done)

    async def upsert(self, batches: list[list[dict[str, Any]]]) -> int:
        async with self.sessions() as s, s.begin():
            done = await AsyncItemRepo(session=s).upsert_many([Item(**r) for r in batches[0]])
            return len(done)

    async def update(self, changes: list[tuple[int, int]]) -> int:
        async with self.sessions() as s, s.begin():
            repo = AsyncPostRepo(session=s)
            for ident, views in changes:
                post = await repo.get(ident)
                post.views = views
                await repo.update(post)
        return sum(v for _, v in changes)
