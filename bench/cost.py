"""Per-transaction cost: the README path beside the session path and hand-written SQLAlchemy.

``python -m bench.cost [--backend sqlite,postgresql,mysql] [--reps 7] [--batch 200]``

Each operation of the transactional workloads is one whole transaction, as an endpoint runs
it: ``with db.transaction() as tx: tx.repository(Post).get(k)`` (`tx`, the README path),
``with db.session() as s, s.begin(): Repository(s, Post).get(k)`` (`session`) and
``with Session(engine) as s, s.begin(): s.get(Post, k)`` (`sa`, a plain engine with default
settings), sync and async. The lean workloads compare one query against the same query by
hand inside one open transaction: `Repository.row` against ``session.get``, `Repository.rows`
against ``session.scalars(select(...))``. Contenders run interleaved, in an order rotated
each repetition; the figure is the median of paired CPU-time ratios (this process's CPU, which
a shared machine disturbs far less than wall time). The same operations feed the CI cost gate
(tests/test_cost_budgets.py), which counts statements and Python calls instead of time.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, delete, select, true
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import joinedload, sessionmaker

from bench.contenders.orm import published_page
from bench.schema import Author, BenchModel, Item, Post
from stanchion import AsyncDatabase, AsyncRepository, Database, Repository
from stanchion.engine.backends import backend_for

AUTHORS, POSTS = 20, 2_000
PAGE = 20
AUTHOR = [joinedload(Post.author)]
DRIVERS = {
    "sqlite": ("sqlite+pysqlite", "sqlite+aiosqlite"),
    "postgresql": ("postgresql+psycopg", "postgresql+asyncpg"),
    "mysql": ("mysql+pymysql", "mysql+asyncmy"),
}


def _lean_page(author_id: int) -> Any:
    return (
        select(Post)
        .where(Post.author_id == author_id, Post.published == true())
        .order_by(Post.id)
        .limit(PAGE)
    )


@dataclass
class Contenders:
    """The three ways of running one operation, sync and async, on one database."""

    url: str
    async_url: str
    db: Database = field(init=False)
    adb: AsyncDatabase = field(init=False)

    def open(self) -> None:
        self.serial = itertools.count()
        self.db = Database(self.url)
        self.adb = AsyncDatabase(self.async_url)
        self.engine = create_engine(self.url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.aengine = create_async_engine(self.async_url)
        self.asessions = async_sessionmaker(self.aengine, expire_on_commit=False)

    async def aclose(self) -> None:
        self.db.dispose()
        self.engine.dispose()
        await self.adb.dispose()
        await self.aengine.dispose()

    # ----- one transaction each: the README path -----

    def tx_get(self, k: int) -> int:
        with self.db.transaction() as tx:
            return tx.repository(Post).get_one(k).views

    def tx_add(self, k: int) -> int:
        with self.db.transaction() as tx:
            return tx.repository(Item).add(Item(sku=f"tx-{next(self.serial)}", name="n", qty=k)).id

    def tx_update(self, k: int) -> int:
        with self.db.transaction() as tx:
            return tx.repository(Post).update(k, {"views": next(self.serial)}).views

    def tx_page(self, a: int) -> int:
        with self.db.transaction() as tx:
            rows = tx.repository(Post).list(
                {"author_id": a, "published": True}, sort="id", limit=PAGE, options=AUTHOR
            )
            return sum(p.id + p.author.id for p in rows)

    def tx_row(self, k: int) -> int:
        with self.db.transaction() as tx:
            return int(tx.repository(Post).row_one(k).views)

    async def atx_get(self, k: int) -> int:
        async with self.adb.transaction() as tx:
            return (await tx.repository(Post).get_one(k)).views

    async def atx_add(self, k: int) -> int:
        async with self.adb.transaction() as tx:
            return (
                await tx.repository(Item).add(Item(sku=f"atx-{next(self.serial)}", name="n", qty=k))
            ).id

    async def atx_update(self, k: int) -> int:
        async with self.adb.transaction() as tx:
            return (await tx.repository(Post).update(k, {"views": next(self.serial)})).views

    async def atx_page(self, a: int) -> int:
        async with self.adb.transaction() as tx:
            rows = await tx.repository(Post).list(
                {"author_id": a, "published": True}, sort="id", limit=PAGE, options=AUTHOR
            )
            return sum(p.id + p.author.id for p in rows)

    async def atx_row(self, k: int) -> int:
        async with self.adb.transaction() as tx:
            return int((await tx.repository(Post).row_one(k)).views)

    # ----- one transaction each: a repository on db.session() -----

    def session_get(self, k: int) -> int:
        with self.db.session() as s, s.begin():
            return Repository(s, Post).get_one(k).views

    def session_add(self, k: int) -> int:
        with self.db.session() as s, s.begin():
            return Repository(s, Item).add(Item(sku=f"s-{next(self.serial)}", name="n", qty=k)).id

    def session_update(self, k: int) -> int:
        with self.db.session() as s, s.begin():
            return Repository(s, Post).update(k, {"views": next(self.serial)}).views

    def session_page(self, a: int) -> int:
        with self.db.session() as s, s.begin():
            rows = Repository(s, Post).list(
                {"author_id": a, "published": True}, sort="id", limit=PAGE, options=AUTHOR
            )
            return sum(p.id + p.author.id for p in rows)

    async def asession_get(self, k: int) -> int:
        async with self.adb.session() as s, s.begin():
            return (await AsyncRepository(s, model=Post).get_one(k)).views

    async def asession_add(self, k: int) -> int:
        async with self.adb.session() as s, s.begin():
            item = Item(sku=f"as-{next(self.serial)}", name="n", qty=k)
            return (await AsyncRepository(s, model=Item).add(item)).id

    async def asession_update(self, k: int) -> int:
        async with self.adb.session() as s, s.begin():
            return (
                await AsyncRepository(s, model=Post).update(k, {"views": next(self.serial)})
            ).views

    async def asession_page(self, a: int) -> int:
        async with self.adb.session() as s, s.begin():
            rows = await AsyncRepository(s, model=Post).list(
                {"author_id": a, "published": True}, sort="id", limit=PAGE, options=AUTHOR
            )
            return sum(p.id + p.author.id for p in rows)

    # ----- one transaction each: hand-written SQLAlchemy -----

    def sa_get(self, k: int) -> int:
        with self.sessions() as s, s.begin():
            post = s.get(Post, k)
            assert post is not None
            return post.views

    def sa_add(self, k: int) -> int:
        with self.sessions() as s, s.begin():
            item = Item(sku=f"sa-{next(self.serial)}", name="n", qty=k)
            s.add(item)
            s.flush()
            return item.id

    def sa_update(self, k: int) -> int:
        with self.sessions() as s, s.begin():
            post = s.get(Post, k)
            assert post is not None
            post.views = next(self.serial)
            s.flush()
            return post.views

    def sa_page(self, a: int) -> int:
        with self.sessions() as s, s.begin():
            return sum(p.id + p.author.id for p in s.scalars(published_page(a, PAGE)))

    async def asa_get(self, k: int) -> int:
        async with self.asessions() as s, s.begin():
            post = await s.get(Post, k)
            assert post is not None
            return post.views

    async def asa_add(self, k: int) -> int:
        async with self.asessions() as s, s.begin():
            item = Item(sku=f"asa-{next(self.serial)}", name="n", qty=k)
            s.add(item)
            await s.flush()
            return item.id

    async def asa_update(self, k: int) -> int:
        async with self.asessions() as s, s.begin():
            post = await s.get(Post, k)
            assert post is not None
            post.views = next(self.serial)
            await s.flush()
            return post.views

    async def asa_page(self, a: int) -> int:
        async with self.asessions() as s, s.begin():
            return sum(p.id + p.author.id for p in await s.scalars(published_page(a, PAGE)))

    # ----- lean reads against the same query by hand, many in one transaction -----

    def lean_rows_batch(self, keys: list[int]) -> int:
        with self.db.transaction() as tx:
            posts = tx.repository(Post)
            return sum(int(posts.row_one(k).views) for k in keys)

    def sa_get_batch(self, keys: list[int]) -> int:
        with self.sessions() as s, s.begin():
            return sum(s.get_one(Post, k).views for k in keys)

    def lean_page_batch(self, authors: list[int]) -> int:
        with self.db.transaction() as tx:
            posts = tx.repository(Post)
            return sum(
                r.id
                for a in authors
                for r in posts.rows({"author_id": a, "published": True}, sort="id", limit=PAGE)
            )

    def sa_select_batch(self, authors: list[int]) -> int:
        with self.sessions() as s, s.begin():
            return sum(p.id for a in authors for p in s.scalars(_lean_page(a)))

    async def alean_rows_batch(self, keys: list[int]) -> int:
        async with self.adb.transaction() as tx:
            posts = tx.repository(Post)
            return sum([int((await posts.row_one(k)).views) for k in keys])

    async def asa_get_batch(self, keys: list[int]) -> int:
        async with self.asessions() as s, s.begin():
            return sum([(await s.get_one(Post, k)).views for k in keys])

    async def alean_page_batch(self, authors: list[int]) -> int:
        async with self.adb.transaction() as tx:
            posts = tx.repository(Post)
            total = 0
            for a in authors:
                filters = {"author_id": a, "published": True}
                total += sum(r.id for r in await posts.rows(filters, sort="id", limit=PAGE))
            return total

    async def asa_select_batch(self, authors: list[int]) -> int:
        async with self.asessions() as s, s.begin():
            total = 0
            for a in authors:
                total += sum(p.id for p in await s.scalars(_lean_page(a)))
            return total


#: Transactional workloads: (name, argument kind, {contender: method name}).
TRANSACTIONS = [
    (op, "author" if op == "page" else "post", ("tx", "session", "sa"))
    for op in ("get", "add", "update", "page")
]
LEAN = [
    ("lean row vs session.get", "post", ("lean_rows_batch", "sa_get_batch")),
    ("lean rows vs select()", "author", ("lean_page_batch", "sa_select_batch")),
]


def seed(url: str) -> None:
    """Create the tables and the posts every run reads (same rows each time)."""
    admin = backend_for(make_url(url)).admin
    if not admin.database_exists(make_url(url)):
        admin.create_database(make_url(url))
    db = Database(url)
    try:
        db.drop_all(BenchModel.metadata)
        db.create_all(BenchModel.metadata)
        with db.transaction() as tx:
            tx.repository(Author).bulk_insert(
                [{"id": i, "name": f"a{i}", "email": f"a{i}@x"} for i in range(1, AUTHORS + 1)]
            )
            tx.repository(Post).bulk_insert(
                [
                    {
                        "id": i,
                        "author_id": i % AUTHORS + 1,
                        "title": f"post {i}",
                        "body": "body " * 20,
                        "views": i,
                        "published": i % 3 != 0,
                    }
                    for i in range(1, POSTS + 1)
                ]
            )
    finally:
        db.dispose()


def urls(backend: str, given: str | None) -> tuple[str, str]:
    """The sync and async URL of `backend`'s cost database."""
    if backend == "sqlite":
        folder = Path(tempfile.gettempdir()) / "stanchion-bench"
        folder.mkdir(exist_ok=True)
        base = make_url(given or f"sqlite:///{folder / 'cost.db'}")
    else:
        env = os.environ.get(f"STANCHION_BENCH_{backend.upper()}_URL")
        text = given or env
        if not text:
            raise SystemExit(f"give --url or STANCHION_BENCH_{backend.upper()}_URL for {backend}")
        base = make_url(text)
    sync, asyn = DRIVERS[backend]
    render = base.set(drivername=sync).render_as_string(hide_password=False)
    return render, base.set(drivername=asyn).render_as_string(hide_password=False)


