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
    filter_fields = ("name", "email", "role", "is_active")
    sort_fields = ("name", "email", "created_at")
    update_fields = ("name", "role", "is_active")
    default_sort = "name"
    max_page_size = 100


class PostRepository(Repository[Post]):
    filter_fields = ("author_id", "published", "title", "created_at")
    custom_filters: ClassVar[dict[str, Any]] = {"tag": _post_has_tag}
    sort_fields = ("created_at", "title", "views")
    update_fields = ("title", "body", "published")
    default_sort = "-created_at"
    max_page_size = 100
    # Author and tags come with every post: three queries for a page of any size.
    default_options = (selectinload(Post.author), selectinload(Post.tags))


class CommentRepository(Repository[Comment]):
    filter_fields = ("post_id", "author_id")
    sort_fields = ("created_at",)
    update_fields = ("body",)
    default_sort = "created_at"
    default_options = (selectinload(Comment.author),)


class TagRepository(Repository[Tag]):
    filter_fields = ("name",)
    sort_fields = ("name",)
    update_fields = ("name",)
    default_sort = "name"
