"""The reference blog on a primary and two replicas (one delayed), unchanged but for the
database it is given: 32 concurrent clients each write and read their own posts back."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

import httpx
import pytest
from blog.app import create_app
from sqlalchemy import event

from tests.blog.conftest import rebuild_schema
from tests.replicas.conftest import AsyncFactory, Topology, wait_for_table

pytestmark = pytest.mark.anyio

CLIENTS = 32
READS_PER_CLIENT = 2


async def test_32_concurrent_clients_read_their_own_posts_through_the_replicas(
    make_adb: AsyncFactory, topology: Topology
) -> None:
    await asyncio.to_thread(rebuild_schema, topology.primary)
    deadline = time.monotonic() + 15
    for replica in (topology.replica, topology.delayed):
        await asyncio.to_thread(wait_for_table, replica, deadline, "posts")
    db = make_adb([topology.replica, topology.delayed], replica_wait_ms=3000, pool_size=8)
    statements: Counter[str] = Counter()
    engines = {"primary": db.engine, "replica": db.replica_engines[0]}
    engines["delayed"] = db.replica_engines[1]
    for name, engine in engines.items():
        event.listen(engine.sync_engine, "before_cursor_execute", _count(statements, name))
    transport = httpx.ASGITransport(app=create_app(db), raise_app_exceptions=False)

    async def one_client(number: int) -> list[int]:
        async with httpx.AsyncClient(transport=transport, base_url="http://blog.test") as http:
            user = await http.post(
                "/users",
                json={
                    "name": f"C{number}",
                    "email": f"c{number}@example.com",
                    "password": "s3cret-pass",
                },
            )
            assert user.status_code == 201, user.text
            headers = {"X-User-Id": str(user.json()["id"])}
            codes = []
            for read in range(READS_PER_CLIENT):
                title = f"post {number}.{read}"
                made = await http.post(
                    "/posts", json={"title": title, "body": "b"}, headers=headers
                )
                assert made.status_code == 201, made.text
                got = await http.get(made.headers["Location"])  # its own write, at once
                codes.append(got.status_code)
                assert got.status_code != 200 or got.json()["title"] == title
            return codes

    results = await asyncio.gather(*(one_client(n) for n in range(CLIENTS)))
    assert Counter(code for codes in results for code in codes) == {200: CLIENTS * READS_PER_CLIENT}
    assert statements["replica"] + statements["delayed"] > 0  # reads did reach the replicas
    assert statements["primary"] > 0


def _count(counter: Counter[str], name: str) -> Any:
    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            counter[name] += 1

    return before
