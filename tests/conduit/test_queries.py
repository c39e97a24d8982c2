"""Per-viewer fields (following, favorited, counts, tags) cost the same number of queries at any
page size: counted with stanchion's query counter, through the API and on a sync session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from conduit.models import Article, ArticleTag, Favorite, Follow, Tag, User
from conduit.repositories import ArticleRepository
from sqlalchemy.engine import URL

from stanchion import Database
from stanchion.testing import QueryLog, isolated
from tests.conduit.conftest import publish, register, token_header

pytestmark = pytest.mark.anyio
#: The page, its authors, the total count, tags, favorites (counts and the viewer's), follows.
LIST_QUERIES = 6


async def _busy_site(client: httpx.AsyncClient) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A reader who follows and favorites, and 12 tagged articles by four authors."""
    reader = await register(client, "reader")
    authors = [await register(client, f"a{i}") for i in range(4)]
    articles = []
    for i in range(12):
        author = authors[i % 4]
        articles.append(await publish(client, author, f"Post {i}", tagList=[f"t{i % 3}", "all"]))
    for author in authors[1::2]:
        await client.post(f"/profiles/{author['username']}/follow", headers=token_header(reader))
    for article in (a for i, a in enumerate(articles) if i % 4 in (1, 2)):
        await client.post(f"/articles/{article['slug']}/favorite", headers=token_header(reader))
        await client.post(f"/articles/{article['slug']}/favorite", headers=token_header(authors[3]))
    return reader, authors


async def test_article_lists_and_the_feed_cost_the_same_queries_at_any_page_size(
    backend: str, client: httpx.AsyncClient, count_queries: Callable[[], QueryLog]
) -> None:
    reader, _ = await _busy_site(client)
    for path, params in (("/articles", {"tag": "all"}), ("/articles/feed", {})):
        counts = {}
        for size in (2, 6):
            with count_queries() as log:
                response = await client.get(
                    path, params={**params, "limit": size}, headers=token_header(reader)
                )
            listed = response.json()["articles"]
            assert len(listed) == size
            assert any(a["favorited"] for a in listed) and any(
                a["author"]["following"] for a in listed
            )
            assert all(a["tagList"] and a["favoritesCount"] in (0, 2) for a in listed)
            counts[size] = len(log)
        assert counts[2] == counts[6] == LIST_QUERIES, (path, log.describe())


async def test_comments_cost_the_same_queries_however_many_there_are(
    backend: str, client: httpx.AsyncClient, count_queries: Callable[[], QueryLog]
) -> None:
    reader, authors = await _busy_site(client)
    counts = {}
    for n in (2, 8):
        slug = (await publish(client, authors[0], f"Thread {n}"))["slug"]
        for i in range(n):
            who = authors[i % 4]
            comment = {"comment": {"body": f"c{i}"}}
            await client.post(f"/articles/{slug}/comments", json=comment, headers=token_header(who))
        with count_queries() as log:
            listed = (
                await client.get(f"/articles/{slug}/comments", headers=token_header(reader))
            ).json()["comments"]
        assert len(listed) == n and {c["author"]["following"] for c in listed} == {True, False}
        counts[n] = len(log)
    assert counts[2] == counts[8] == 5, log.describe()  # article+author, comments+authors, follows


@pytest.fixture
def sync_db(conduit_url: URL) -> Iterator[Database]:
    db = Database(conduit_url)
    try:
        with isolated(db):
            yield db
    finally:
        db.dispose()


def test_the_listing_is_the_same_code_on_a_sync_session(backend: str, sync_db: Database) -> None:
    """The repository methods the async app runs through ``run_sync`` work as they are."""
    with sync_db.transaction() as tx:
        ada = User(username="sync_ada", email="sync_ada@example.com", password_hash="x")
        bob = User(username="sync_bob", email="sync_bob@example.com", password_hash="x")
        tx.session.add_all([ada, bob])
        tx.session.flush()
        articles = [
            Article(slug=f"sync-{i}", title="T", description="D", body="B", author=ada)
            for i in range(5)
        ]
        tx.session.add_all(articles)
        tx.session.flush()
        tag = Tag(name="sync-tag")
        tx.session.add(tag)
        tx.session.flush()
        tx.session.add_all(
            [ArticleTag(article_id=a.id, tag_id=tag.id) for a in articles]
            + [Favorite(user_id=bob.id, article_id=articles[0].id)]
            + [Follow(follower_id=bob.id, followee_id=ada.id)]
        )
        tx.session.flush()
        repo = tx.repository(ArticleRepository)
        with QueryLog(sync_db) as log:
            page, total = repo.listing({"tag": "sync-tag"}, 3, 0, bob.id)
        assert total == 5 and len(page) == 3 and len(log) == LIST_QUERIES
        assert all(a.author.following and a.tag_list == ["sync-tag"] for a in page)
        newest_first = [a.slug for a in page]
        assert newest_first == sorted(newest_first, reverse=True)
