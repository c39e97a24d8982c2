"""Articles, favorites, comments, profiles, the feed and tags, through the API on each backend."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conduit.conftest import publish, register, token_header, uid

pytestmark = pytest.mark.anyio


async def test_an_article_is_created_with_a_slug_and_its_tags_in_the_given_order(
    backend: str, client: httpx.AsyncClient
) -> None:
    ada = await register(client, "ada")
    tags = [f"zeta{uid()}", f"alpha{uid()}"]
    article = await publish(client, ada, "How to Train Your Dragon!", tagList=[*tags, tags[0]])
    assert article["slug"] == "how-to-train-your-dragon"
    assert article["tagList"] == tags  # duplicates dropped, order kept
    assert (article["favorited"], article["favoritesCount"]) == (False, 0)
    assert article["author"] == {
        "username": ada["username"],
        "bio": None,
        "image": None,
        "following": False,
    }
    assert article["createdAt"] == article["updatedAt"]
    assert article["createdAt"][10] == "T" and article["createdAt"].endswith("Z")
    again = await publish(client, ada, "How to train your dragon")
    assert (
        again["slug"].startswith("how-to-train-your-dragon-") and again["slug"] != article["slug"]
    )
    read = await client.get(f"/articles/{article['slug']}")
    assert read.status_code == 200 and read.json()["article"] == article


async def test_an_article_without_a_required_field_is_a_422_naming_it(
    backend: str, client: httpx.AsyncClient
) -> None:
    ada = await register(client)
    for field in ("title", "description", "body"):
        body = {"title": "T", "description": "D", "body": "B", field: "  "}
        response = await client.post("/articles", json={"article": body}, headers=token_header(ada))
        assert response.status_code == 422
        assert response.json() == {"errors": {field: ["can't be blank"]}}


async def test_writes_without_a_token_are_401_and_missing_articles_404(
    backend: str, client: httpx.AsyncClient
) -> None:
    ada = await register(client)
    for method, path in [
        ("POST", "/articles"),
        ("PUT", "/articles/x"),
        ("DELETE", "/articles/x"),
        ("GET", "/articles/feed"),
        ("POST", "/articles/x/favorite"),
        ("DELETE", "/articles/x/favorite"),
        ("POST", "/articles/x/comments"),
        ("DELETE", "/articles/x/comments/1"),
        ("POST", "/profiles/x/follow"),
    ]:
        response = await client.request(method, path, json={})
        assert response.status_code == 401, (method, path)
        assert response.json() == {"errors": {"token": ["is missing"]}}
    for method, path in [
        ("GET", "/articles/nope"),
        ("PUT", "/articles/nope"),
        ("DELETE", "/articles/nope"),
        ("POST", "/articles/nope/favorite"),
        ("DELETE", "/articles/nope/favorite"),
        ("GET", "/articles/nope/comments"),
    ]:
        body = {"article": {"body": "x"}} if method == "PUT" else None
        response = await client.request(method, path, json=body, headers=token_header(ada))
        assert response.status_code == 404, (method, path)
        assert response.json() == {"errors": {"article": ["not found"]}}
    missing = await client.get("/profiles/nobody-at-all")
    assert missing.status_code == 404 and missing.json() == {"errors": {"profile": ["not found"]}}


async def test_only_the_author_may_update_or_delete_an_article(
    backend: str, client: httpx.AsyncClient
) -> None:
    ada, bob = await register(client, "ada"), await register(client, "bob")
    article = await publish(client, ada, "Mine")
    slug = article["slug"]
    edit = {"article": {"body": "Bob was here"}}
    refused = await client.put(f"/articles/{slug}", json=edit, headers=token_header(bob))
    assert refused.status_code == 403
    assert refused.json() == {"errors": {"article": ["forbidden"]}}
    not_deleted = await client.delete(f"/articles/{slug}", headers=token_header(bob))
    assert not_deleted.status_code == 403
    assert (await client.get(f"/articles/{slug}")).json()["article"]["body"] == "The text."


async def test_update_changes_fields_keeps_created_at_and_a_new_title_makes_a_new_slug(
    backend: str, client: httpx.AsyncClient
) -> None:
    ada = await register(client)
    article = await publish(client, ada, "First title", tagList=["a", "b"])
    headers = token_header(ada)
    body_only = await client.put(
        f"/articles/{article['slug']}", json={"article": {"body": "New body"}}, headers=headers
    )
    updated = body_only.json()["article"]
    assert body_only.status_code == 200 and updated["slug"] == article["slug"]
    assert updated["body"] == "New body" and updated["tagList"] == ["a", "b"]
    assert updated["createdAt"] == article["createdAt"]
    assert updated["updatedAt"] > article["updatedAt"]
    retitled = await client.put(
        f"/articles/{article['slug']}",
        json={"article": {"title": "Second title", "tagList": ["c"]}},
        headers=headers,
    )
    moved = retitled.json()["article"]
    assert (moved["slug"], moved["title"], moved["tagList"]) == (
        "second-title",
        "Second title",
        ["c"],
    )
    assert (await client.get(f"/articles/{article['slug']}")).status_code == 404
    assert (await client.get("/articles/second-title")).json()["article"]["body"] == "New body"


async def test_deleting_an_article_removes_its_comments_and_favorites(
    backend: str, client: httpx.AsyncClient
) -> None:
    ada, bob = await register(client, "ada"), await register(client, "bob")
    article = await publish(client, ada, "Short-lived", tagList=[f"gone{uid()}"])
    slug = article["slug"]
    await client.post(f"/articles/{slug}/favorite", headers=token_header(bob))
    await client.post(
        f"/articles/{slug}/comments", json={"comment": {"body": "hi"}}, headers=token_header(bob)
    )
    deleted = await client.delete(f"/articles/{slug}", headers=token_header(ada))
    assert deleted.status_code == 204 and deleted.content == b""
    assert (await client.get(f"/articles/{slug}")).status_code == 404
    favorited = await client.get("/articles", params={"favorited": bob["username"]})
    assert favorited.json() == {"articles": [], "articlesCount": 0}
    assert article["tagList"][0] not in (await client.get("/tags")).json()["tags"]


async def _three_articles(client: httpx.AsyncClient) -> tuple[Any, ...]:
    ada, bob = await register(client, "ada"), await register(client, "bob")
    tag = f"tag{uid()}"
    a1 = await publish(client, ada, "Ada one", tagList=[tag])
    b1 = await publish(client, bob, "Bob one")
    a2 = await publish(client, ada, "Ada two", tagList=[tag, "other"])
    return ada, bob, tag, a1, b1, a2


async def test_the_list_is_newest_first_without_bodies_and_filters_by_tag_author_and_favorited(
    backend: str, client: httpx.AsyncClient
) -> None:
    ada, bob, tag, a1, b1, a2 = await _three_articles(client)
    await client.post(f"/articles/{b1['slug']}/favorite", headers=token_header(ada))

    async def slugs(**params: Any) -> tuple[list[str], int]:
        response = await client.get("/articles", params=params)
        assert response.status_code == 200
        listed = response.json()
        assert all("body" not in a for a in listed["articles"])
        return [a["slug"] for a in listed["articles"]], listed["articlesCount"]

    assert await slugs(author=ada["username"]) == ([a2["slug"], a1["slug"]], 2)
    assert await slugs(tag=tag) == ([a2["slug"], a1["slug"]], 2)
    assert await slugs(favorited=ada["username"]) == ([b1["slug"]], 1)
    assert await slugs(tag=tag, author=bob["username"]) == ([], 0)
    assert await slugs(author="nobody") == ([], 0)
    everything, total = await slugs(limit=100)
    assert everything[:3] == [a2["slug"], b1["slug"], a1["slug"]] and total >= 3


async def test_limit_and_offset_page_through_while_the_count_stays_the_total(
    backend: str, client: httpx.AsyncClient
) -> None:
    ada, _, _, a1, _, a2 = await _three_articles(client)
    pages = []
    for offset in (0, 1, 2):
        response = await client.get(
            "/articles", params={"author": ada["username"], "limit": 1, "offset": offset}
        )
        pages.append(response.json())
    assert [[a["slug"] for a in p["articles"]] for p in pages] == [[a2["slug"]], [a1["slug"]], []]
    assert {p["articlesCount"] for p in pages} == {2}
    for bad in ({"limit": 0}, {"limit": 101}, {"offset": -1}, {"limit": "x"}):
        response = await client.get("/articles", params=bad)
        assert response.status_code == 422, bad
        assert set(response.json()["errors"]) == set(bad)


async def test_favorites_count_across_users_and_favorited_is_per_viewer(
    backend: str, client: httpx.AsyncClient
) -> None:
    ada, bob, eve = [await register(client, n) for n in ("ada", "bob", "eve")]
    slug = (await publish(client, ada, "Popular"))["slug"]
    first = await client.post(f"/articles/{slug}/favorite", headers=token_header(bob))
    twice = await client.post(f"/articles/{slug}/favorite", headers=token_header(bob))
    assert first.status_code == twice.status_code == 200
    assert (twice.json()["article"]["favorited"], twice.json()["article"]["favoritesCount"]) == (
        True,
        1,
    )
    await client.post(f"/articles/{slug}/favorite", headers=token_header(eve))
    as_ada = (await client.get(f"/articles/{slug}", headers=token_header(ada))).json()["article"]
    assert (as_ada["favorited"], as_ada["favoritesCount"]) == (False, 2)
    anonymous = (await client.get(f"/articles/{slug}")).json()["article"]
    assert (anonymous["favorited"], anonymous["favoritesCount"]) == (False, 2)
    undone = await client.delete(f"/articles/{slug}/favorite", headers=token_header(bob))
    assert (undone.json()["article"]["favorited"], undone.json()["article"]["favoritesCount"]) == (
        False,
        1,
    )


async def test_following_shows_on_profiles_and_articles_and_fills_the_feed(
    backend: str, client: httpx.AsyncClient
) -> None:
    ada, bob, eve = [await register(client, n) for n in ("ada", "bob", "eve")]
    followed = await client.post(f"/profiles/{ada['username']}/follow", headers=token_header(bob))
    assert followed.status_code == 200
    assert followed.json() == {
        "profile": {"username": ada["username"], "bio": None, "image": None, "following": True}
    }
    again = await client.post(f"/profiles/{ada['username']}/follow", headers=token_header(bob))
    assert again.json()["profile"]["following"] is True
    a1 = await publish(client, ada, "For followers")
    await publish(client, eve, "Not followed")
    a2 = await publish(client, ada, "Also for followers")
    feed = await client.get("/articles/feed", headers=token_header(bob))
    listed = feed.json()
    assert [a["slug"] for a in listed["articles"]] == [a2["slug"], a1["slug"]]
    assert listed["articlesCount"] == 2
    assert all(a["author"]["following"] and "body" not in a for a in listed["articles"])
    limited = await client.get("/articles/feed", params={"limit": 1}, headers=token_header(bob))
    assert [a["slug"] for a in limited.json()["articles"]] == [a2["slug"]]
    assert limited.json()["articlesCount"] == 2
    profile = await client.get(f"/profiles/{ada['username']}", headers=token_header(eve))
    assert profile.json()["profile"]["following"] is False
    unfollowed = await client.delete(
        f"/profiles/{ada['username']}/follow", headers=token_header(bob)
    )
    assert unfollowed.json()["profile"]["following"] is False
    empty = await client.get("/articles/feed", headers=token_header(bob))
    assert empty.json() == {"articles": [], "articlesCount": 0}


async def test_comments_are_added_listed_oldest_first_and_deleted_only_by_their_author(
    backend: str, client: httpx.AsyncClient
) -> None:
    ada, bob = await register(client, "ada"), await register(client, "bob")
    slug = (await publish(client, ada, "Discuss"))["slug"]
    path = f"/articles/{slug}/comments"
    created = []
    for who, text in ((bob, "First"), (ada, "Second")):
        response = await client.post(
            path, json={"comment": {"body": text}}, headers=token_header(who)
        )
        assert response.status_code == 201
        created.append(response.json()["comment"])
    assert set(created[0]) == {"id", "createdAt", "updatedAt", "body", "author"}
    assert created[0]["author"]["username"] == bob["username"]
    listed = (await client.get(path)).json()["comments"]
    assert [c["body"] for c in listed] == ["First", "Second"]
    blank = await client.post(path, json={"comment": {"body": ""}}, headers=token_header(bob))
    assert blank.status_code == 422 and blank.json() == {"errors": {"body": ["can't be blank"]}}
    refused = await client.delete(f"{path}/{created[0]['id']}", headers=token_header(ada))
    assert refused.status_code == 403 and refused.json() == {"errors": {"comment": ["forbidden"]}}
    other = (await publish(client, bob, "Elsewhere"))["slug"]
    wrong_article = await client.delete(
        f"/articles/{other}/comments/{created[0]['id']}", headers=token_header(bob)
    )
    assert wrong_article.status_code == 404
    assert wrong_article.json() == {"errors": {"comment": ["not found"]}}
    deleted = await client.delete(f"{path}/{created[0]['id']}", headers=token_header(bob))
    assert deleted.status_code == 204
    assert [c["body"] for c in (await client.get(path)).json()["comments"]] == ["Second"]


async def test_tags_lists_each_tag_in_use_once(backend: str, client: httpx.AsyncClient) -> None:
    ada = await register(client)
    mine = sorted(f"t{uid()}" for _ in range(3))
    await publish(client, ada, "One", tagList=mine[:2])
    await publish(client, ada, "Two", tagList=mine[1:])
    response = await client.get("/tags")
    assert response.status_code == 200
    tags = response.json()["tags"]
    assert [t for t in tags if t in mine] == mine
    assert len(tags) == len(set(tags))


async def test_text_no_database_can_store_is_a_422_not_a_server_error(
    backend: str, client: httpx.AsyncClient
) -> None:
    ada = await register(client)
    headers = token_header(ada)
    for raw in (  # JSON escapes: a NUL, and a lone surrogate no UTF-8 encoder would send
        rb'{"article": {"title": "T", "description": "D", "body": "nul \u0000 byte"}}',
        rb'{"article": {"title": "lone \ud800", "description": "D", "body": "B"}}',
    ):
        response = await client.post(
            "/articles", content=raw, headers={**headers, "content-type": "application/json"}
        )
        assert response.status_code == 422, response.text
    bio = await client.put("/user", json={"user": {"bio": "a\x00b"}}, headers=headers)
    assert bio.status_code == 422 and bio.json() == {"errors": {"bio": ["is invalid"]}}
    for params in ({"tag": "a\x00b"}, {"author": "a\x00b"}):
        assert (await client.get("/articles", params=params)).status_code == 422, params
    assert (await client.get("/profiles/a%00b")).status_code == 422
    assert (await client.get("/articles/a%00b")).status_code == 422
