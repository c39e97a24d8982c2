"""The spec's JSON shapes: each body is wrapped (``{"user": {...}}``), fields are camelCase.

Blank or missing required strings fail validation; `conduit.errors` turns that into the spec's
``422 {"errors": {"title": ["can't be blank"]}}``. ``bio`` and ``image`` take null for "none",
and an empty string means the same (stored as null).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from stanchion.fastapi import StorableStr


def _not_blank(value: str) -> str:
    """Surrounding spaces trimmed; nothing left is "can't be blank" (a ``string_too_short``)."""
    value = value.strip()
    if not value:
        raise PydanticCustomError("string_too_short", "can't be blank")
    return value


#: A required text field: trimmed, not blank, and never a NUL or a lone surrogate (StorableStr),
#: which a database would refuse with a server error.
Text = Annotated[StorableStr, AfterValidator(_not_blank)]
Short = Annotated[StorableStr, AfterValidator(_not_blank), StringConstraints(max_length=100)]
Email = Annotated[
    StorableStr,
    AfterValidator(_not_blank),
    StringConstraints(max_length=255, pattern=r"^[^@\s]+@\S+$"),
]
Password = Annotated[StorableStr, StringConstraints(min_length=1, max_length=1024)]
Title = Annotated[StorableStr, AfterValidator(_not_blank), StringConstraints(max_length=255)]


def _blank_is_none(value: str | None) -> str | None:
    return None if value is None or not value.strip() else value


Bio = Annotated[StorableStr | None, AfterValidator(_blank_is_none)]
Image = Annotated[
    StorableStr | None, StringConstraints(max_length=1000), AfterValidator(_blank_is_none)
]


def _distinct(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))


TagList = Annotated[
    list[Annotated[StorableStr, AfterValidator(_not_blank), StringConstraints(max_length=100)]],
    Field(max_length=50),
    AfterValidator(_distinct),
]


class Schema(BaseModel):
    """camelCase on the wire (``tagList``), snake_case in Python; unknown fields ignored."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


# ----- requests -----


class NewUser(Schema):
    username: Short
    email: Email
    password: Password


class LoginUser(Schema):
    email: Email
    password: Password


class UserChanges(Schema):
    username: Short | None = None
    email: Email | None = None
    password: Password | None = None
    bio: Bio = None
    image: Image = None


class NewArticle(Schema):
    title: Title
    description: Text
    body: Text
    tag_list: TagList = []


class ArticleChanges(Schema):
    title: Title | None = None
    description: Text | None = None
    body: Text | None = None
    tag_list: TagList | None = None


class NewComment(Schema):
    body: Text


class NewUserBody(Schema):
    user: NewUser


class LoginBody(Schema):
    user: LoginUser


class UserChangesBody(Schema):
    user: UserChanges


class NewArticleBody(Schema):
    article: NewArticle


class ArticleChangesBody(Schema):
    article: ArticleChanges


class NewCommentBody(Schema):
    comment: NewComment


# ----- responses -----


class UserOut(Schema):
    email: str
    token: str
    username: str
    bio: str | None
    image: str | None


class ProfileOut(Schema):
    username: str
    bio: str | None
    image: str | None
    following: bool


class ArticleSummary(Schema):
    """An article in a list: everything but the body."""

    slug: str
    title: str
    description: str
    tag_list: list[str]
    created_at: datetime
    updated_at: datetime
    favorited: bool
    favorites_count: int
    author: ProfileOut


class ArticleOut(ArticleSummary):
    body: str


class CommentOut(Schema):
    id: int
    created_at: datetime
    updated_at: datetime
    body: str
    author: ProfileOut


class UserBody(Schema):
    user: UserOut


class ProfileBody(Schema):
    profile: ProfileOut


class ArticleBody(Schema):
    article: ArticleOut


class ArticleList(Schema):
    articles: list[ArticleSummary]
    articles_count: int


class CommentBody(Schema):
    comment: CommentOut


class CommentList(Schema):
    comments: list[CommentOut]


class TagNames(Schema):
    tags: list[str]
