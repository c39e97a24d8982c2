"""The raw drivers: psycopg / asyncpg on PostgreSQL, sqlite3 / aiosqlite on SQLite.

Hand-written SQL, tuples back, one connection held for the batch: the floor every library pays
on top of. Bulk insert uses COPY on PostgreSQL; upsert is one INSERT ... ON CONFLICT.
"""

from __future__ import annotations

import sqlite3
from typing import Any, ClassVar

from bench.contenders.base import Contender

COLS = "p.id, p.author_id, p.title, p.body, p.views, p.published"
GET = f"SELECT {COLS} FROM bench_posts p WHERE p.id = {{0}}"
PAGE = (
    f"SELECT {COLS}, a.id, a.name, a.email FROM bench_posts p "
    "JOIN bench_authors a ON a.id = p.author_id "
    "WHERE p.author_id = {0} AND p.published = {1} ORDER BY p.id LIMIT 50"
)
COUNT = "SELECT count(*) FROM bench_posts p WHERE p.author_id = {0}"
KEYSET_1 = f"SELECT {COLS} FROM bench_posts p ORDER BY p.id LIMIT 50"
KEYSET = f"SELECT {COLS} FROM bench_posts p WHERE p.id > {{0}} ORDER BY p.id LIMIT 50"
OFFSET = f"SELECT {COLS} FROM bench_posts p ORDER BY p.id LIMIT 50 OFFSET {{0}}"
INSERT = "INSERT INTO bench_items (sku, name, qty) VALUES ({0}, {1}, {2}) RETURNING id"
UPDATE = "UPDATE bench_posts SET views = {0} WHERE id = {1}"
UPSERT_VALUES = (
    "INSERT INTO bench_items (id, sku, name, qty) VALUES ({0}, {1}, {2}, {3}) "
    "ON CONFLICT (id) DO UPDATE SET sku = excluded.sku, name = excluded.name, qty = excluded.qty"
)
UPSERT_UNNEST = (
    "INSERT INTO bench_items (id, sku, name, qty) "
    "SELECT * FROM unnest({0}::bigint[], {1}::text[], {2}::text[], {3}::bigint[]) "
    "ON CONFLICT (id) DO UPDATE SET sku = excluded.sku, name = excluded.name, qty = excluded.qty"
)


def sql(template: str, style: str) -> str:
    """Fill placeholders: ``%s`` (psycopg), ``?`` (sqlite3), ``$n`` (asyncpg)."""
    count = template.count("{")
    if style == "$":
        return template.format(*(f"${i + 1}" for i in range(count)))
    return template.format(*([style] * count))


def _sum_rows(rows: Any) -> int:
    return sum(r[0] for r in rows)


class RawSync(Contender):
    name = "raw"
    family = "raw"
    note = "psycopg 3 / sqlite3: hand-written SQL, tuples"

    def open(self) -> None:
        if self.ctx.backend == "postgresql":
            import psycopg

            self.conn: Any = psycopg.connect(self.ctx.dsn)
            self.style = "%s"
            self.true: Any = True
        else:
            self.conn = sqlite3.connect(self.ctx.sqlite_path)
            self.style = "?"
            self.true = 1

    def close(self) -> None:
        self.conn.close()

    def _q(self, template: str) -> str:
        return sql(template, self.style)

    def get(self, ids: list[int]) -> int:
        q, total = self._q(GET), 0
        cur = self.conn.cursor()
        for i in ids:
            row = cur.execute(q, (i,)).fetchone()
            total += row[0] + row[4]
        self.conn.rollback()
        return total

    def page(self, authors: list[int]) -> int:
        q, total = self._q(PAGE), 0
        cur = self.conn.cursor()
        for a in authors:
            total += sum(r[0] + r[6] for r in cur.execute(q, (a, self.true)).fetchall())
        self.conn.rollback()
        return total

    def count(self, authors: list[int]) -> int:
        q, total = self._q(COUNT), 0
        cur = self.conn.cursor()
        for a in authors:
            total += cur.execute(q, (a,)).fetchone()[0]
        self.conn.rollback()
        return total

    def keyset(self, afters: list[int | None]) -> int:
        total = 0
        cur = self.conn.cursor()
        for after in afters:
            if after is None:
                rows = cur.execute(self._q(KEYSET_1)).fetchall()
            else:
                rows = cur.execute(self._q(KEYSET), (after,)).fetchall()
            total += _sum_rows(rows)
        self.conn.rollback()
        return total

    def offset(self, offsets: list[int]) -> int:
        q, total = self._q(OFFSET), 0
        cur = self.conn.cursor()
        for o in offsets:
            total += _sum_rows(cur.execute(q, (o,)).fetchall())
        self.conn.rollback()
        return total

    def insert_one(self, rows: list[dict[str, Any]]) -> int:
        q, total = self._q(INSERT), 0
        cur = self.conn.cursor()
        for r in rows:
            total += cur.execute(q, (r["sku"], r["name"], r["qty"])).fetchone()[0]
        self.conn.commit()
        return total

    def bulk_insert(self, batches: list[list[dict[str, Any]]]) -> int:
        (rows,) = batches
        if self.ctx.backend == "postgresql":
            with (
                self.conn.cursor() as cur,
                cur.copy("COPY bench_items (sku, name, qty) FROM STDIN") as copy,
            ):
                for r in rows:
                    copy.write_row((r["sku"], r["name"], r["qty"]))
        else:
            self.conn.executemany(
                "INSERT INTO bench_items (sku, name, qty) VALUES (?, ?, ?)",
                [(r["sku"], r["name"], r["qty"]) for r in rows],
            )
        self.conn.commit()
        return len(rows)

    def upsert(self, batches: list[list[dict[str, Any]]]) -> int:
        (rows,) = batches
        if self.ctx.backend == "postgresql":
            columns = [[r[k] for r in rows] for k in ("id", "sku", "name", "qty")]
            self.conn.execute(self._q(UPSERT_UNNEST), columns)
        else:
            self.conn.executemany(
                self._q(UPSERT_VALUES), [(r["id"], r["sku"], r["name"], r["qty"]) for r in rows]
            )
        self.conn.commit()
        return len(rows)

    def update(self, changes: list[tuple[int, int]]) -> int:
        q = self._q(UPDATE)
        cur = self.conn.cursor()
        for ident, views in changes:
            cur.execute(q, (views, ident))
        self.conn.commit()
        return sum(v for _, v in changes)


