"""The benchmark schema, shared by every contender: authors, their posts, and items to write.

A registry of its own (not stanchion's `Model`), so benchmark tables never mix with the test
suite's or an application's; same naming convention, type map and key mixin as `Model`.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from stanchion import IntegerPK
from stanchion.models.base import NAMING_CONVENTION, TYPE_MAP


class BenchModel(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = TYPE_MAP


class Author(BenchModel, IntegerPK):
    __tablename__ = "bench_authors"
    name: Mapped[str] = mapped_column(String(100), unique=True)
    email: Mapped[str] = mapped_column(String(200))


class Post(BenchModel, IntegerPK):
    __tablename__ = "bench_posts"
    author_id: Mapped[int] = mapped_column(ForeignKey("bench_authors.id"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    views: Mapped[int]
    published: Mapped[bool]
    author: Mapped[Author] = relationship(lazy="raise")
    __table_args__ = (Index("ix_bench_posts_author_id_id", "author_id", "id"),)


class Item(BenchModel, IntegerPK):
    """The write target: single inserts, bulk inserts and upserts (by `sku`)."""

    __tablename__ = "bench_items"
    sku: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    qty: Mapped[int]


POST_COLUMNS = ("id", "author_id", "title", "body", "views", "published")
ITEM_COLUMNS = ("sku", "name", "qty")
