"""Conduit's tables: users follow users, write articles (tagged, favorited) and comments."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from stanchion import IntegerPK, ModelBase, Timestamps


class Model(ModelBase, DeclarativeBase):
    """Conduit's own declarative base: its own metadata, so it shares a process (a test run)
    with other stanchion apps whose tables have the same names."""


class User(Model, IntegerPK, Timestamps):
    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(100), unique=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    #: An argon2 hash; never returned, filtered on or logged.
    password_hash: Mapped[str] = mapped_column(String(255))
    bio: Mapped[str | None] = mapped_column(Text, default=None)
    image: Mapped[str | None] = mapped_column(String(1000), default=None)


class Follow(Model):
    """`follower` follows `followee` (the feed's source)."""

    __tablename__ = "follows"

    follower_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    followee_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Article(Model, IntegerPK, Timestamps):
    __tablename__ = "articles"

    slug: Mapped[str] = mapped_column(String(255), unique=True)
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))

    author: Mapped[User] = relationship()

    __table_args__ = (
        # Newest first, for everyone and per author (the feed and ?author=).
        Index("ix_articles_created_at_id", "created_at", "id"),
        Index("ix_articles_author_id_created_at", "author_id", "created_at"),
    )


class Tag(Model, IntegerPK):
    __tablename__ = "tags"

    name: Mapped[str] = mapped_column(String(100), unique=True)


class ArticleTag(Model):
    """An article's tag; `position` keeps the order the author gave."""

    __tablename__ = "article_tags"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(
        ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(default=0)


class Favorite(Model):
    __tablename__ = "favorites"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Comment(Model, IntegerPK, Timestamps):
    __tablename__ = "comments"

    body: Mapped[str] = mapped_column(Text)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)

    author: Mapped[User] = relationship()


#: Every table of the app (what migrations compare against).
metadata = Model.metadata
