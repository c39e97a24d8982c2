"""FastCRUD (async only): `FastCRUD(Model)` methods on an `AsyncSession`, defaults kept.

Reads return dicts (no ORM objects); `create` flushes then refreshes; `upsert_multi` matches on
the primary key; there is no bulk insert (creating 100,000 rows one call each is not offered).
"""

from __future__ import annotations

from typing import Any

from fastcrud import FastCRUD, JoinConfig
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from bench.contenders.base import Contender
from bench.schema import Author, Item, Post


class ItemCreate(BaseModel):
    sku: str
    name: str
    qty: int


class ItemUpsert(ItemCreate):
    id: int


class AuthorRead(BaseModel):
    id: int
    name: str
    email: str


class FastCrud(Contender):
    name = "fastcrud"
    family = "fastcrud"
    is_async = True
    requires = ("fastcrud",)
    note = "FastCRUD on AsyncSession (dicts back)"

    async def aopen(self) -> None:
        self.engine = create_async_engine(self.ctx.sqlalchemy_url(is_async=True))
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.posts: FastCRUD[Any, Any, Any, Any, Any, Any] = FastCRUD(Post)
        self.items: FastCRUD[Any, Any, Any, Any, Any, Any] = FastCRUD(Item)
        self.join = [
            JoinConfig(
                model=Author,
                join_on=Post.author_id == Author.id,
                join_prefix="author_",
                schema_to_select=AuthorRead,
            )
        ]

    async def aclose(self) -> None:
        await self.engine.dispose()

    async def get(self, ids: list[int]) -> int:
        total = 0
        async with self.sessions() as s:
            for i in ids:
                row = await self.posts.get(s, id=i)
                assert row is not None
                total += row["id"] + row["views"]
        return total

    async def page(self, author_ids: list[int]) -> int:
        total = 0
        async with self.sessions() as s:
            for a in author_ids:
                result = await self.posts.get_multi_joined(
                    s,
                    joins_config=self.join,
                    limit=50,
                    sort_columns="id",
                    return_total_count=False,
                    author_id=a,
                    published=True,
                )
                total += sum(r["id"] + r["author_id"] for r in result["data"])
        return total

    async def count(self, author_ids: list[int]) -> int:
        total = 0
        async with self.sessions() as s:
            for a in author_ids:
                total += await self.posts.count(s, author_id=a)
        return total

    async def keyset(self, afters: list[int | None]) -> int:
        total = 0
        async with self.sessions() as s:
            for a in afters:
                page = await self.posts.get_multi_by_cursor(s, cursor=a, limit=50, sort_column="id")
                total += sum(r["id"] for r in page["data"])
        return total

    async def offset(self, offsets: list[int]) -> int:
        total = 0
        async with self.sessions() as s:
            for o in offsets:
                page = await self.posts.get_multi(
                    s, offset=o, limit=50, sort_columns="id", return_total_count=False
                )
                total += sum(r["id"] for r in page["data"])
        return total

    async def insert_one(self, rows: list[dict[str, Any]]) -> int:
        async with self.sessions() as s, s.begin():
            for r in rows:
                await self.items.create(s, ItemCreate(**r), commit=False)
        return len(rows)

    async def upsert(self, batches: list[list[dict[str, Any]]]) -> int:
        async with self.sessions() as s, s.begin():
            rows = [ItemUpsert(**r) for r in batches[0]]
            await self.items.upsert_multi(s, rows, commit=False)
        return len(batches[0])

    async def update(self, changes: list[tuple[int, int]]) -> int:
        async with self.sessions() as s, s.begin():
            for ident, views in changes:
                await self.posts.update(s, {"views": views}, id=ident, commit=False)
        return sum(v for _, v in changes)
