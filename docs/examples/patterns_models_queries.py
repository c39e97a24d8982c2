"""Models with a one-to-many relationship, and the SQLAlchemy 2.0 query patterns, on stanchion.

Run it: ``python docs/examples/patterns_models_queries.py``, from anywhere, any number of times:
it uses DATABASE_URL (PostgreSQL or MariaDB), else its own SQLite file ./examples.db (never the
blog's ./stanchion.db), creates only the tables that are missing and drops only those at the end.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from sqlalchemy import ForeignKey, String, and_, func, or_, select
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from stanchion import Database, IntegerPK, Model, Timestamps


class User(Model, IntegerPK, Timestamps):
    __tablename__ = "ex_queries_users"

    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(255), unique=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    age: Mapped[int] = mapped_column(default=0)
    role: Mapped[str] = mapped_column(String(20), default="member")

    # One-to-many. Lazy loading raises in stanchion sessions: load it in the query instead.
    posts: Mapped[list[Post]] = relationship(back_populates="author")


class Post(Model, IntegerPK):
    __tablename__ = "ex_queries_posts"

    title: Mapped[str]
    author_id: Mapped[int] = mapped_column(ForeignKey("ex_queries_users.id"))

    # Many-to-one.
    author: Mapped[User] = relationship(back_populates="posts")


def main() -> None:
    # Pool and timeouts set for production; DATABASE_URL, else this example's own file.
    db = Database(os.environ.get("DATABASE_URL") or "sqlite:///./examples.db")
    # Only the missing tables (an example; a service runs migrations, `stanchion db`).
    created = db.create_all(Model.metadata)
    try:
        # A transaction: committed when the block ends, rolled back on any exception.
        with db.transaction() as tx:
            ada = User(name="Ada", email="ada@example.com", age=36, role="admin")
            bob = User(name="Bob", email="bob@example.com", age=17, role="member")
            cy = User(name="Cy", email="cy@example.com", age=52, role="moderator", is_active=False)
            tx.session.add_all([ada, bob, cy])
            tx.session.flush()
            tx.session.add_all(
                [
                    Post(title="Hello", author=ada),
                    Post(title="SQL", author=ada),
                    Post(title="Hi", author=bob),
                ]
            )

        with db.session() as session:
            # Basic select
            stmt = select(User).where(User.is_active.is_(True))
            active = session.execute(stmt).scalars().all()
            assert {u.name for u in active} == {"Ada", "Bob"}

            # Multiple conditions
            stmt = select(User).where(and_(User.is_active.is_(True), User.age >= 18))
            assert [u.name for u in session.execute(stmt).scalars()] == ["Ada"]

            # OR conditions
            stmt = select(User).where(or_(User.role == "admin", User.role == "moderator"))
            assert {u.name for u in session.execute(stmt).scalars()} == {"Ada", "Cy"}

            # Ordering and limiting (the id breaks ties, so the order is total)
            stmt = select(User).order_by(User.created_at.desc(), User.id.desc()).limit(10)
            assert len(session.execute(stmt).scalars().all()) == 3

            # Aggregates
            stmt = select(func.count(User.id)).where(User.is_active.is_(True))
            assert session.execute(stmt).scalar_one() == 2

            # Joins: rows of (User, Post)
            stmt = select(User, Post).join(Post, User.id == Post.author_id).order_by(Post.id)
            assert [(u.name, p.title) for u, p in session.execute(stmt)] == [
                ("Ada", "Hello"),
                ("Ada", "SQL"),
                ("Bob", "Hi"),
            ]

            # Eager loading: one extra query for all users' posts, never one per user
            stmt = select(User).options(selectinload(User.posts)).order_by(User.id)
            users = session.execute(stmt).scalars().all()
            assert [len(u.posts) for u in users] == [2, 1, 0]

            # First-or-none
            one = session.execute(select(User).where(User.id == ada.id)).scalar_one_or_none()
            assert one is not None and one.email == "ada@example.com"

            # Recent users: timezone-aware datetimes only (naive ones are refused)
            since = datetime.now(UTC) - timedelta(days=1)
            assert (
                session.execute(select(func.count()).where(User.created_at >= since)).scalar() == 3
            )
    finally:
        db.drop_all(Model.metadata, tables=created)  # only what this run created
        db.dispose()
    print("all query patterns ran")


if __name__ == "__main__":
    main()
