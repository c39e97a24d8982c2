"""Checked by mypy --strict in tests/typecheck/test_types.py, never run: an `AsyncRepository[R]`
keeps the types of `R`, its model and its own queries. Each ``# type: ignore[...]`` marks a
line that must be an error (strict mode reports an ignore that is not needed)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from stanchion import AsyncDatabase, AsyncRepository, IntegerPK, KeysetPage, Model, Repository


class Post(Model, IntegerPK):
    __tablename__ = "typing_posts"
    slug: Mapped[str] = mapped_column(unique=True)


class User(Model, IntegerPK):
    __tablename__ = "typing_users"
    email: Mapped[str]


class PostRepository(Repository[Post]):
    def by_slug(self, slug: str) -> Post | None:
        return self.session.scalars(select(Post).where(Post.slug == slug)).first()


class UserRepository(Repository[User]):
    def by_email(self, email: str) -> User | None:
        return None


async def typed(session: AsyncSession, db: AsyncDatabase) -> None:
    posts = AsyncRepository(session, PostRepository)
    as_declared: AsyncRepository[PostRepository] = posts
    sync: PostRepository = posts.sync
    model: type[Post] = posts.model
    one: Post = await posts.get_one(1)
    maybe: Post | None = await posts.get(1)
    rows: list[Post] = await posts.list({"slug": "a"}, limit=5)
    page: KeysetPage[Post] = await posts.keyset_page(limit=5)
    stored: list[Post] = await posts.upsert_returning([{"slug": "a"}], conflict=["slug"])
    found: Post | None = await posts.run(PostRepository.by_slug, "hello")
    builtin: int = await posts.run(Repository.count)  # a base method is a method of R too

    users = AsyncRepository(session, model=User)
    plain: AsyncRepository[Repository[User]] = users
    user: User = await users.get_one(1)

    async with db.transaction() as tx:
        in_tx: AsyncRepository[PostRepository] = tx.repository(PostRepository)
        by_model: AsyncRepository[Repository[User]] = tx.repository(User)
        again: Post | None = await in_tx.run(PostRepository.by_slug, "x")

    await posts.run(UserRepository.by_email, "x")  # type: ignore[arg-type]
    await posts.run(PostRepository.by_slug, 3)  # type: ignore[arg-type]
    wrong: User = await posts.get_one(1)  # type: ignore[assignment]
    await users.run(PostRepository.by_slug, "x")  # type: ignore[arg-type]
    del as_declared, sync, model, one, maybe, rows, page, stored, found, builtin
    del plain, user, in_tx, by_model, again, wrong