class RawAsync(Contender):
    name = "raw-async"
    family = "raw"
    is_async = True
    note = "asyncpg / aiosqlite: hand-written SQL, records"
    style: ClassVar[str]

    async def aopen(self) -> None:
        if self.ctx.backend == "postgresql":
            import asyncpg

            self.conn: Any = await asyncpg.connect(self.ctx.dsn)
            self.pg = True
        else:
            import aiosqlite

            self.conn = await aiosqlite.connect(self.ctx.sqlite_path)
            self.pg = False

    async def aclose(self) -> None:
        await self.conn.close()

    def _q(self, template: str) -> str:
        return sql(template, "$" if self.pg else "?")

    async def _fetch(self, template: str, *args: Any) -> list[Any]:
        if self.pg:
            return await self.conn.fetch(self._q(template), *args)  # type: ignore[no-any-return]
        async with self.conn.execute(self._q(template), args) as cur:
            return list(await cur.fetchall())

    async def _read(self, template: str, args: list[tuple[Any, ...]], rows: Any) -> int:
        """Run `template` once per args tuple in one transaction; sum `rows(result)`."""
        total = 0
        if self.pg:
            async with self.conn.transaction():
                for a in args:
                    total += rows(await self._fetch(template, *a))
        else:
            for a in args:
                total += rows(await self._fetch(template, *a))
            await self.conn.rollback()
        return total

    async def get(self, ids: list[int]) -> int:
        return await self._read(GET, [(i,) for i in ids], lambda rs: rs[0][0] + rs[0][4])

    async def page(self, authors: list[int]) -> int:
        true = True if self.pg else 1
        args = [(a, true) for a in authors]
        return await self._read(PAGE, args, lambda rs: sum(r[0] + r[6] for r in rs))

    async def count(self, authors: list[int]) -> int:
        return await self._read(COUNT, [(a,) for a in authors], lambda rs: rs[0][0])

    async def keyset(self, afters: list[int | None]) -> int:
        if afters[0] is None:
            return await self._read(KEYSET_1, [() for _ in afters], _sum_rows)
        return await self._read(KEYSET, [(a,) for a in afters], _sum_rows)

    async def offset(self, offsets: list[int]) -> int:
        return await self._read(OFFSET, [(o,) for o in offsets], _sum_rows)

    async def insert_one(self, rows: list[dict[str, Any]]) -> int:
        total = 0
        if self.pg:
            async with self.conn.transaction():
                for r in rows:
                    total += await self.conn.fetchval(
                        self._q(INSERT), r["sku"], r["name"], r["qty"]
                    )
            return total
        for r in rows:
            total += (await self._fetch(INSERT, r["sku"], r["name"], r["qty"]))[0][0]
        await self.conn.commit()
        return total

    async def bulk_insert(self, batches: list[list[dict[str, Any]]]) -> int:
        (rows,) = batches
        records = [(r["sku"], r["name"], r["qty"]) for r in rows]
        if self.pg:
            async with self.conn.transaction():
                await self.conn.copy_records_to_table(
                    "bench_items", records=records, columns=["sku", "name", "qty"]
                )
            return len(rows)
        await self.conn.executemany(
            "INSERT INTO bench_items (sku, name, qty) VALUES (?, ?, ?)", records
        )
        await self.conn.commit()
        return len(rows)

    async def upsert(self, batches: list[list[dict[str, Any]]]) -> int:
        (rows,) = batches
        if self.pg:
            columns = [[r[k] for r in rows] for k in ("id", "sku", "name", "qty")]
            async with self.conn.transaction():
                await self.conn.execute(self._q(UPSERT_UNNEST), *columns)
            return len(rows)
        await self.conn.executemany(
            self._q(UPSERT_VALUES), [(r["id"], r["sku"], r["name"], r["qty"]) for r in rows]
        )
        await self.conn.commit()
        return len(rows)

    async def update(self, changes: list[tuple[int, int]]) -> int:
        if self.pg:
            async with self.conn.transaction():
                for ident, views in changes:
                    await self.conn.execute(self._q(UPDATE), views, ident)
        else:
            for ident, views in changes:
                await self.conn.execute(self._q(UPDATE), (views, ident))
            await self.conn.commit()
        return sum(v for _, v in changes)
