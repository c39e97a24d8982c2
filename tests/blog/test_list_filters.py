"""The blog's list endpoints expose only the operators each field needs, and any-of groups
(``or=KEY:VALUE``, repeatable) through the same allow-list, on every backend."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.blog.conftest import make_post, make_user

pytestmark = pytest.mark.anyio

PAGING = {"sort", "limit", "cursor"}


@pytest.mark.backends("sqlite")  # the OpenAPI document does not depend on the backend
@pytest.mark.parametrize(
    "path, filters",
    [
        (
            "/posts",
            {
                "author_id",
                "author_id__in",
                "published",
                "title__icontains",
                "created_at__gte",
                "created_at__lt",
                "tag",
                "or",
            },
        ),
        ("/users", {"name", "name__icontains", "email", "role", "role__in", "is_active", "or"}),
        ("/tags", {"name", "name__startswith", "or"}),
    ],
)
async def test_list_endpoints_document_exactly_the_operators_their_repository_exposes(
    backend: str, blog_app: FastAPI, path: str, filters: set[str]
) -> None:
    operation = blog_app.openapi()["paths"][path]["get"]
    assert {p["name"] for p in operation["parameters"]} == filters | PAGING


async def test_posts_match_any_of_a_group_of_filters(
    backend: str, client: httpx.AsyncClient
) -> None:
    ada, bob = await make_user(client, "Ada"), await make_user(client, "Bob")
    await make_post(client, ada, "Ada on indexes", published=True)
    await make_post(client, ada, "Ada draft", published=False)
    await make_post(client, bob, "Bob on joins", published=True)
    ours = f"{ada['id']},{bob['id']}"

    async def titles(params: list[tuple[str, Any]]) -> set[str]:
        response = await client.get("/posts", params=[("author_id__in", ours), *params])
        assert response.status_code == 200, response.text
        return {p["title"] for p in response.json()["items"]}

    drafts_or_bob = [("or", "published:false"), ("or", f"author_id:{bob['id']}")]
    assert await titles(drafts_or_bob) == {"Ada draft", "Bob on joins"}
    assert await titles([*drafts_or_bob, ("title__icontains", "on")]) == {"Bob on joins"}
    refused = await client.get("/posts", params=[("or", "views__gte:1")])  # not exposed
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
