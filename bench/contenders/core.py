"""SQLAlchemy Core, written the usual way: statements built inline, rows back, one connection."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, create_engine, func, insert, select, true, update

from bench.contenders.base import Contender
from bench.contenders.orm import chunks, upsert_statement
from bench.schema import Author, Item, Post

# Declarative models type __table__ as a FromClause; these are plain tables.
posts: Table = Post.__table__  # type: ignore[assignment]
authors: Table = Author.__table__  # type: ignore[assignment]
items: Table = Item.__table__  # type: ignore[assignment]


class Core(Contender):
    name = "core"
    family = "core"
    note = "SQLAlchemy Core: select()/insert() built per call, Row tuples"

    def open(self) -> None:
        self.engine = create_engine(self.ctx.sqlalchemy_url(is_async=False))

    def close(self) -> None:
        self.engine.dispose()

    def get(self, ids: list[int]) -> int:
        total = 0
        with self.engine.connect() as conn:
            for i in ids:
                row = conn.execute(select(posts).where(posts.c.id == i)).one()
                total += row.id + row.views
        return total

    def page(self, author_ids: list[int]) -> int:
        total = 0
        with self.engine.connect() as conn:
            for a in author_ids:
                stmt = (
                    select(posts, authors.c.name, authors.c.email, authors.c.id.label("aid"))
                    .join(authors, authors.c.id == posts.c.author_id)
                    .where(posts.c.author_id == a, posts.c.published == true())
                    .order_by(posts.c.id)
                    .limit(50)
                )
                total += sum(r.id + r.aid for r in conn.execute(stmt))
        return total

    def count(self, author_ids: list[int]) -> int:
        total = 0
        with self.engine.connect() as conn:
            for a in author_ids:
                stmt = select(func.count()).select_from(posts).where(posts.c.author_id == a)
                total += conn.execute(stmt).scalar_one()
        return total

    def keyset(self, afters: list[int | None]) -> int:
        total = 0
        with self.engine.connect() as conn:
            for after in afters:
                stmt = select(posts).order_by(posts.c.id).limit(50)
                if after is not None:
                    stmt = stmt.where(posts.c.id > after)
                total += sum(r.id for r in conn.execute(stmt))
        return total

    def offset(self, offsets: list[int]) -> int:
        total = 0
        with self.engine.connect() as conn:
            for o in offsets:
                stmt = select(posts).order_by(posts.c.id).limit(50).offset(o)
                total += sum(r.id for r in conn.execute(stmt))
        return total

    def insert_one(self, rows: list[dict[str, Any]]) -> int:
        total = 0
        with self.engine.begin() as conn:
            for r in rows:
                total += conn.execute(insert(items).values(r).returning(items.c.id)).scalar_one()
        return total

    def bulk_insert(self, batches: list[list[dict[str, Any]]]) -> int:
        with self.engine.begin() as conn:
            conn.execute(insert(items), batches[0])
        return len(batches[0])

    def upsert(self, batches: list[list[dict[str, Any]]]) -> int:
        with self.engine.begin() as conn:
            for chunk in chunks(batches[0]):
                conn.execute(upsert_statement(self.ctx.backend, chunk))
        return len(batches[0])

    def update(self, changes: list[tuple[int, int]]) -> int:
        with self.engine.begin() as conn:
            for ident, views in changes:
                conn.execute(update(posts).where(posts.c.id == ident).values(views=views))
        return sum(v for _, v in changes)
