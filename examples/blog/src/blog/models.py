"""The blog's tables: users write posts, posts have comments and tags (many-to-many)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from stanchion import IntegerPK, Model, SoftDelete, Timestamps, Versioned


class User(Model, IntegerPK, Timestamps):
    __tablename__ = "users"

    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(255), unique=True)
    #: Never filterable, sortable or returned: see UserRepository and UserOut.
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="author")
    is_active: Mapped[bool] = mapped_column(default=True)

    # One-to-many: a user's posts.
    # passive_deletes="all": deleting a user with posts is refused by the foreign key (a 409),
    # never by loading and orphaning the posts.
    posts: Mapped[list[Post]] = relationship(back_populates="author", passive_deletes="all")


class Post(Model, IntegerPK, Timestamps, SoftDelete, Versioned):
    __tablename__ = "posts"

    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    published: Mapped[bool] = mapped_column(default=False)
    views: Mapped[int] = mapped_column(default=0)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    # Many-to-one: the post's author.
    author: Mapped[User] = relationship(back_populates="posts")
    tags: Mapped[list[Tag]] = relationship(
        secondary="post_tags", back_populates="posts", order_by="Tag.name", passive_deletes=True
    )
    comments: Mapped[list[Comment]] = relationship(back_populates="post", passive_deletes=True)

    __table_args__ = (
        # The list endpoint's default order and keyset pages, with and without an author filter.
        Index("ix_posts_created_at_id", "created_at", "id"),
        Index("ix_posts_author_id_created_at", "author_id", "created_at"),
    )


class Comment(Model, IntegerPK, Timestamps, SoftDelete):
    __tablename__ = "comments"

    body: Mapped[str] = mapped_column(Text)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)

    post: Mapped[Post] = relationship(back_populates="comments")
    author: Mapped[User] = relationship()


class Tag(Model, IntegerPK):
    __tablename__ = "tags"

    name: Mapped[str] = mapped_column(String(50), unique=True)
    posts: Mapped[list[Post]] = relationship(
        secondary="post_tags", back_populates="tags", passive_deletes=True
    )


class PostTag(Model):
    """The association table, mapped so the seed can bulk-insert it through a repository."""

    __tablename__ = "post_tags"

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(
        ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True
    )


#: Every table of the app (what migrations compare against).
metadata = Model.metadata
