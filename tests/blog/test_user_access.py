"""Who may change a user, and how large a request may be.

Only the user themselves or an admin may edit or delete a user, and only an admin may change a
role or the active flag: before, anyone without ``X-User-Id`` could make themselves admin. A body
beyond the blog's limit is a 413 problem, read no further.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from blog.limits import MAX_BODY_BYTES
from blog.models import User

from stanchion import AsyncDatabase
from tests.blog.conftest import make_user

pytestmark = pytest.mark.anyio


def as_user(user: dict[str, Any]) -> dict[str, str]:
    return {"X-User-Id": str(user["id"])}


async def make_admin(client: httpx.AsyncClient, blog_db: AsyncDatabase) -> dict[str, Any]:
    admin = await make_user(client, "Root")
    async with blog_db.transaction() as tx:
        await tx.repository(User).update(admin["id"], {"role": "admin"})
    return admin


async def test_only_the_user_or_an_admin_changes_a_user_and_only_an_admin_a_role(
    backend: str, client: httpx.AsyncClient, blog_db: AsyncDatabase
) -> None:
    ada = await make_user(client, "Ada")
    bob = await make_user(client, "Bob")
    root = await make_admin(client, blog_db)
    url = f"/users/{ada['id']}"
    refused = [
        (None, {"role": "admin"}, 401),  # the issue: anyone could promote anyone
        (None, {"name": "x"}, 401),
        (bob, {"name": "not Ada"}, 403),
        (bob, {"role": "admin"}, 403),
        (ada, {"role": "admin"}, 403),  # nor promote herself
        (ada, {"is_active": False}, 403),
        ({"id": 2**63 - 1}, {"name": "x"}, 401),  # an unknown user
    ]
    for acting, body, status in refused:
        headers = as_user(acting) if acting else None
        response = await client.patch(url, json=body, headers=headers)
        assert response.status_code == status, (acting, body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    assert (await client.get(url)).json()["role"] == "author"
    assert (await client.delete(url)).status_code == 401
    assert (await client.delete(url, headers=as_user(bob))).status_code == 403

    mine = await client.patch(url, json={"name": "Ada L."}, headers=as_user(ada))
    assert mine.status_code == 200 and mine.json()["name"] == "Ada L."
    promoted = await client.patch(url, json={"role": "moderator"}, headers=as_user(root))
    assert promoted.status_code == 200 and promoted.json()["role"] == "moderator"
    assert (await client.delete(f"/users/{bob['id']}", headers=as_user(root))).status_code == 204


@pytest.mark.backends("sqlite")  # refused before the app reads it: one backend is enough
async def test_a_body_over_the_limit_is_a_413_problem(
    backend: str, client: httpx.AsyncClient
) -> None:
    ada = await make_user(client, "Ada")
    big = b'{"title": "t", "body": "' + b"x" * MAX_BODY_BYTES + b'"}'
    headers = {**as_user(ada), "content-type": "application/json"}
    declared = await client.post("/posts", content=big, headers=headers)

    async def chunks() -> Any:  # no Content-Length: counted as it arrives
        for start in range(0, len(big), 65536):
            yield big[start : start + 65536]

    streamed = await client.post("/posts", content=chunks(), headers=headers)
    for response in (declared, streamed):
        assert response.status_code == 413, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == 413
    assert (await client.get("/posts")).json()["items"] == []
    fits = b'{"title": "t", "body": "' + b"x" * 1000 + b'"}'
    assert (await client.post("/posts", content=fits, headers=headers)).status_code == 201
