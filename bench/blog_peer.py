"""The benchmark's peer for the reference blog: the endpoints bench/http.py drives, written by
hand on FastAPI and plain SQLAlchemy async (``create_async_engine``, ``async_sessionmaker``),
no stanchion.

Same tables (the blog's models), same queries (a page of posts newest first with authors and
tags by ``selectinload``, one post, a post's comments with their authors, one user, a new
post), same JSON, so the difference measured is what stanchion's layers cost or save. What a
careful hand-written app would also do is here too (soft-deleted rows hidden, the version as
the ETag, an opaque keyset cursor); what the benchmark never calls is not. ``DATABASE_URL``
(async driver) configures it.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from blog.models import Comment, Post, User
from blog.schemas import CommentOut, PostIn, PostOut, UserOut
from fastapi import Depends, FastAPI, Header, HTTPException, Query, Response
from pydantic import BaseModel
from sqlalchemy import Select, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import selectinload

_engine = create_async_engine(os.environ.get("DATABASE_URL", "sqlite+aiosqlite:///peer.db"))
_sessions = async_sessionmaker(_engine, expire_on_commit=False)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    await _engine.dispose()


app = FastAPI(lifespan=_lifespan)


async def _session() -> AsyncIterator[AsyncSession]:
    async with _sessions() as session, session.begin():
        yield session


SessionDep = Annotated[AsyncSession, Depends(_session, scope="function")]


class PostPage(BaseModel):
    items: list[PostOut]
    next_cursor: str | None
    limit: int


class CommentPage(BaseModel):
    items: list[CommentOut]
    next_cursor: str | None
    limit: int


def _cursor(at: dt.datetime, ident: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([at.isoformat(), ident]).encode()).decode()


def _after(cursor: str) -> tuple[dt.datetime, int]:
    try:
        at, ident = json.loads(base64.urlsafe_b64decode(cursor))
        return dt.datetime.fromisoformat(at), int(ident)
    except (ValueError, TypeError) as error:
        raise HTTPException(422, "invalid cursor") from error


async def _page(
    session: AsyncSession, stmt: Select[Any], limit: int
) -> tuple[list[Any], str | None]:
    rows = list((await session.scalars(stmt.limit(limit + 1))).unique())
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, _cursor(rows[-1].created_at, rows[-1].id)


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/posts")
async def list_posts(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    author_id: int | None = None,
    cursor: str | None = None,
) -> PostPage:
    stmt = (
        select(Post)
        .where(Post.deleted_at.is_(None))
        .options(selectinload(Post.author), selectinload(Post.tags))
        .order_by(Post.created_at.desc(), Post.id.desc())
    )
    if author_id is not None:
        stmt = stmt.where(Post.author_id == author_id)
    if cursor:
        stmt = stmt.where(tuple_(Post.created_at, Post.id) < tuple_(*_after(cursor)))
    rows, next_cursor = await _page(session, stmt, limit)
    return PostPage(
        items=[PostOut.model_validate(p) for p in rows], next_cursor=next_cursor, limit=limit
    )


async def _post(session: AsyncSession, post_id: int) -> Post:
    post = await session.scalar(
        select(Post)
        .where(Post.id == post_id, Post.deleted_at.is_(None))
        .options(selectinload(Post.author), selectinload(Post.tags))
    )
    if post is None:
        raise HTTPException(404, "post not found")
    return post


@app.get("/posts/{post_id}")
async def get_post(post_id: int, session: SessionDep, response: Response) -> PostOut:
    post = await _post(session, post_id)
    response.headers["ETag"] = f'"{post.version}"'
    return PostOut.model_validate(post)


@app.get("/posts/{post_id}/comments")
async def list_post_comments(
    post_id: int,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
) -> CommentPage:
    await _post(session, post_id)
    stmt = (
        select(Comment)
        .where(Comment.post_id == post_id, Comment.deleted_at.is_(None))
        .options(selectinload(Comment.author))
        .order_by(Comment.created_at, Comment.id)
    )
    if cursor:
        stmt = stmt.where(tuple_(Comment.created_at, Comment.id) > tuple_(*_after(cursor)))
    rows, next_cursor = await _page(session, stmt, limit)
    return CommentPage(
        items=[CommentOut.model_validate(c) for c in rows], next_cursor=next_cursor, limit=limit
    )


@app.get("/users/{user_id}")
async def get_user(user_id: int, session: SessionDep) -> UserOut:
    user = await session.get(User, user_id)
    if user is None:
        raise HTTPException(404, "user not found")
    return UserOut.model_validate(user)


@app.post("/posts", status_code=201)
async def create_post(
    data: PostIn,
    session: SessionDep,
    response: Response,
    x_user_id: Annotated[int, Header()],
) -> PostOut:
    user = await session.get(User, x_user_id)
    if user is None or not user.is_active:
        raise HTTPException(401, "send X-User-Id with the id of an active user")
    post = Post(title=data.title, body=data.body, published=data.published, author=user, tags=[])
    session.add(post)
    await session.flush()
    response.headers["Location"] = f"/posts/{post.id}"
    response.headers["ETag"] = f'"{post.version}"'
    return PostOut.model_validate(post)
