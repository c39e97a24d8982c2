"""The N+1 detector: the seed's loop over users touching `user.posts` fails; selectinload passes."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from stanchion import AsyncDatabase, Database
from stanchion.testing.nplusone import NPlusOneError, detect_n_plus_one
from stanchion.testing.queries import assert_num_queries
from tests.models import SeedPost, SeedUser


def _seed(db: Database, users: int = 3) -> None:
    with db.session() as session:
        for n in range(users):
            session.add(
                SeedUser(name=f"u{n}", posts=[SeedPost(title=f"p{n}a"), SeedPost(title=f"p{n}b")])
            )
        session.commit()


def test_loop_touching_user_posts_fails_naming_relationship_and_fix(db: Database) -> None:
    _seed(db)
    with pytest.raises(NPlusOneError) as caught, detect_n_plus_one(db), db.session() as session:
        for user in session.scalars(select(SeedUser)).all():
            assert len(user.posts) == 2
    message = str(caught.value)
    assert "SeedUser.posts" in message
    assert "3 SeedUser objects" in message
    assert "selectinload(SeedUser.posts)" in message


def test_loop_with_selectinload_passes_in_two_queries(db: Database) -> None:
    _seed(db)
    with detect_n_plus_one(db), assert_num_queries(2, db), db.session() as session:
        users = session.scalars(select(SeedUser).options(selectinload(SeedUser.posts))).all()
        assert sorted(len(user.posts) for user in users) == [2, 2, 2]


def test_many_to_one_loop_suggests_joinedload(db: Database) -> None:
    _seed(db, users=2)
    with (
        pytest.raises(NPlusOneError, match=r"joinedload\(SeedPost.author\)"),
        detect_n_plus_one(db),
        db.session() as session,
    ):
        posts = session.scalars(select(SeedPost).order_by(SeedPost.author_id)).all()
        session.expunge_all()  # the authors are no longer in the identity map
        for post in posts[::2]:
            session.add(post)
            assert post.author.name


def test_safelisted_relationship_and_single_parent_are_not_reported(db: Database) -> None:
    _seed(db)
    with detect_n_plus_one(db, safelist=[SeedUser.posts]), db.session() as session:
        for user in session.scalars(select(SeedUser)).all():
            assert user.posts
    with detect_n_plus_one(db), db.session() as session:
        user = session.scalars(select(SeedUser).limit(1)).one()
        assert len(user.posts) == 2


def test_lazy_loads_raise_again_once_the_detector_is_done(db: Database) -> None:
    from stanchion import LazyLoadError

    _seed(db, users=1)
    with detect_n_plus_one(db, safelist=["SeedUser.*"]), db.session() as session:
        assert session.scalars(select(SeedUser)).one().posts
    with db.session() as session, pytest.raises(LazyLoadError, match="selectinload"):
        _ = session.scalars(select(SeedUser)).one().posts


@pytest.mark.anyio
async def test_async_loop_touching_posts_fails_under_the_detector(adb: AsyncDatabase) -> None:
    async with adb.session() as session:
        session.add_all([SeedUser(name=f"a{n}", posts=[SeedPost(title="t")]) for n in range(3)])
        await session.commit()
    with (
        pytest.raises(NPlusOneError, match=r"selectinload\(SeedUser.posts\)"),
        detect_n_plus_one(adb),
    ):
        async with adb.session() as session:
            users = (await session.scalars(select(SeedUser))).all()
            sizes = await session.run_sync(lambda _: [len(u.posts) for u in users])
            assert sizes == [1, 1, 1]
