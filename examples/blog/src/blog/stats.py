"""Per-user statistics: aggregates over joins, in a few queries whatever the data size."""

from __future__ import annotations

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from blog.models import Comment, Post, User
from blog.schemas import AuthorRank, UserStats
from stanchion import NotFound


async def user_stats(session: AsyncSession, user_id: int) -> UserStats:
    """Posts, published posts, views, last post and comments of one user (soft-deleted excluded)."""
    published = func.coalesce(func.sum(case((Post.published, 1), else_=0)), 0)
    posts = (
        select(
            User.id,
            User.name,
            func.count(Post.id),
            published,
            func.coalesce(func.sum(Post.views), 0),
            func.max(Post.created_at),
        )
        .outerjoin(Post, Post.author_id == User.id)
        .where(User.id == user_id)
        .group_by(User.id, User.name)
    )
    row = (await session.execute(posts)).one_or_none()
    if row is None:
        raise NotFound("User", user_id)
    written = select(func.count(Comment.id)).where(Comment.author_id == user_id)
    received = (
        select(func.count(Comment.id))
        .join(Post, Comment.post_id == Post.id)
        .where(Post.author_id == user_id)
    )
    return UserStats(
        user_id=row[0],
        name=row[1],
        posts=row[2],
        published_posts=int(row[3]),
        total_views=int(row[4]),
        last_post_at=row[5],
        comments_written=int((await session.execute(written)).scalar_one()),
        comments_received=int((await session.execute(received)).scalar_one()),
    )


async def top_authors(session: AsyncSession, limit: int) -> list[AuthorRank]:
    """Active authors ranked by the views of their published posts."""
    total_views = func.coalesce(func.sum(Post.views), 0).label("total_views")
    stmt = (
        select(User.id, User.name, func.count(Post.id), total_views)
        .join(Post, User.id == Post.author_id)
        .where(and_(Post.published.is_(True), User.is_active.is_(True)))
        .group_by(User.id, User.name)
        .order_by(total_views.desc(), User.id)
        .limit(limit)
    )
    rows = (await session.execute(stmt)).all()
    return [
        AuthorRank(user_id=r[0], name=r[1], published_posts=r[2], total_views=int(r[3]))
        for r in rows
    ]
