"""Read-your-writes over HTTP: `CausalityMiddleware` hands the client a signed token after a
write and honours it on the next request; a tampered or forged token is ignored, never a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from stanchion import AsyncDatabase, CausalityToken
from stanchion.fastapi import (
    CausalityMiddleware,
    ReadOnlyUnitOfWorkDep,
    UnitOfWorkDep,
    set_database,
)
from tests.replicas.conftest import TABLE, AsyncFactory, Topology

pytestmark = pytest.mark.anyio

SECRET = "test-secret-of-this-app"
HEADER = "x-stanchion-causality"


def _app(db: AsyncDatabase, topology: Topology) -> FastAPI:
    app = FastAPI()
    app.add_middleware(CausalityMiddleware, secret=SECRET)
    set_database(app, db)

    @app.put("/value/{value}")
    async def write(value: int, tx: UnitOfWorkDep) -> dict[str, int]:
        await tx.session.execute(text(f"UPDATE {TABLE} SET v = :v WHERE id = 1"), {"v": value})
        return {"v": value}

    @app.get("/value")
    async def read(tx: ReadOnlyUnitOfWorkDep) -> dict[str, int]:
        value = (await tx.session.execute(text(f"SELECT v FROM {TABLE} WHERE id = 1"))).scalar()
        port = (await tx.session.execute(text(topology.server_port_sql))).scalar()
        return {"v": int(value or 0), "port": int(port or 0)}

    return app


@pytest.fixture
async def client_for(make_adb: AsyncFactory, topology: Topology) -> AsyncIterator[Any]:
    clients: list[httpx.AsyncClient] = []

    def make(replicas: list[Any], **settings: Any) -> httpx.AsyncClient:
        app = _app(make_adb(replicas, **settings), topology)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        client = httpx.AsyncClient(transport=transport, base_url="http://app.test")
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


async def test_a_client_reads_its_own_write_from_the_delayed_replica_via_the_cookie(
    client_for: Any, topology: Topology
) -> None:
    client = client_for([topology.delayed], replica_wait_ms=5000)
    for value in (101, 102):
        written = await client.put(f"/value/{value}")
        assert written.status_code == 200
        assert written.headers[HEADER] and "stanchion_causality" in written.headers["set-cookie"]
        assert "HttpOnly" in written.headers["set-cookie"]
        read = await client.get("/value")  # the cookie jar sends the token back
        assert read.json() == {"v": value, "port": topology.port(topology.delayed)}
        assert HEADER not in read.headers  # a read does not hand out a new token


async def test_the_header_alone_carries_the_token(client_for: Any, topology: Topology) -> None:
    client = client_for([topology.delayed], replica_wait_ms=5000)
    token = (await client.put("/value/103")).headers[HEADER]
    client.cookies.clear()
    read = await client.get("/value", headers={HEADER: token})
    assert read.json()["v"] == 103


async def test_a_tampered_or_forged_token_is_ignored_not_an_error(
    client_for: Any, topology: Topology
) -> None:
    client = client_for([topology.replica], replica_wait_ms=200)
    replica, primary = topology.port(topology.replica), topology.port(topology.primary)
    genuine = (await client.put("/value/104")).headers[HEADER]
    client.cookies.clear()
    # A position far in the future: if it were trusted, no replica could reach it in time and
    # the read would go to the primary. Ignored, the read goes to the replica without a wait.
    position = "FFFFFFFF/0" if topology.backend == "postgresql" else "0-1-999999999"
    future = CausalityToken(genuine.split(".")[0], position)
    forged = future.sign(b"another key")
    tampered = genuine[:-2] + ("AA" if not genuine.endswith("AA") else "BB")
    for bad in (forged, tampered, "not-a-token", "a.b.c", "x" * 5000):
        read = await client.get("/value", headers={HEADER: bad})
        assert read.status_code == 200
        assert read.json()["port"] == replica
    garbage = await client.get("/value", headers={"cookie": 'stanchion_causality="\\x00; =;;'})
    assert garbage.status_code == 200
    trusted = await client.get("/value", headers={HEADER: future.sign(SECRET.encode())})
    assert trusted.json()["port"] == primary  # control: the same token, signed, is honoured
