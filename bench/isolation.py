"""Per-test cost of keeping tests apart: savepoint rollback vs TRUNCATE vs drop/create.

``python -m bench.isolation [--backend sqlite|postgresql] [--tests N]``. Every strategy runs the
same small test body (a user, three posts and a comment committed, then read back) N times,
round-robin, and reports the median and p90 time per test and the overhead over the body run
without any cleanup.
PostgreSQL comes from STANCHION_BENCH_POSTGRESQL_URL (default: the local server, database
``stanchion_bench_isolation``). Not a test: it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import ForeignKey, String, func, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from stanchion import AsyncDatabase, Database
from stanchion.testing.databases import prepare
from stanchion.testing.isolation import async_isolated, delete_rows, isolated, tables_of


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "bi_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)


class Post(Base):
    __tablename__ = "bi_posts"
    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("bi_users.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))


class Comment(Base):
    __tablename__ = "bi_comments"
    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("bi_posts.id"), index=True)
    body: Mapped[str] = mapped_column(String(500))


class Tag(Base):
    __tablename__ = "bi_tags"
    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(50), unique=True)


class Audit(Base):
    __tablename__ = "bi_audit"
    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(String(100))


TABLES = tables_of(Base.metadata)
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/stanchion_bench_isolation"


def body(db: Database, n: int) -> None:
    """What a typical small database test does: write a few rows, commit, read them back."""
    with db.session() as session:
        user = User(name=f"user{n}-{time.perf_counter_ns()}")
        session.add(user)
        session.flush()
        posts = [Post(author_id=user.id, title=f"post {i}") for i in range(3)]
        session.add_all(posts)
        session.flush()
        session.add(Comment(post_id=posts[0].id, body="first"))
        session.commit()
    with db.session() as session:
        assert (session.scalar(select(func.count()).select_from(Post)) or 0) >= 3


async def abody(db: AsyncDatabase, n: int) -> None:
    async with db.session() as session:
        user = User(name=f"user{n}-{time.perf_counter_ns()}")
        session.add(user)
        await session.flush()
        posts = [Post(author_id=user.id, title=f"post {i}") for i in range(3)]
        session.add_all(posts)
        await session.flush()
        session.add(Comment(post_id=posts[0].id, body="first"))
        await session.commit()
    async with db.session() as session:
        assert (await session.scalar(select(func.count()).select_from(Post)) or 0) >= 3


def timed(runs: dict[str, Callable[[int], None]], tests: int) -> dict[str, list[float]]:
    """Run the strategies round-robin, so machine noise spreads evenly over all of them."""
    samples: dict[str, list[float]] = {name: [] for name in runs}
    for n in range(tests):
        for name, run in runs.items():
            started = time.perf_counter()
            run(n)
            samples[name].append((time.perf_counter() - started) * 1000)
    return samples


def strategies(db: Database, backend: str) -> dict[str, Callable[[int], None]]:
    def baseline(n: int) -> None:
        body(db, n)  # no cleanup: rows pile up (what leaking tests do)

    def savepoint(n: int) -> None:
        with isolated(db):
            body(db, n)

    def truncate(n: int) -> None:
        body(db, n)
        with db.engine.begin() as connection:
            if backend == "postgresql":
                names = ", ".join(table.name for table in TABLES)
                connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:  # SQLite has no TRUNCATE; an unqualified DELETE is its truncate optimisation
                delete_rows(connection, TABLES)

    def drop_create(n: int) -> None:
        body(db, n)
        db.drop_all(Base.metadata)
        db.create_all(Base.metadata)

    return {
        "no cleanup (baseline)": baseline,
        "savepoint rollback": savepoint,
        "TRUNCATE" if backend == "postgresql" else "DELETE all rows": truncate,
        "drop_all + create_all": drop_create,
    }


async def async_savepoint(db: AsyncDatabase, tests: int) -> list[float]:
    samples = []
    for n in range(tests):
        started = time.perf_counter()
        async with async_isolated(db):
            await abody(db, n)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def report(name: str, samples: list[float], baseline: float | None) -> None:
    samples = sorted(samples)
    median = statistics.median(samples)
    p90 = samples[int(len(samples) * 0.9) - 1]
    extra = "" if baseline is None else f"   overhead {median - baseline:+7.2f} ms"
    print(f"  {name:<28} median {median:7.2f} ms   p90 {p90:7.2f} ms{extra}")


def run(backend: str, tests: int) -> None:
    if backend == "postgresql":
        base = os.environ.get("STANCHION_BENCH_POSTGRESQL_URL", DEFAULT_PG)
    else:
        base = f"sqlite:///{Path(tempfile.mkdtemp(prefix='stanchion-bench-')) / 'bench.db'}"
    url = prepare(base, Base.metadata.create_all, worker="bench")
    db = Database(url)
    print(f"{backend}: {tests} tests per strategy (per-test time, lower is better)")
    try:
        runs = strategies(db, backend)
        for strategy in runs.values():
            strategy(-1)  # warm up connections and statement caches
        results = timed(runs, tests)
        baseline = statistics.median(results["no cleanup (baseline)"])
        for name, samples in results.items():
            report(name, samples, None if name.startswith("no cleanup") else baseline)
        with db.engine.begin() as connection:
            delete_rows(connection, TABLES)
        async_url = url.set(drivername=url.get_backend_name())
        asyncio.run(_async(async_url.render_as_string(hide_password=False), tests))
    finally:
        db.dispose()


async def _async(url: str, tests: int) -> None:
    adb = AsyncDatabase(url)
    try:
        await async_savepoint(adb, 3)
        report("savepoint rollback (async)", await async_savepoint(adb, tests), None)
    finally:
        await adb.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.isolation", description=__doc__)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], action="append")
    parser.add_argument("--tests", type=int, default=200, help="tests per strategy")
    args = parser.parse_args(argv)
    for backend in args.backend or ["sqlite", "postgresql"]:
        run(backend, args.tests)


if __name__ == "__main__":
    main()
