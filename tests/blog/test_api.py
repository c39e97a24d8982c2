"""The blog API end to end over HTTP (in process), on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.blog.conftest import make_post, make_user

pytestmark = pytest.mark.anyio
_REFERENCE_APP_PAGE = Path(__file__).resolve().parents[2] / "docs" / "reference-app.md"


def as_user(user: dict[str, Any]) -> dict[str, str]:
    return {"X-User-Id": str(user["id"])}


async def test_user_can_be_created_read_listed_edited_and_deleted(
    backend: str, client: httpx.AsyncClient
) -> None:
    ada = await make_user(client, "Ada")
    assert "password" not in ada and "password_hash" not in ada
    assert (await client.get(f"/users/{ada['id']}")).json()["email"] == "ada@example.com"
    edited = await client.patch(
        f"/users/{ada['id']}", json={"name": "Ada L."}, headers=as_user(ada)
    )
    assert edited.status_code == 200 and edited.json()["name"] == "Ada L."
    listed = (await client.get("/users", params={"name": "Ada L."})).json()
    assert [u["id"] for u in listed["items"]] == [ada["id"]]
    assert (await client.delete(f"/users/{ada['id']}", headers=as_user(ada))).status_code == 204
    missing = await client.get(f"/users/{ada['id']}")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


async def test_taken_email_is_a_409_problem_without_sql_or_constraint_text(
    backend: str, client: httpx.AsyncClient
) -> None:
    await make_user(client, "Ada")
    again = await client.post(
        "/users", json={"name": "Other", "email": "ada@example.com", "password": "xxxxxxxx"}
    )
    assert again.status_code == 409
    problem = again.json()
    assert problem["status"] == 409 and problem["fields"] == ["email"]
    text = again.text.lower()
    for leak in ("insert", "select", "uq_users_email", "unique constraint", "duplicate", "ada@"):
        assert leak not in text


@pytest.mark.parametrize(
    "path, body",
    [
        ("/users", {"id": 99, "name": "A", "email": "a@b.co", "password": "xxxxxxxx"}),
        ("/posts", {"title": "T", "body": "B", "author_id": 1}),
        ("/posts", {"title": "T", "body": "B", "version": 7}),
        ("/posts", {"title": "T", "body": "B", "id": 5}),
    ],
)
async def test_input_schemas_refuse_ids_authors_and_versions(
    backend: str, client: httpx.AsyncClient, path: str, body: dict[str, Any]
) -> None:
    ada = await make_user(client, "Ada")
    response = await client.post(path, json=body, headers=as_user(ada))
    assert response.status_code == 422
    assert response.json()["errors"][0]["type"] == "extra_forbidden"


async def test_post_edit_needs_the_current_etag(
    backend: str, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    ada = await make_user(client, "Ada")
    with caplog.at_level("INFO", logger="blog.posts"):
        created = await make_post(client, ada, "First", tags=["sql", "python"])
    post = created.json()
    assert f"post {post['id']} created" in caplog.text  # the on-commit hook ran
    assert created.headers["ETag"] == '"1"'
    assert [t["name"] for t in post["tags"]] == ["python", "sql"]
    assert post["author"] == {"id": ada["id"], "name": "Ada"}
    url = f"/posts/{post['id']}"

    missing = await client.patch(url, json={"title": "x"}, headers=as_user(ada))
    assert missing.status_code == 428
    edited = await client.patch(
        url, json={"title": "Second"}, headers={**as_user(ada), "If-Match": '"1"'}
    )
    assert edited.status_code == 200, edited.text
    assert edited.headers["ETag"] == '"2"' and edited.json()["title"] == "Second"
    stale = await client.patch(
        url, json={"title": "Lost update"}, headers={**as_user(ada), "If-Match": '"1"'}
    )
    assert stale.status_code == 412
    tags_only = await client.patch(
        url, json={"tags": ["fastapi"]}, headers={**as_user(ada), "If-Match": '"2"'}
    )
    assert tags_only.headers["ETag"] == '"3"'
    assert [t["name"] for t in tags_only.json()["tags"]] == ["fastapi"]
    current = await client.get(url)
    assert current.json()["title"] == "Second" and current.headers["ETag"] == '"3"'


@pytest.mark.parametrize(
    ("if_match", "status"),
    [
        ("abc", 400),
        ('"²"'.encode(), 400),  # str.isdigit() is true for "²": int() would raise, a 500
        ('"1", "2"', 400),
        ('"99999999999999999999"', 400),
        ('W/"1"', 412),  # weak tags never match If-Match's strong comparison
        ('"7"', 412),
    ],
)
async def test_a_malformed_or_stale_if_match_is_a_client_error(
    backend: str, client: httpx.AsyncClient, if_match: str | bytes, status: int
) -> None:
    ada = await make_user(client, "Ada")
    url = f"/posts/{(await make_post(client, ada)).json()['id']}"
    raw = if_match if isinstance(if_match, bytes) else if_match.encode()
    headers = {**{k.encode(): v.encode() for k, v in as_user(ada).items()}, b"If-Match": raw}
    edited = await client.patch(url, json={"title": "x"}, headers=headers)
    assert edited.status_code == status, edited.text
    assert edited.headers["content-type"] == "application/problem+json"
    deleted = await client.delete(url, headers=headers)
    assert deleted.status_code == status, deleted.text
    assert (await client.get(url)).json()["title"] != "x"


async def test_delete_with_a_stale_etag_keeps_the_post(
    backend: str, client: httpx.AsyncClient
) -> None:
    ada = await make_user(client, "Ada")
    url = f"/posts/{(await make_post(client, ada)).json()['id']}"
    await client.patch(url, json={"title": "v2"}, headers={**as_user(ada), "If-Match": '"1"'})
    stale = await client.delete(url, headers={**as_user(ada), "If-Match": '"1"'})
    assert stale.status_code == 412
    assert (await client.get(url)).status_code == 200
    fresh = await client.delete(url, headers={**as_user(ada), "If-Match": '"2"'})
    assert fresh.status_code == 204
    assert (await client.get(url)).status_code == 404


async def test_only_the_author_may_edit_or_delete_a_post(
    backend: str, client: httpx.AsyncClient
) -> None:
    ada, bob = await make_user(client, "Ada"), await make_user(client, "Bob")
    post = (await make_post(client, ada)).json()
    url = f"/posts/{post['id']}"
    edit = await client.patch(url, json={"title": "x"}, headers={**as_user(bob), "If-Match": "*"})
    assert edit.status_code == 403
    assert (await client.delete(url, headers=as_user(bob))).status_code == 403
    assert (await client.post("/posts", json={"title": "t", "body": "b"})).status_code == 401


async def test_soft_deleted_post_disappears_and_can_be_restored(
    backend: str, client: httpx.AsyncClient
) -> None:
    ada = await make_user(client, "Ada")
    post = (await make_post(client, ada)).json()
    url = f"/posts/{post['id']}"
    assert (await client.delete(url, headers=as_user(ada))).status_code == 204
    assert (await client.get(url)).status_code == 404
    assert (await client.get("/posts")).json()["items"] == []
    comment = await client.post(f"{url}/comments", json={"body": "hi"}, headers=as_user(ada))
    assert comment.status_code == 404
    restored = await client.post(f"{url}/restore", headers=as_user(ada))
    assert restored.status_code == 200
    assert (await client.get(url)).status_code == 200


async def test_post_list_filters_sorts_and_pages_without_gaps_or_repeats(
    backend: str, client: httpx.AsyncClient
) -> None:
    ada, bob = await make_user(client, "Ada"), await make_user(client, "Bob")
    for i in range(7):
        await make_post(client, ada, f"Ada post {i}", published=i % 2 == 0, tags=["gaps-sql"])
    for i in range(3):
        await make_post(client, bob, f"Bob SQL {i}", published=True, tags=["gaps-python"])
    ours = f"{ada['id']},{bob['id']}"

    async def ids(**params: Any) -> list[int]:
        response = await client.get("/posts", params={"author_id__in": ours, **params})
        assert response.status_code == 200, response.text
        return [p["id"] for p in response.json()["items"]]

    assert len(await ids(author_id=ada["id"])) == 7
    assert len(await ids(tag="gaps-python")) == 3
    assert len(await ids(published="true", tag="gaps-sql")) == 4
    assert len(await ids(title__icontains="bob sql")) == 3
    listed = await client.get("/posts", params={"author_id__in": ours, "sort": "title"})
    titles = [p["title"] for p in listed.json()["items"]]
    assert titles == sorted(titles) and len(titles) == 10

    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"author_id__in": ours, "limit": 3, "sort": "-created_at"}
        page = (
            await client.get("/posts", params={**params, **({"cursor": cursor} if cursor else {})})
        ).json()
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 10, seen


async def test_post_list_query_count_does_not_grow_with_page_size(
    backend: str, client: httpx.AsyncClient, count_queries: Any
) -> None:
    ada, bob = await make_user(client, "Ada"), await make_user(client, "Bob")
    for i in range(12):
        await make_post(client, ada if i % 2 else bob, f"P{i}", tags=[f"t{i % 4}", "all"])
    counts = {}
    for size in (2, 12):
        with count_queries() as counter:
            response = await client.get("/posts", params={"limit": size})
        assert len(response.json()["items"]) == size
        assert all(p["author"]["name"] and p["tags"] for p in response.json()["items"])
        counts[size] = counter.count
    assert counts[2] == counts[12] == 3, counter.describe()  # posts, their authors, their tags


async def test_user_statistics_aggregate_posts_views_and_comments(
    backend: str, client: httpx.AsyncClient
) -> None:
    ada, bob = await make_user(client, "Ada"), await make_user(client, "Bob")
    first = (await make_post(client, ada, "A1", published=True)).json()
    await make_post(client, ada, "A2", published=False)
    gone = (await make_post(client, ada, "A3", published=True)).json()
    await client.delete(f"/posts/{gone['id']}", headers=as_user(ada))
    await make_post(client, bob, "B1", published=True)
    for who in (bob, bob, ada):
        comment = {"body": "nice"}
        await client.post(f"/posts/{first['id']}/comments", json=comment, headers=as_user(who))

    stats = (await client.get(f"/users/{ada['id']}/stats")).json()
    assert (stats["posts"], stats["published_posts"]) == (2, 1)  # the soft-deleted one is out
    assert (stats["comments_written"], stats["comments_received"]) == (1, 3)
    assert stats["last_post_at"] is not None
    empty = (await client.get(f"/users/{(await make_user(client, 'Cy'))['id']}/stats")).json()
    assert (empty["posts"], empty["total_views"], empty["last_post_at"]) == (0, 0, None)
    assert (await client.get("/users/999999/stats")).status_code == 404
    ranks = (await client.get("/stats/authors")).json()
    assert {r["user_id"] for r in ranks} == {ada["id"], bob["id"]}


async def test_comments_and_tags_have_full_crud(backend: str, client: httpx.AsyncClient) -> None:
    ada, bob = await make_user(client, "Ada"), await make_user(client, "Bob")
    post = (await make_post(client, ada)).json()
    made = await client.post(
        f"/posts/{post['id']}/comments", json={"body": "First!"}, headers=as_user(bob)
    )
    comment = made.json()
    assert made.status_code == 201 and comment["author"]["name"] == "Bob"
    url = f"/comments/{comment['id']}"
    assert (await client.patch(url, json={"body": "x"}, headers=as_user(ada))).status_code == 403
    edited = await client.patch(url, json={"body": "Second!"}, headers=as_user(bob))
    assert edited.json()["body"] == "Second!"
    listed = (await client.get(f"/posts/{post['id']}/comments")).json()["items"]
    assert [c["body"] for c in listed] == ["Second!"]
    assert (await client.delete(url, headers=as_user(bob))).status_code == 204
    assert (await client.get(url)).status_code == 404

    tag = (await client.post("/tags", json={"name": "sql"})).json()
    assert (await client.post("/tags", json={"name": "sql"})).status_code == 409
    renamed = await client.patch(f"/tags/{tag['id']}", json={"name": "databases"})
    assert renamed.json()["name"] == "databases"
    assert [t["name"] for t in (await client.get("/tags")).json()["items"]] == ["databases"]
    assert (await client.delete(f"/tags/{tag['id']}")).status_code == 204
    assert (await client.get(f"/tags/{tag['id']}")).status_code == 404


async def test_deleting_a_user_who_wrote_posts_is_a_409(
    backend: str, client: httpx.AsyncClient
) -> None:
    ada = await make_user(client, "Ada")
    await make_post(client, ada)
    response = await client.delete(f"/users/{ada['id']}", headers=as_user(ada))
    assert response.status_code == 409
    assert "posts" not in response.json()["detail"]  # no table or constraint names
    assert (await client.get(f"/users/{ada['id']}")).status_code == 200


async def test_health_reports_database_and_pool(backend: str, client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    body = response.json()
    assert response.status_code == 200 and body["status"] == "ok"
    assert body["schema_at_head"] is True and body["schema_revision"] == body["schema_head"]
    assert body["backend"] == {"mysql": "mysql"}.get(backend, backend)
    assert body["pool"]["checked_out"] >= 0


@pytest.mark.commits
async def test_health_is_503_when_the_schema_is_not_migrated(tmp_path: Any) -> None:
    from blog.app import create_app

    from stanchion import AsyncDatabase

    db = AsyncDatabase(f"sqlite+aiosqlite:///{tmp_path}/empty.db")
    transport = httpx.ASGITransport(app=create_app(db), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/health")
    await db.dispose()
    assert response.status_code == 503
    assert response.json()["schema_at_head"] is False


async def test_the_documented_user_creation_works_as_written(
    backend: str, client: httpx.AsyncClient
) -> None:
    """docs/reference-app.md shows the POST /users body a newcomer copies: it must be complete."""
    page = _REFERENCE_APP_PAGE.read_text()
    found = re.search(r"POST http://127\.0\.0\.1:8000/users .*?-d '(\{.*?\})'", page, re.S)
    assert found, "docs/reference-app.md shows no POST /users example"
    created = await client.post("/users", json=json.loads(found.group(1)))
    assert created.status_code == 201, created.text
