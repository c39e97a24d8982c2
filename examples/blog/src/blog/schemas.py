"""Request and response bodies. Inputs forbid unknown fields: ids, authors and versions are the
server's to set, so a client sending them gets a 422 instead of being silently ignored."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from stanchion.fastapi import StorableStr

#: Tags are lowercase slugs, so "Python" and "python" cannot both exist.
TagName = Annotated[str, Field(min_length=1, max_length=50, pattern=r"^[a-z0-9][a-z0-9-]*$")]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class UserIn(Input):
    name: StorableStr = Field(min_length=1, max_length=100)
    email: StorableStr = Field(max_length=255, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    password: StorableStr = Field(min_length=8, max_length=128)


class UserPatch(Input):
    name: StorableStr | None = Field(None, min_length=1, max_length=100)
    role: str | None = Field(None, pattern=r"^(author|moderator|admin)$")
    is_active: bool | None = None


class UserOut(Output):
    id: int
    name: str
    email: str
    role: str
    is_active: bool
    created_at: dt.datetime


class AuthorOut(Output):
    id: int
    name: str


class TagIn(Input):
    name: TagName


class TagOut(Output):
    id: int
    name: str


class PostIn(Input):
    title: StorableStr = Field(min_length=1, max_length=200)
    body: StorableStr = Field(max_length=100_000)
    published: bool = False
    tags: list[TagName] = Field(default_factory=list, max_length=10)


class PostPatch(Input):
    title: StorableStr | None = Field(None, min_length=1, max_length=200)
    body: StorableStr | None = Field(None, max_length=100_000)
    published: bool | None = None
    tags: list[TagName] | None = Field(None, max_length=10)


class PostOut(Output):
    id: int
    title: str
    body: str
    published: bool
    views: int
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    author: AuthorOut
    tags: list[TagOut]


class CommentIn(Input):
    body: StorableStr = Field(min_length=1, max_length=10_000)


class CommentOut(Output):
    id: int
    post_id: int
    body: str
    created_at: dt.datetime
    author: AuthorOut


class UserStats(BaseModel):
    user_id: int
    name: str
    posts: int
    published_posts: int
    total_views: int
    comments_written: int
    comments_received: int
    last_post_at: dt.datetime | None


class AuthorRank(BaseModel):
    user_id: int
    name: str
    published_posts: int
    total_views: int


class PoolOut(BaseModel):
    size: int
    checked_out: int
    checked_in: int
    overflow: int


class HealthOut(BaseModel):
    status: str
    backend: str
    latency_ms: float | None
    pool: PoolOut
    schema_at_head: bool | None
    schema_revision: str | None
    schema_head: str | None
