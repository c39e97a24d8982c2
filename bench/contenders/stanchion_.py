"""stanchion: `Repository` / `AsyncRepository` from `Database` / `AsyncDatabase`, two ways.

The path the README teaches, ``db.transaction()`` and ``tx.repository(...)`` (`stanchion-tx`,
`stanchion-async-tx`), and repositories on plain sessions (`stanchion`, `stanchion-async`); the
same workload code runs both, only `scope` differs. The async contenders run the same
repository code through ``run_sync``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from sqlalchemy.orm import joinedload

from bench.contenders.base import Contender, page_sum
from bench.schema import Item, Post
from stanchion import AsyncDatabase, AsyncRepository, Database, Repository
from stanchion.query import SortKey, encode_cursor

AUTHOR = [joinedload(Post.author)]


class PostRepository(Repository[Post]):
    default_sort = "id"


class ItemRepository(Repository[Item]):
    pass


def cursor_after(after: int | None) -> str | None:
    """The opaque cursor a previous page ending at post `after` would have returned."""
    return None if after is None else encode_cursor([SortKey("id")], [after])


class Stanchion(Contender):
    name = "stanchion"
    family = "stanchion"
    note = "stanchion Repository on Database (sync)"

    def open(self) -> None:
        self.db = Database(self.ctx.sqlalchemy_url(is_async=False))

    def close(self) -> None:
        self.db.dispose()

    @contextmanager
    def scope(self, *, write: bool = False) -> Iterator[Callable[[type[Any]], Any]]:
        """Repositories on one session; a write batch runs in ``session.begin()``."""
        with self.db.session() as s:
            if write:
                with s.begin():
                    yield lambda repository: repository(s)
            else:
                yield lambda repository: repository(s)

    def get(self, ids: list[int]) -> int:
        total = 0
        with self.scope() as repos:
            posts = repos(PostRepository)
            for i in ids:
                p = posts.get_one(i)
                total += p.id + p.views
        return total

    def page(self, author_ids: list[int]) -> int:
        total = 0
        with self.scope() as repos:
            posts = repos(PostRepository)
            for a in author_ids:
                rows = posts.list({"author_id": a, "published": True}, limit=50, options=AUTHOR)
                total += page_sum(rows)
        return total

    def count(self, author_ids: list[int]) -> int:
        with self.scope() as repos:
            posts = repos(PostRepository)
            return sum(posts.count(author_id=a) for a in author_ids)

    def keyset(self, afters: list[int | None]) -> int:
        total = 0
        with self.scope() as repos:
            posts = repos(PostRepository)
            for a in afters:
                page = posts.keyset_page(limit=50, cursor=cursor_after(a))
                total += sum(p.id for p in page.items)
        return total

    def offset(self, offsets: list[int]) -> int:
        total = 0
        with self.scope() as repos:
            posts = repos(PostRepository)
            for o in offsets:
                total += sum(p.id for p in posts.list(limit=50, offset=o))
        return total

    def insert_one(self, rows: list[dict[str, Any]]) -> int:
        total = 0
        with self.scope(write=True) as repos:
            items = repos(ItemRepository)
            for r in rows:
                total += items.add(Item(**r)).id
        return total

    def bulk_insert(self, batches: list[list[dict[str, Any]]]) -> int:
        with self.scope(write=True) as repos:
            return int(repos(ItemRepository).bulk_insert(batches[0]))

    def upsert(self, batches: list[list[dict[str, Any]]]) -> int:
        with self.scope(write=True) as repos:
            return int(repos(ItemRepository).upsert(batches[0], conflict=["id"]))

    def update(self, changes: list[tuple[int, int]]) -> int:
        with self.scope(write=True) as repos:
            posts = repos(PostRepository)
            for ident, views in changes:
                posts.update(ident, {"views": views})
        return sum(v for _, v in changes)


class StanchionAsync(Contender):
    name = "stanchion-async"
    family = "stanchion"
    is_async = True
    note = "stanchion AsyncRepository on AsyncDatabase"

    async def aopen(self) -> None:
        self.db = AsyncDatabase(self.ctx.sqlalchemy_url(is_async=True))

    async def aclose(self) -> None:
        await self.db.dispose()

    @asynccontextmanager
    async def scope(self, *, write: bool = False) -> AsyncIterator[Callable[[type[Any]], Any]]:
        """Async repositories on one session; a write batch runs in ``session.begin()``."""
        async with self.db.session() as s:
            if write:
                async with s.begin():
                    yield lambda repository: AsyncRepository(s, repository)
            else:
                yield lambda repository: AsyncRepository(s, repository)

    async def get(self, ids: list[int]) -> int:
        total = 0
        async with self.scope() as repos:
            posts = repos(PostRepository)
            for i in ids:
                p = await posts.get_one(i)
                total += p.id + p.views
        return total

    async def page(self, author_ids: list[int]) -> int:
        total = 0
        async with self.scope() as repos:
            posts = repos(PostRepository)
            for a in author_ids:
                filters = {"author_id": a, "published": True}
                total += page_sum(await posts.list(filters, limit=50, options=AUTHOR))
        return total

    async def count(self, author_ids: list[int]) -> int:
        total = 0
        async with self.scope() as repos:
            posts = repos(PostRepository)
            for a in author_ids:
                total += await posts.count(author_id=a)
        return total

    async def keyset(self, afters: list[int | None]) -> int:
        total = 0
        async with self.scope() as repos:
            posts = repos(PostRepository)
            for a in afters:
                page = await posts.keyset_page(limit=50, cursor=cursor_after(a))
                total += sum(p.id for p in page.items)
        return total

    async def offset(self, offsets: list[int]) -> int:
        total = 0
        async with self.scope() as repos:
            posts = repos(PostRepository)
            for o in offsets:
                total += sum(p.id for p in await posts.list(limit=50, offset=o))
        return total

    async def insert_one(self, rows: list[dict[str, Any]]) -> int:
        total = 0
        async with self.scope(write=True) as repos:
            items = repos(ItemRepository)
            for r in rows:
                total += (await items.add(Item(**r))).id
        return total

    async def bulk_insert(self, batches: list[list[dict[str, Any]]]) -> int:
        async with self.scope(write=True) as repos:
            return int(await repos(ItemRepository).bulk_insert(batches[0]))

    async def upsert(self, batches: list[list[dict[str, Any]]]) -> int:
        async with self.scope(write=True) as repos:
            return int(await repos(ItemRepository).upsert(batches[0], conflict=["id"]))

    async def update(self, changes: list[tuple[int, int]]) -> int:
        async with self.scope(write=True) as repos:
            posts = repos(PostRepository)
            for ident, views in changes:
                await posts.update(ident, {"views": views})
        return sum(v for _, v in changes)


class StanchionTx(Stanchion):
    name = "stanchion-tx"
    note = "stanchion db.transaction() / tx.repository(...) (sync), as the README teaches"

    @contextmanager
    def scope(self, *, write: bool = False) -> Iterator[Callable[[type[Any]], Any]]:
        """Each batch is one unit of work: committed when the block ends."""
        with self.db.transaction() as tx:
            yield tx.repository


class StanchionAsyncTx(StanchionAsync):
    name = "stanchion-async-tx"
    note = "stanchion adb.transaction() / tx.repository(...), as the README teaches"

    @asynccontextmanager
    async def scope(self, *, write: bool = False) -> AsyncIterator[Callable[[type[Any]], Any]]:
        """Each batch is one unit of work: committed when the block ends."""
        async with self.db.transaction() as tx:
            yield tx.repository