def _args(kind: str, rng: random.Random, n: int) -> list[int]:
    if kind == "author":
        return [rng.randint(1, AUTHORS) for _ in range(n)]
    return rng.sample(range(1, POSTS + 1), n)


def _method(c: Contenders, name: str, is_async: bool, op: str | None) -> Any:
    prefix = "a" if is_async else ""
    return getattr(c, f"{prefix}{name}" if op is None else f"{prefix}{name}_{op}")


def measure(c: Contenders, loop: asyncio.Runner, reps: int, batch: int) -> dict[str, Any]:
    """Every workload's median paired CPU ratio to hand-written SQLAlchemy, sync and async."""
    out: dict[str, Any] = {}
    rng = random.Random(17)
    for is_async in (False, True):
        mode = "async" if is_async else "sync"
        for op, kind, names in TRANSACTIONS:
            fns = {n: _method(c, n, is_async, op) for n in names}
            out[f"{mode} {op}"] = _paired(fns, kind, rng, loop, reps, batch, is_async, "sa")
        for title, kind, pair in LEAN:
            fns = {n: _method(c, n, is_async, None) for n in pair}
            out[f"{mode} {title}"] = _paired(
                fns, kind, rng, loop, reps, 1, is_async, pair[1], per_call=batch
            )
    return out


