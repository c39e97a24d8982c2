"""The RealWorld spec's rules, checked over real HTTP against the app served by uvicorn on
loopback, on each backend with real commits: exact JSON shapes and types, status codes, the
error form, pagination, authorization. Written here from the spec (the maintainers' own suite
is not published on a package registry that CI can reach; see docs/conduit.md)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from conduit.app import create_app
from conduit.models import metadata
from sqlalchemy.engine import URL

from stanchion import AsyncDatabase, Database
from tests import backends as backend_support
from tests.apps import live_server
from tests.conduit.conftest import PASSWORD, TABLES, fast_auth, uid

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


@pytest.fixture(scope="module")
def api(conduit_url: URL) -> Iterator[httpx.Client]:
    """An HTTP client for the app served on loopback; the rows it wrote are deleted after."""
    app = create_app(lambda: AsyncDatabase(backend_support.async_url(conduit_url)), fast_auth())
    try:
        with live_server(app, "/api") as base, httpx.Client(base_url=base, timeout=30) as http:
            yield http
    finally:
        db = Database(conduit_url)
        with db.engine.begin() as connection:
            for name in TABLES:
                connection.execute(metadata.tables[name].delete())
        db.dispose()


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Token {token}"}


def expect(response: httpx.Response, status: int) -> Any:
    assert response.status_code == status, (response.request.url, response.text)
    if status == 204:
        assert response.content == b""
        return None
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def expect_errors(response: httpx.Response, status: int, field: str, message: str) -> None:
    body = expect(response, status)
    assert set(body) == {"errors"} and body["errors"][field] == [message], body


def check_user(user: dict[str, Any]) -> None:
    assert set(user) == {"email", "token", "username", "bio", "image"}
    assert isinstance(user["token"], str) and user["token"]
    assert user["bio"] is None or isinstance(user["bio"], str)
    assert user["image"] is None or isinstance(user["image"], str)


def check_profile(profile: dict[str, Any]) -> None:
    assert set(profile) == {"username", "bio", "image", "following"}
    assert isinstance(profile["following"], bool)


def check_article(article: dict[str, Any], *, listed: bool = False) -> None:
    keys = {"slug", "title", "description", "tagList", "createdAt", "updatedAt"}
    keys |= {"favorited", "favoritesCount", "author"}
    assert set(article) == (keys if listed else keys | {"body"})
    assert all(isinstance(t, str) for t in article["tagList"])
    assert TIMESTAMP.match(article["createdAt"]) and TIMESTAMP.match(article["updatedAt"])
    assert isinstance(article["favorited"], bool) and isinstance(article["favoritesCount"], int)
    check_profile(article["author"])


def check_list(body: dict[str, Any]) -> list[dict[str, Any]]:
    assert set(body) == {"articles", "articlesCount"} and isinstance(body["articlesCount"], int)
    for article in body["articles"]:
        check_article(article, listed=True)
    articles: list[dict[str, Any]] = body["articles"]
    return articles


def new_user(api: httpx.Client, prefix: str) -> dict[str, Any]:
    name = f"{prefix}_{uid()}"
    body = {"user": {"username": name, "email": f"{name}@test.com", "password": PASSWORD}}
    user: dict[str, Any] = expect(api.post("/users", json=body), 201)["user"]
    check_user(user)
    return user


def new_article(api: httpx.Client, token: str, title: str, tags: list[str]) -> dict[str, Any]:
    body = {"article": {"title": title, "description": "desc", "body": "body", "tagList": tags}}
    article: dict[str, Any] = expect(api.post("/articles", json=body, headers=auth(token)), 201)[
        "article"
    ]
    check_article(article)
    return article


def test_users_register_log_in_read_and_update(api: httpx.Client) -> None:
    user = new_user(api, "auth")
    assert (user["bio"], user["image"]) == (None, None)
    login = {"user": {"email": user["email"], "password": PASSWORD}}
    logged_in = expect(api.post("/users/login", json=login), 200)["user"]
    check_user(logged_in)
    token = logged_in["token"]
    current = expect(api.get("/user", headers=auth(token)), 200)["user"]
    check_user(current)
    assert current["username"] == user["username"]
    bio = expect(api.put("/user", json={"user": {"bio": "Updated bio"}}, headers=auth(token)), 200)
    assert (bio["user"]["bio"], bio["user"]["image"]) == ("Updated bio", None)
    image = "https://example.com/me.jpg"
    updated = expect(api.put("/user", json={"user": {"image": image}}, headers=auth(token)), 200)
    assert (updated["user"]["bio"], updated["user"]["image"]) == ("Updated bio", image)
    name = f"renamed_{uid()}"
    both = {"user": {"username": name, "email": f"{name}@test.com"}}
    expect(api.put("/user", json=both, headers=auth(token)), 200)
    persisted = expect(api.get("/user", headers=auth(token)), 200)["user"]
    assert (persisted["username"], persisted["email"]) == (name, f"{name}@test.com")
    cleared = {"user": {"bio": "", "image": ""}}
    normalised = expect(api.put("/user", json=cleared, headers=auth(token)), 200)["user"]
    assert (normalised["bio"], normalised["image"]) == (None, None)


def test_user_errors(api: httpx.Client) -> None:
    name = f"ea_{uid()}"
    full = {"username": name, "email": f"{name}@test.com", "password": PASSWORD}
    for field in ("username", "email", "password"):
        blank = {"user": {**full, field: ""}}
        expect_errors(api.post("/users", json=blank), 422, field, "can't be blank")
    expect(api.post("/users", json={"user": full}), 201)
    clash = {"user": {**full, "email": f"other_{name}@test.com"}}
    expect_errors(api.post("/users", json=clash), 409, "username", "has already been taken")
    clash = {"user": {**full, "username": f"other_{name}"}}
    expect_errors(api.post("/users", json=clash), 409, "email", "has already been taken")
    empty_email = {"user": {"email": "", "password": PASSWORD}}
    expect_errors(api.post("/users/login", json=empty_email), 422, "email", "can't be blank")
    empty_password = {"user": {"email": full["email"], "password": ""}}
    expect_errors(api.post("/users/login", json=empty_password), 422, "password", "can't be blank")
    wrong = {"user": {"email": full["email"], "password": "wrong-password"}}
    expect_errors(api.post("/users/login", json=wrong), 401, "credentials", "invalid")
    expect_errors(api.get("/user"), 401, "token", "is missing")
    expect_errors(api.put("/user", json={"user": {"bio": "x"}}), 401, "token", "is missing")
    expect_errors(api.get("/user", headers=auth("garbage")), 401, "token", "is invalid")


def test_profiles_and_following(api: httpx.Client) -> None:
    celeb, fan = new_user(api, "celeb"), new_user(api, "fan")
    path = f"/profiles/{celeb['username']}"
    anonymous = expect(api.get(path), 200)["profile"]
    check_profile(anonymous)
    assert anonymous == {
        "username": celeb["username"],
        "bio": None,
        "image": None,
        "following": False,
    }
    followed = expect(api.post(f"{path}/follow", headers=auth(fan["token"])), 200)["profile"]
    assert followed["following"] is True
    assert expect(api.get(path, headers=auth(fan["token"])), 200)["profile"]["following"] is True
    assert expect(api.get(path), 200)["profile"]["following"] is False
    unfollowed = expect(api.delete(f"{path}/follow", headers=auth(fan["token"])), 200)["profile"]
    assert unfollowed["following"] is False
    expect_errors(api.get(f"/profiles/missing_{uid()}"), 404, "profile", "not found")
    expect_errors(
        api.post(f"/profiles/missing_{uid()}/follow", headers=auth(fan["token"])),
        404,
        "profile",
        "not found",
    )
    expect_errors(api.post(f"{path}/follow"), 401, "token", "is missing")
    expect_errors(api.delete(f"{path}/follow"), 401, "token", "is missing")


def test_articles_create_list_filter_read_update_delete(api: httpx.Client) -> None:
    writer, other = new_user(api, "art"), new_user(api, "other")
    token = writer["token"]
    tags = [f"d_{uid()}", f"t_{uid()}"]
    article = new_article(api, token, f"Test Article {uid()}", tags)
    assert article["tagList"] == tags
    assert (article["favorited"], article["favoritesCount"]) == (False, 0)
    assert article["author"]["username"] == writer["username"]
    slug = article["slug"]
    for params, headers in (
        ({}, {}),
        ({"author": writer["username"]}, {}),
        ({}, auth(token)),
        ({"author": writer["username"]}, auth(token)),
        ({"tag": tags[0]}, {}),
    ):
        listed = check_list(expect(api.get("/articles", params=params, headers=headers), 200))
        assert listed and slug in [a["slug"] for a in listed], params
    by_tag = check_list(expect(api.get("/articles", params={"tag": tags[0]}), 200))
    assert [a["slug"] for a in by_tag] == [slug] and tags[0] in by_tag[0]["tagList"]
    read = expect(api.get(f"/articles/{slug}"), 200)["article"]
    check_article(read)
    assert read == article
    change = {"article": {"body": "Updated body content"}}
    updated = expect(api.put(f"/articles/{slug}", json=change, headers=auth(token)), 200)["article"]
    check_article(updated)
    assert (updated["slug"], updated["body"]) == (slug, "Updated body content")
    assert updated["createdAt"] == article["createdAt"]
    assert updated["updatedAt"] != article["updatedAt"]
    assert expect(api.get(f"/articles/{slug}"), 200)["article"]["body"] == "Updated body content"
    forbidden = api.put(f"/articles/{slug}", json=change, headers=auth(other["token"]))
    expect_errors(forbidden, 403, "article", "forbidden")
    expect_errors(
        api.delete(f"/articles/{slug}", headers=auth(other["token"])), 403, "article", "forbidden"
    )
    expect(api.delete(f"/articles/{slug}", headers=auth(token)), 204)
    expect_errors(api.get(f"/articles/{slug}"), 404, "article", "not found")


def test_article_errors(api: httpx.Client) -> None:
    body = {"article": {"title": "No auth", "description": "d", "body": "b"}}
    for method, path in (
        ("POST", "/articles"),
        ("PUT", "/articles/some-slug"),
        ("DELETE", "/articles/some-slug"),
        ("GET", "/articles/feed"),
        ("POST", "/articles/some-slug/favorite"),
        ("DELETE", "/articles/some-slug/favorite"),
        ("POST", "/articles/some-slug/comments"),
        ("DELETE", "/articles/some-slug/comments/1"),
    ):
        expect_errors(api.request(method, path, json=body), 401, "token", "is missing")
    token = new_user(api, "ea_art")["token"]
    for field in ("title", "description", "body"):
        blank = {"article": {"title": "T", "description": "d", "body": "b", field: ""}}
        response = api.post("/articles", json=blank, headers=auth(token))
        expect_errors(response, 422, field, "can't be blank")
    missing = f"unknown-slug-{uid()}"
    expect_errors(api.get(f"/articles/{missing}"), 404, "article", "not found")
    for method, path in (
        ("PUT", f"/articles/{missing}"),
        ("DELETE", f"/articles/{missing}"),
        ("POST", f"/articles/{missing}/favorite"),
        ("DELETE", f"/articles/{missing}/favorite"),
        ("GET", f"/articles/{missing}/comments"),
        ("POST", f"/articles/{missing}/comments"),
    ):
        json = {"article": {"body": "x"}, "comment": {"body": "x"}}
        response = api.request(method, path, json=json, headers=auth(token))
        expect_errors(response, 404, "article", "not found")


def test_favorites(api: httpx.Client) -> None:
    writer, fan = new_user(api, "fav_w"), new_user(api, "fav_f")
    slug = new_article(api, writer["token"], f"Fav {uid()}", [])["slug"]
    favorited = expect(api.post(f"/articles/{slug}/favorite", headers=auth(fan["token"])), 200)
    check_article(favorited["article"])
    assert (favorited["article"]["favorited"], favorited["article"]["favoritesCount"]) == (True, 1)
    by_fan = check_list(expect(api.get("/articles", params={"favorited": fan["username"]}), 200))
    assert [a["slug"] for a in by_fan] == [slug] and by_fan[0]["favoritesCount"] == 1
    as_fan = expect(
        api.get("/articles", params={"favorited": fan["username"]}, headers=auth(fan["token"])),
        200,
    )
    assert as_fan["articles"][0]["favorited"] is True
    undone = expect(api.delete(f"/articles/{slug}/favorite", headers=auth(fan["token"])), 200)
    assert (undone["article"]["favorited"], undone["article"]["favoritesCount"]) == (False, 0)
    after = expect(api.get(f"/articles/{slug}", headers=auth(fan["token"])), 200)["article"]
    assert (after["favorited"], after["favoritesCount"]) == (False, 0)
    empty = expect(api.get("/articles", params={"favorited": fan["username"]}), 200)
    assert empty == {"articles": [], "articlesCount": 0}


def test_comments(api: httpx.Client) -> None:
    writer, reader = new_user(api, "cmt"), new_user(api, "cmt_r")
    slug = new_article(api, writer["token"], f"Comment Article {uid()}", [])["slug"]
    path = f"/articles/{slug}/comments"
    created = expect(
        api.post(path, json={"comment": {"body": "Test comment"}}, headers=auth(writer["token"])),
        201,
    )["comment"]
    assert set(created) == {"id", "createdAt", "updatedAt", "body", "author"}
    assert isinstance(created["id"], int) and TIMESTAMP.match(created["createdAt"])
    check_profile(created["author"])
    for headers in ({}, auth(reader["token"])):
        listed = expect(api.get(path, headers=headers), 200)
        assert set(listed) == {"comments"} and [c["id"] for c in listed["comments"]] == [
            created["id"]
        ]
    blank = api.post(path, json={"comment": {"body": ""}}, headers=auth(writer["token"]))
    expect_errors(blank, 422, "body", "can't be blank")
    expect_errors(
        api.delete(f"{path}/{created['id']}", headers=auth(reader["token"])),
        403,
        "comment",
        "forbidden",
    )
    expect_errors(
        api.delete(f"{path}/{created['id'] + 10**6}", headers=auth(writer["token"])),
        404,
        "comment",
        "not found",
    )
    expect(api.delete(f"{path}/{created['id']}", headers=auth(writer["token"])), 204)
    assert expect(api.get(path), 200) == {"comments": []}


def test_feed_and_pagination(api: httpx.Client) -> None:
    star, fan = new_user(api, "feed_s"), new_user(api, "feed_f")
    tag = f"page_{uid()}"
    slugs = [new_article(api, star["token"], f"Page {i} {uid()}", [tag])["slug"] for i in range(3)]
    newest_first = slugs[::-1]
    listed = check_list(expect(api.get("/articles", params={"tag": tag}), 200))
    assert [a["slug"] for a in listed] == newest_first
    pages = [
        expect(api.get("/articles", params={"tag": tag, "limit": 1, "offset": n}), 200)
        for n in range(4)
    ]
    assert [[a["slug"] for a in p["articles"]] for p in pages] == [[s] for s in newest_first] + [[]]
    assert {p["articlesCount"] for p in pages} == {3}
    assert expect(api.get("/articles/feed", headers=auth(fan["token"])), 200) == {
        "articles": [],
        "articlesCount": 0,
    }
    expect(api.post(f"/profiles/{star['username']}/follow", headers=auth(fan["token"])), 200)
    feed = expect(api.get("/articles/feed", headers=auth(fan["token"])), 200)
    assert [a["slug"] for a in check_list(feed)] == newest_first and feed["articlesCount"] == 3
    assert all(a["author"]["following"] for a in feed["articles"])
    one = expect(api.get("/articles/feed", params={"limit": 1}, headers=auth(fan["token"])), 200)
    assert [a["slug"] for a in one["articles"]] == newest_first[:1] and one["articlesCount"] == 3
    skipped = api.get(
        "/articles/feed", params={"limit": 1, "offset": 2}, headers=auth(fan["token"])
    )
    assert [a["slug"] for a in expect(skipped, 200)["articles"]] == newest_first[2:]


def test_tags(api: httpx.Client) -> None:
    token = new_user(api, "tags")["token"]
    mine = [f"tag_{uid()}", f"tag_{uid()}"]
    new_article(api, token, f"Tagged {uid()}", mine)
    body = expect(api.get("/tags"), 200)
    assert set(body) == {"tags"} and all(isinstance(t, str) for t in body["tags"])
    assert set(mine) <= set(body["tags"])
