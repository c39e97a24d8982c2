"""The benchmark's peer for the Conduit app: the same endpoints written by hand on FastAPI and
plain SQLAlchemy async (``create_async_engine``, ``async_sessionmaker``), no stanchion.

It issues the same queries as examples/conduit (a page, its authors by ``selectinload``, a
COUNT, tags, grouped favorites, follows) over the same tables, and decodes the same tokens, so
the difference measured is what stanchion's layers cost or save. Only what the benchmark calls
is here: list, feed, one article, create, favorite, comment. ``DATABASE_URL`` (async driver)
and ``CONDUIT_JWT_SECRET`` configure it.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Annotated, Any

import jwt
from conduit.models import Article, ArticleTag, Comment, Favorite, Follow, Tag, User
from fastapi import Depends, FastAPI, HTTPException, Request
from sqlalchemy import case, desc, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import selectinload

_engine = create_async_engine(os.environ.get("DATABASE_URL", "sqlite+aiosqlite:///peer.db"))
_sessions = async_sessionmaker(_engine, expire_on_commit=False)
_SECRET = os.environ.get("CONDUIT_JWT_SECRET", "")


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    await _engine.dispose()


app = FastAPI(lifespan=_lifespan)


async def _session() -> AsyncIterator[AsyncSession]:
    async with _sessions() as session, session.begin():
        yield session


SessionDep = Annotated[AsyncSession, Depends(_session, scope="function")]


def _viewer(request: Request) -> int | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    try:
        return int(jwt.decode(header.removeprefix("Token "), _SECRET, algorithms=["HS256"])["sub"])
    except (jwt.InvalidTokenError, ValueError) as error:
        raise HTTPException(401) from error


def _user(request: Request) -> int:
    viewer = _viewer(request)
    if viewer is None:
        raise HTTPException(401)
    return viewer


Viewer = Annotated[int | None, Depends(_viewer)]
UserId = Annotated[int, Depends(_user)]


def _profile(user: User, following: bool) -> dict[str, Any]:
    return {"username": user.username, "bio": user.bio, "image": user.image, "following": following}


async def _views(
    session: AsyncSession, articles: Sequence[Article], viewer: int | None, body: bool
) -> list[dict[str, Any]]:
    if not articles:
        return []
    ids = [a.id for a in articles]
    tags: dict[int, list[str]] = {i: [] for i in ids}
    rows = await session.execute(
        select(ArticleTag.article_id, Tag.name)
        .join(Tag, Tag.id == ArticleTag.tag_id)
        .where(ArticleTag.article_id.in_(ids))
        .order_by(ArticleTag.article_id, ArticleTag.position)
    )
    for article_id, name in rows:
        tags[article_id].append(name)
    mine = func.max(case((Favorite.user_id == viewer, 1), else_=0)) if viewer else func.max(0)
    favorites = {
        i: (n, bool(own))
        for i, n, own in await session.execute(
            select(Favorite.article_id, func.count(), mine)
            .where(Favorite.article_id.in_(ids))
            .group_by(Favorite.article_id)
        )
    }
    followed: set[int] = set()
    if viewer is not None:
        authors = {a.author_id for a in articles}
        followed = set(
            (
                await session.execute(
                    select(Follow.followee_id).where(
                        Follow.follower_id == viewer, Follow.followee_id.in_(authors)
                    )
                )
            ).scalars()
        )
    out = []
    for a in articles:
        count, favorited = favorites.get(a.id, (0, False))
        item = {
            "slug": a.slug,
            "title": a.title,
            "description": a.description,
            "tagList": tags[a.id],
            "createdAt": a.created_at.isoformat(),
            "updatedAt": a.updated_at.isoformat(),
            "favorited": favorited,
            "favoritesCount": count,
            "author": _profile(a.author, a.author_id in followed),
        }
        if body:
            item["body"] = a.body
        out.append(item)
    return out


async def _page(
    session: AsyncSession, where: Any, limit: int, offset: int, viewer: int | None
) -> dict[str, Any]:
    stmt = (
        select(Article)
        .options(selectinload(Article.author))
        .order_by(desc(Article.created_at), desc(Article.id))
        .limit(limit)
        .offset(offset)
    )
    count = select(func.count()).select_from(Article)
    if where is not None:
        stmt, count = stmt.where(where), count.where(where)
    articles = list((await session.execute(stmt)).scalars())
    total = (await session.execute(count)).scalar_one()
    return {"articles": await _views(session, articles, viewer, False), "articlesCount": total}


@app.get("/api/articles")
async def list_articles(
    session: SessionDep, viewer: Viewer, limit: int = 20, offset: int = 0
) -> dict[str, Any]:
    return await _page(session, None, limit, offset, viewer)


@app.get("/api/articles/feed")
async def feed(session: SessionDep, user: UserId, limit: int = 20, offset: int = 0) -> Any:
    followees = select(Follow.followee_id).where(Follow.follower_id == user)
    return await _page(session, Article.author_id.in_(followees), limit, offset, user)


async def _by_slug(session: AsyncSession, slug: str) -> Article:
    stmt = select(Article).options(selectinload(Article.author)).where(Article.slug == slug)
    article = (await session.execute(stmt)).scalar_one_or_none()
    if article is None:
        raise HTTPException(404)
    return article


@app.get("/api/articles/{slug}")
async def get_article(slug: str, session: SessionDep, viewer: Viewer) -> dict[str, Any]:
    article = await _by_slug(session, slug)
    return {"article": (await _views(session, [article], viewer, True))[0]}


@app.post("/api/articles", status_code=201)
async def create_article(data: dict[str, Any], session: SessionDep, user: UserId) -> Any:
    new = data["article"]
    author = await session.get_one(User, user)
    base = "-".join(re.findall(r"[a-z0-9]+", new["title"].lower())) or "article"
    taken = await session.execute(select(Article.id).where(Article.slug == base))
    slug = base if taken.first() is None else f"{base}-{secrets.token_hex(4)}"
    article = Article(
        slug=slug, title=new["title"], description=new["description"], body=new["body"]
    )
    article.author = author
    session.add(article)
    await session.flush()
    names = list(dict.fromkeys(new.get("tagList", [])))
    if names:
        await session.execute(
            insert(Tag).values([{"name": n} for n in names]).on_conflict_do_nothing()
        )
        found = await session.execute(select(Tag.name, Tag.id).where(Tag.name.in_(names)))
        ids = {name: tag_id for name, tag_id in found}
        session.add_all(
            ArticleTag(article_id=article.id, tag_id=ids[n], position=i)
            for i, n in enumerate(names)
        )
        await session.flush()
    return {"article": (await _views(session, [article], user, True))[0]}


@app.post("/api/articles/{slug}/favorite")
async def favorite(slug: str, session: SessionDep, user: UserId) -> dict[str, Any]:
    article = await _by_slug(session, slug)
    await session.execute(
        insert(Favorite).values(user_id=user, article_id=article.id).on_conflict_do_nothing()
    )
    return {"article": (await _views(session, [article], user, True))[0]}


@app.post("/api/articles/{slug}/comments", status_code=201)
async def comment(slug: str, data: dict[str, Any], session: SessionDep, user: UserId) -> Any:
    article = await _by_slug(session, slug)
    author = await session.get_one(User, user)
    row = Comment(body=data["comment"]["body"], article_id=article.id, author_id=user)
    session.add(row)
    await session.flush()
    return {
        "comment": {
            "id": row.id,
            "createdAt": row.created_at.isoformat(),
            "updatedAt": row.updated_at.isoformat(),
            "body": row.body,
            "author": _profile(author, False),
        }
    }