def _paired(
    fns: dict[str, Callable[..., Any]],
    kind: str,
    rng: random.Random,
    loop: asyncio.Runner,
    reps: int,
    batch: int,
    is_async: bool,
    baseline: str,
    per_call: int | None = None,
) -> dict[str, Any]:
    """CPU seconds per operation of each contender and its median ratio to `baseline`."""
    cpu: dict[str, list[float]] = {name: [] for name in fns}
    names = list(fns)
    for rep in range(-1, reps):  # -1: warm-up
        order = names[rep % len(names) :] + names[: rep % len(names)]
        for name in order:
            fn = fns[name]
            args = _args(kind, rng, per_call) if per_call else _args(kind, rng, batch)
            started = time.process_time()
            if per_call:
                loop.run(fn(args)) if is_async else fn(args)
                ops = per_call
            else:
                if is_async:
                    loop.run(_run_all(fn, args))
                else:
                    for a in args:
                        fn(a)
                ops = len(args)
            if rep >= 0:
                cpu[name].append((time.process_time() - started) / ops)
    result: dict[str, Any] = {name: statistics.median(v) * 1e6 for name, v in cpu.items()}
    for name in names:
        if name != baseline:
            paired = [m / b for m, b in zip(cpu[name], cpu[baseline], strict=True)]
            result[f"{name}/{baseline}"] = statistics.median(paired)
    return result


