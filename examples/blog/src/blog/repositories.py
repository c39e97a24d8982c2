"""What clients may filter and sort on, per model: the allow-lists the API's query helpers read."""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import ColumnElement
from sqlalchemy.orm import selectinload

from blog.models import Comment, Post, Tag, User
from stanchion import Repository


def _post_has_tag(name: Any) -> ColumnElement[bool]:
    return Post.tags.any(Tag.name == str(name))


class UserRepository(Repository[User]):
    # password_hash is in neither list: a client can never filter or sort by it.
    # Each field exposes only the operators a client needs (seven query parameters, not 30).
    filter_fields: ClassVar[dict[str, tuple[str, ...]]] = {
        "name": ("eq", "icontains"),
        "email": ("eq",),
        "role": ("eq", "in"),
        "is_active": ("eq",),
    }
    sort_fields = ("name", "email", "created_at")
    update_fields = ("name", "role", "is_active")
    default_sort = "name"
    max_page_size = 100


class PostRepository(Repository[Post]):
    filter_fields: ClassVar[dict[str, tuple[str, ...]]] = {
        "author_id": ("eq", "in"),
        "published": ("eq",),
        "title": ("icontains",),
        "created_at": ("gte", "lt"),
    }
    custom_filters: ClassVar[dict[str, Any]] = {"tag": _post_has_tag}
    sort_fields = ("created_at", "title", "views")
    update_fields = ("title", "body", "published", "tags")
    default_sort = "-created_at"
    max_page_size = 100
    # Author and tags come with every post: three queries for a page of any size.
    default_options = (selectinload(Post.author), selectinload(Post.tags))


class CommentRepository(Repository[Comment]):
    filter_fields: ClassVar[dict[str, tuple[str, ...]]] = {
        "post_id": ("eq", "in"),
        "author_id": ("eq", "in"),
    }
    sort_fields = ("created_at",)
    update_fields = ("body",)
    default_sort = "created_at"
    default_options = (selectinload(Comment.author),)


class TagRepository(Repository[Tag]):
    filter_fields: ClassVar[dict[str, tuple[str, ...]]] = {"name": ("eq", "startswith")}
    sort_fields = ("name",)
    update_fields = ("name",)
    default_sort = "name"
