"""Models used by stanchion's own tests (not the reference app)."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Double,
    Enum,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from stanchion import IntegerPK, ModelBase, SoftDelete, Timestamps, UUIDv7PK, Versioned


class TestModel(ModelBase, DeclarativeBase):
    """The test models' own registry: an application's `Model.metadata` holds only its tables."""

    __test__ = False  # not a pytest test class
    if TYPE_CHECKING:
        __table__: ClassVar[Table]  # each test model maps a Table (not a join or a select)


shelf_books = Table(
    "t_shelf_books",
    TestModel.metadata,
    Column("shelf_id", ForeignKey("t_shelves.id", ondelete="CASCADE"), primary_key=True),
    Column("book_id", ForeignKey("t_books.id", ondelete="CASCADE"), primary_key=True),
)


class Writer(TestModel, IntegerPK, Timestamps, Versioned):
    __tablename__ = "t_writers"
    name: Mapped[str] = mapped_column(unique=True)
    email: Mapped[str | None] = mapped_column(String(255))
    rating: Mapped[int] = mapped_column(default=0)
    books: Mapped[list[Book]] = relationship(back_populates="writer", passive_deletes=True)


class Book(TestModel, IntegerPK, Timestamps, SoftDelete):
    __tablename__ = "t_books"
    title: Mapped[str]
    pages: Mapped[int] = mapped_column(default=100)
    published: Mapped[bool] = mapped_column(default=False)
    summary: Mapped[str | None] = mapped_column(Text)
    writer_id: Mapped[int] = mapped_column(
        ForeignKey("t_writers.id", ondelete="CASCADE"), index=True
    )
    writer: Mapped[Writer] = relationship(back_populates="books")
    shelves: Mapped[list[Shelf]] = relationship(secondary=shelf_books, back_populates="books")
    __table_args__ = (CheckConstraint("pages >= 0", name="pages_not_negative"),)


class Shelf(TestModel, UUIDv7PK):
    __tablename__ = "t_shelves"
    label: Mapped[str] = mapped_column(unique=True)
    books: Mapped[list[Book]] = relationship(secondary=shelf_books, back_populates="shelves")


class Account(TestModel, IntegerPK):
    __tablename__ = "t_accounts"
    owner: Mapped[str]
    region: Mapped[str] = mapped_column(String(20), default="eu")
    balance: Mapped[int] = mapped_column(Integer, default=0)
    __table_args__ = (UniqueConstraint("owner", "region"),)


class SeedUser(TestModel, IntegerPK):
    """The seed's users and posts: the classic N+1 loop (see tests/test_testing_nplusone.py)."""

    __tablename__ = "t_seed_users"
    name: Mapped[str] = mapped_column(String(100))
    posts: Mapped[list[SeedPost]] = relationship(back_populates="author")


class SeedPost(TestModel, IntegerPK):
    __tablename__ = "t_seed_posts"
    title: Mapped[str] = mapped_column(String(200))
    author_id: Mapped[int] = mapped_column(ForeignKey("t_seed_users.id"), index=True)
    author: Mapped[SeedUser] = relationship(back_populates="posts")


class Mood(enum.Enum):
    calm = "calm"
    loud = "loud"


class Palette(TestModel, UUIDv7PK):
    """JSON and enum columns: values a bulk COPY must convert as an INSERT would."""

    __tablename__ = "t_palettes"
    name: Mapped[str] = mapped_column(unique=True)
    colors: Mapped[list[Any]]
    mood: Mapped[Mood] = mapped_column(Enum(Mood, name="t_mood"))


class Reading(TestModel, IntegerPK):
    """A column of every kind filters treat differently: the operator table's test rows."""

    __tablename__ = "t_readings"
    label: Mapped[str] = mapped_column(String(20), unique=True)
    level: Mapped[float] = mapped_column(Double)
    amount: Mapped[Decimal]
    day: Mapped[dt.date]
    at: Mapped[dt.time]
    taken_at: Mapped[dt.datetime]
    token: Mapped[uuid.UUID]
    mood: Mapped[Mood] = mapped_column(Enum(Mood, name="t_reading_mood"))
    flag: Mapped[bool]
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    small: Mapped[int] = mapped_column(SmallInteger, default=0)
    medium: Mapped[int] = mapped_column(Integer, default=0)
