"""docs/models.md: a model per table, with the mixins most tables want."""

import os
import uuid

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from stanchion import Database, IntegerPK, Model, SoftDelete, Timestamps, UUIDv7PK, Versioned


class Author(Model, IntegerPK, Timestamps):
    __tablename__ = "ex_models_authors"
    name: Mapped[str] = mapped_column(unique=True)  # String(255) from the type map
    bio: Mapped[str | None] = mapped_column(Text)
    posts: Mapped[list["Post"]] = relationship(back_populates="author")


class Post(Model, UUIDv7PK, Timestamps, SoftDelete, Versioned):
    __tablename__ = "ex_models_posts"
    title: Mapped[str] = mapped_column(String(200))
    views: Mapped[int] = mapped_column(default=0)
    author_id: Mapped[int] = mapped_column(ForeignKey("ex_models_authors.id"), index=True)
    author: Mapped[Author] = relationship(back_populates="posts")
    __table_args__ = (CheckConstraint("views >= 0", name="views_not_negative"),)


db = Database(os.environ.get("DATABASE_URL") or "sqlite:///./examples.db")  # not ./stanchion.db
created = db.create_all(Model.metadata)  # only the missing tables
with db.transaction() as tx:
    ada = tx.repository(Author).add(Author(name="Ada"))
    post = tx.repository(Post).add(Post(title="Hello", author_id=ada.id))
    # after add(): the key (UUIDv7, made in Python) and the database's timestamps are set
    assert isinstance(post.id, uuid.UUID) and post.id.version == 7
    assert post.created_at.tzinfo is not None and post.version == 1

with db.transaction() as tx:
    tx.repository(Post).update(post.id, {"title": "Hello again"})  # version 2, updated_at moves

assert Post.__table__.primary_key.name == "pk_ex_models_posts"
assert {c.name for c in Post.__table__.constraints if c.name.startswith("ck")} == {
    "ck_ex_models_posts_views_not_negative"
}
assert {i.name for i in Post.__table__.indexes} == {"ix_ex_models_posts_author_id"}
db.drop_all(Model.metadata, tables=created)  # only what this run created
db.dispose()
