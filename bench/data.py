"""Create the benchmark tables and seed them once; later runs reuse data of the same shape.

Seeding goes through the raw drivers (COPY on PostgreSQL) so a 1,000,000-row table takes seconds.
Rows are deterministic: every contender reads and writes exactly the same data.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import psycopg
from sqlalchemy import create_engine, text

from bench.context import Context
from bench.schema import BenchModel
from stanchion.engine.backends import backend_for

SCHEMA_VERSION = 2
BODY = "lorem ipsum dolor sit amet " * 8


def post_row(i: int, authors: int) -> tuple[Any, ...]:
    return (i, (i % authors) + 1, f"Post number {i}", BODY, (i * 7919) % 10_000, i % 3 != 0)


def author_row(i: int) -> tuple[Any, ...]:
    return (i, f"author-{i:05d}", f"author{i}@example.com")


def item_row(i: int) -> dict[str, Any]:
    return {"sku": f"SKU-{i:09d}", "name": f"Item {i}", "qty": i % 100}


def _signature(ctx: Context) -> str:
    s = ctx.sizes
    return f"v{SCHEMA_VERSION}:{s.posts}:{s.authors}"


def ensure_database(ctx: Context) -> None:
    """Create the database if it does not exist yet (through the backend profile's admin)."""
    url = ctx.sqlalchemy_url(is_async=False)
    admin = backend_for(url).admin
    if not admin.database_exists(url):
        admin.create_database(url)


def seed(ctx: Context) -> None:
    """Make sure the tables hold the data this run's sizes ask for; record the facts."""
    ensure_database(ctx)
    engine = create_engine(ctx.sqlalchemy_url(is_async=False))
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "CREATE TABLE IF NOT EXISTS bench_meta (k VARCHAR(40) PRIMARY KEY, v VARCHAR(200))"
            )
            current = conn.execute(text("SELECT v FROM bench_meta WHERE k = 'seed'")).scalar()
        if current != _signature(ctx):
            BenchModel.metadata.drop_all(engine)
            BenchModel.metadata.create_all(engine)
            _load(ctx)
            with engine.begin() as conn:
                conn.execute(text("DELETE FROM bench_meta WHERE k = 'seed'"))
                conn.execute(
                    text("INSERT INTO bench_meta (k, v) VALUES ('seed', :v)"),
                    {"v": _signature(ctx)},
                )
        reset_items(ctx)
        _analyze(ctx)
    finally:
        engine.dispose()
    ctx.facts["max_post_id"] = ctx.sizes.posts


def _posts(ctx: Context) -> Iterator[tuple[Any, ...]]:
    for i in range(1, ctx.sizes.posts + 1):
        yield post_row(i, ctx.sizes.authors)


def _load(ctx: Context) -> None:
    authors = [author_row(i) for i in range(1, ctx.sizes.authors + 1)]
    if ctx.backend == "postgresql":
        with psycopg.connect(ctx.dsn) as conn, conn.cursor() as cur:
            with cur.copy("COPY bench_authors (id, name, email) FROM STDIN") as copy:
                for row in authors:
                    copy.write_row(row)
            columns = "id, author_id, title, body, views, published"
            with cur.copy(f"COPY bench_posts ({columns}) FROM STDIN") as copy:
                for row in _posts(ctx):
                    copy.write_row(row)
            for table in ("bench_authors", "bench_posts"):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
        return
    lite = sqlite3.connect(ctx.sqlite_path)
    try:
        with lite:
            lite.executemany("INSERT INTO bench_authors VALUES (?, ?, ?)", authors)
            lite.executemany(
                "INSERT INTO bench_posts (id, author_id, title, body, views, published) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                _posts(ctx),
            )
    finally:
        lite.close()


def _analyze(ctx: Context) -> None:
    if ctx.backend == "postgresql":
        with psycopg.connect(ctx.dsn, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE bench_posts")
            conn.execute("VACUUM ANALYZE bench_authors")
            conn.execute("VACUUM ANALYZE bench_items")
    else:
        lite = sqlite3.connect(ctx.sqlite_path)
        try:
            lite.execute("ANALYZE")
        finally:
            lite.close()


def reset_items(ctx: Context, *, keep: int = 0) -> None:
    """Empty the write table, then put back its first `keep` rows (ids 1..keep)."""
    rows = [(i, *item_row(i).values()) for i in range(1, keep + 1)]
    if ctx.backend == "postgresql":
        with psycopg.connect(ctx.dsn) as conn, conn.cursor() as cur:
            cur.execute("TRUNCATE bench_items RESTART IDENTITY")
            if rows:
                with cur.copy("COPY bench_items (id, sku, name, qty) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                cur.execute(
                    "SELECT setval(pg_get_serial_sequence('bench_items', 'id'), %s)", (keep,)
                )
        return
    lite = sqlite3.connect(ctx.sqlite_path)
    try:
        with lite:
            lite.execute("DELETE FROM bench_items")
            lite.executemany(
                "INSERT INTO bench_items (id, sku, name, qty) VALUES (?, ?, ?, ?)", rows
            )
    finally:
        lite.close()


def items_checksum(ctx: Context) -> int:
    """Rows in the write table and the sum of their quantities, folded into one number."""
    query = "SELECT count(*), coalesce(sum(qty), 0), count(DISTINCT name) FROM bench_items"
    if ctx.backend == "postgresql":
        with psycopg.connect(ctx.dsn) as conn:
            row = conn.execute(query).fetchone()
    else:
        lite = sqlite3.connect(ctx.sqlite_path)
        try:
            row = lite.execute(query).fetchone()
        finally:
            lite.close()
    assert row is not None
    return int(row[0]) * 10**12 + int(row[1]) * 10**3 + int(row[2]) % 1000
