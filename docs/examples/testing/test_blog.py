"""Isolated sync, async and HTTP tests, a real-commit test, query counts and the N+1 detector."""

from __future__ import annotations

import httpx
import pytest
from blogapp import Post, User, reports_db
from sqlalchemy import func, select
from sqlalchemy.engine import URL
from sqlalchemy.orm import selectinload

from stanchion import AsyncDatabase, Database
from stanchion.testing import NPlusOneError, QueryLog

COUNT_USERS = select(func.count()).select_from(User)


def test_a_committed_row_is_visible_inside_the_test(stanchion_db: Database) -> None:
    with stanchion_db.session() as session:
        session.add(User(name="ada"))
        session.commit()  # releases a savepoint; the test's transaction is rolled back later
    with stanchion_db.session() as session:
        assert session.scalar(COUNT_USERS) == 1


def test_b_and_is_gone_in_the_next_test(stanchion_db: Database) -> None:
    with stanchion_db.session() as session:
        assert session.scalar(COUNT_USERS) == 0


@pytest.mark.anyio
async def test_c_async_code_is_isolated_the_same_way(stanchion_adb: AsyncDatabase) -> None:
    async with stanchion_adb.session() as session:
        session.add(User(name="grace"))
        await session.commit()
    async with stanchion_adb.session() as session:
        assert await session.scalar(COUNT_USERS) == 1


@pytest.mark.anyio
async def test_d_the_http_client_sees_the_tests_rows(
    client: httpx.AsyncClient, stanchion_adb: AsyncDatabase
) -> None:
    async with stanchion_adb.session() as session:
        session.add(User(name="linus"))
        await session.commit()
    assert (await client.post("/users", params={"name": "ken"})).status_code == 200
    assert (await client.get("/users")).json() == ["ken", "linus"]


def test_d2_the_apps_own_database_sees_the_tests_rows(stanchion_db: Database) -> None:
    with stanchion_db.session() as session:
        session.add(User(name="barbara"))
        session.commit()
    with reports_db.session() as session:
        assert session.scalars(select(User.name)).all() == ["barbara"]


@pytest.mark.commits
def test_e_real_commits_are_seen_by_other_connections(
    stanchion_db: Database, stanchion_url: URL
) -> None:
    with stanchion_db.session() as session:
        session.add(User(name="committed"))
        session.commit()
    other = Database(stanchion_url)
    try:
        with other.session() as session:
            assert session.scalar(COUNT_USERS) == 1
    finally:
        other.dispose()  # the plugin empties the tables after a `commits` test


@pytest.mark.commits
@pytest.mark.anyio
async def test_e2_and_so_are_async_ones(stanchion_adb: AsyncDatabase) -> None:
    async with stanchion_adb.session() as session:
        session.add(User(name="committed async"))
        await session.commit()
    async with stanchion_adb.engine.connect() as other:  # a connection of its own
        assert await other.scalar(COUNT_USERS) == 1


def test_f_and_are_cleaned_up_afterwards(stanchion_db: Database) -> None:
    with stanchion_db.session() as session:
        assert session.scalar(COUNT_USERS) == 0


def _seed(db: Database) -> None:
    with db.session() as session:
        for name in ("ada", "grace", "linus"):
            session.add(User(name=name, posts=[Post(title=f"{name}'s first")]))
        session.commit()


@pytest.mark.xfail(raises=NPlusOneError, strict=True, reason="the N+1 loop this page warns about")
def test_g_a_loop_touching_user_posts_fails(stanchion_db: Database) -> None:
    _seed(stanchion_db)
    with stanchion_db.session() as session:
        for user in session.scalars(select(User)):
            print(user.name, len(user.posts))  # one SELECT of posts per user


def test_h_the_same_loop_with_selectinload_takes_two_queries(
    stanchion_db: Database, stanchion_queries: QueryLog
) -> None:
    _seed(stanchion_db)
    with stanchion_queries.expect(2), stanchion_db.session() as session:
        for user in session.scalars(select(User).options(selectinload(User.posts))):
            print(user.name, len(user.posts))


@pytest.mark.nplusone_safelist("User.posts")
def test_i_a_safelisted_relationship_may_lazy_load(stanchion_db: Database) -> None:
    _seed(stanchion_db)
    with stanchion_db.session() as session:
        assert sum(len(user.posts) for user in session.scalars(select(User))) == 3