async def _run_all(fn: Callable[[int], Awaitable[Any]], args: list[int]) -> None:
    for a in args:
        await fn(a)


BULK_ROWS = 20_000
RAW_INSERT = "INSERT INTO bench_items (sku, name, qty) VALUES ({p}, {p}, {p})"
RAW_UPSERT = {
    "sqlite": "INSERT INTO bench_items (id, sku, name, qty) VALUES (?, ?, ?, ?) ON CONFLICT (id) "
    "DO UPDATE SET sku = excluded.sku, name = excluded.name, qty = excluded.qty",
    "mysql": "INSERT INTO bench_items (id, sku, name, qty) VALUES (%s, %s, %s, %s) ON DUPLICATE "
    "KEY UPDATE sku = VALUES(sku), name = VALUES(name), qty = VALUES(qty)",
}


def _raw_connect(backend: str, url: str) -> Any:
    parsed = make_url(url)
    if backend == "sqlite":
        import sqlite3

        return sqlite3.connect(str(parsed.database))
    import pymysql

    return pymysql.connect(
        host=parsed.host,
        port=parsed.port or 3306,
        user=parsed.username,
        password=parsed.password or "",
        database=parsed.database,
    )


def measure_bulk(backend: str, url: str, reps: int) -> dict[str, Any]:
    """`bulk_insert` and `upsert` throughput as a fraction of the raw driver's executemany
    (rows given as dicts to both; the raw side turns them into tuples, as a caller must)."""
    db = Database(url)
    ratios: dict[str, list[float]] = {"bulk insert": [], "upsert": []}
    placeholder = "?" if backend == "sqlite" else "%s"

    def items(tag: str) -> list[dict[str, Any]]:
        return [{"sku": f"{tag}{i}", "name": f"item {i}", "qty": i % 100} for i in range(BULK_ROWS)]

    def upserts() -> list[dict[str, Any]]:
        return [
            {"id": i + 1, "sku": f"u{i}", "name": "new", "qty": i % 7} for i in range(BULK_ROWS)
        ]

    def reset(half: bool) -> None:
        with db.transaction() as tx:
            tx.session.execute(delete(Item))
            if half:  # every other row exists: the upsert updates half and inserts half
                existing = [
                    {"id": i + 1, "sku": f"u{i}", "name": "old", "qty": 0}
                    for i in range(0, BULK_ROWS, 2)
                ]
                tx.repository(Item).bulk_insert(existing)

    def raw(sql: str, rows: list[dict[str, Any]], keys: tuple[str, ...]) -> float:
        connection = _raw_connect(backend, url)
        try:
            started = time.perf_counter()
            connection.cursor().executemany(sql, [tuple(r[k] for k in keys) for r in rows])
            connection.commit()
            return time.perf_counter() - started
        finally:
            connection.close()

    try:
        for rep in range(-1, reps):
            reset(False)
            started = time.perf_counter()
            with db.transaction() as tx:
                tx.repository(Item).bulk_insert(items(f"s{rep}-"))
            mine = time.perf_counter() - started
            reset(False)
            theirs = raw(
                RAW_INSERT.format(p=placeholder), items(f"r{rep}-"), ("sku", "name", "qty")
            )
            reset(True)
            started = time.perf_counter()
            with db.transaction() as tx:
                tx.repository(Item).upsert(
                    upserts(), conflict=["id"], update=["sku", "name", "qty"]
                )
            mine_upsert = time.perf_counter() - started
            reset(True)
            theirs_upsert = raw(RAW_UPSERT[backend], upserts(), ("id", "sku", "name", "qty"))
            if rep >= 0:
                ratios["bulk insert"].append(theirs / mine)  # throughput: time(raw) / time(mine)
                ratios["upsert"].append(theirs_upsert / mine_upsert)
        reset(False)
    finally:
        db.dispose()
    return {
        name: {"throughput vs raw executemany": statistics.median(v)} for name, v in ratios.items()
    }


