"""The sample's models: their own metadata, stanchion's naming convention and type map."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, MetaData, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from stanchion.models import NAMING_CONVENTION, IntegerPK, Timestamps
from stanchion.models.base import TYPE_MAP


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = TYPE_MAP


class PostStatus(enum.Enum):
    draft = "draft"
    published = "published"


class Author(Base, IntegerPK, Timestamps):
    __tablename__ = "authors"
    name: Mapped[str] = mapped_column(unique=True)


class Post(Base, IntegerPK):
    __tablename__ = "posts"
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id", ondelete="CASCADE"), index=True)
    title: Mapped[str]
    body: Mapped[str | None] = mapped_column(Text)
    status: Mapped[PostStatus] = mapped_column(
        Enum(PostStatus, name="post_status"), server_default="draft"
    )
    published_at: Mapped[datetime | None] = mapped_column(index=True)


metadata = Base.metadata