def markdown(results: dict[str, Any]) -> str:
    """The results as the table docs/performance.md shows (CPU µs per operation, ratios)."""
    lines = [
        "| backend | workload | stanchion µs | hand-written µs | ratio | session path ratio |",
        "|---|---|---|---|---|---|",
    ]
    for backend, workloads in results.items():
        for name, figures in workloads.items():
            if "throughput vs raw executemany" in figures:
                ratio = figures["throughput vs raw executemany"]
                lines.append(
                    f"| {backend} | {name} (rows/s ÷ raw executemany) | | | {ratio:.2f} | |"
                )
                continue
            ratios = {k: v for k, v in figures.items() if "/" in k}
            mine_name, base_name = next(iter(ratios)).split("/")
            session = figures.get("session/sa")
            lines.append(
                f"| {backend} | {name} | {figures[mine_name]:.0f} | {figures[base_name]:.0f} "
                f"| {ratios[f'{mine_name}/{base_name}']:.2f} "
                f"| {'' if session is None else f'{session:.2f}'} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.cost", description=__doc__)
    p.add_argument("--backend", default="sqlite", help="comma-separated: sqlite,postgresql,mysql")
    p.add_argument("--url", help="base URL (one backend)")
    p.add_argument("--reps", type=int, default=7)
    p.add_argument("--batch", type=int, default=200)
    p.add_argument("--out", type=Path, help="write the results as JSON here")
    p.add_argument("--markdown", type=Path, nargs="*", help="print saved JSON results as a table")
    args = p.parse_args(argv)
    results: dict[str, Any] = {}
    if args.markdown:
        for path in args.markdown:
            results.update(json.loads(path.read_text()))
        print(markdown(results))
        return 0
    for backend in args.backend.split(","):
        sync_url, async_url = urls(backend, args.url)
        seed(sync_url)
        contenders = Contenders(sync_url, async_url)
        with asyncio.Runner() as loop:
            contenders.open()
            try:
                results[backend] = measure(contenders, loop, args.reps, args.batch)
            finally:
                loop.run(contenders.aclose())
        if backend in RAW_UPSERT:
            results[backend].update(measure_bulk(backend, sync_url, max(3, args.reps // 2)))
        for workload, figures in results[backend].items():
            ratios = {k: f"{v:.2f}" for k, v in figures.items() if "/" in k or "raw" in k}
            print(f"{backend:10} {workload:28} {ratios}", flush=True)
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
