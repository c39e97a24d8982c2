"""``get_db`` done right: the request's session commits BEFORE the response is sent.

The usual ``async with async_session() as session: yield session`` dependency never commits, and
one that commits after ``yield`` runs after the response (FastAPI >= 0.118): the client can get a
201 for a write that then fails. `SessionDep` commits when the path function returns and rolls
back when it raises; a failed commit becomes an error response.

Run it from anywhere, any number of times: it uses DATABASE_URL, else its own SQLite file
(./examples.db, never the blog's ./stanchion.db), creates only the tables that are missing and
drops only those at the end.
"""

from __future__ import annotations

import asyncio
import os

import httpx
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict
from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column

from stanchion import AsyncDatabase, IntegerPK, Model, NotFound
from stanchion.fastapi import SessionDep, database_lifespan, install_problem_handlers


class User(Model, IntegerPK):
    __tablename__ = "ex_getdb_users"

    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(255), unique=True)


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # clients cannot send an id

    name: str
    email: str


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    email: str


URL = os.environ.get("DATABASE_URL") or "sqlite:///./examples.db"
# Opens AsyncDatabase(URL) at startup (no engine at import time) and disposes it at shutdown.
app = FastAPI(lifespan=database_lifespan(lambda: AsyncDatabase(URL)))
install_problem_handlers(app)  # NotFound -> 404, AlreadyExists -> 409, ... as problem+json


@app.post("/users", status_code=201)
async def create_user(data: UserIn, db: SessionDep) -> UserOut:
    user = User(name=data.name, email=data.email)
    db.add(user)
    await db.flush()  # a taken email raises AlreadyExists here: a 409, nothing committed
    return UserOut.model_validate(user)


@app.get("/users/{user_id}")
async def get_user(user_id: int, db: SessionDep) -> UserOut:
    result = await db.execute(select(User).where(User.id == user_id))
    user = result.scalar_one_or_none()
    if user is None:
        raise NotFound("User", user_id)  # a 404 problem response
    return UserOut.model_validate(user)


async def main() -> None:
    database = AsyncDatabase(URL)
    # Only the missing tables (an example; services migrate instead), so only those go.
    created = await database.create_all(Model.metadata)
    try:
        await serve_a_few_requests()
    finally:
        await database.drop_all(Model.metadata, tables=created)
        await database.dispose()
    print("get_db commits before the response")


async def serve_a_few_requests() -> None:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://example") as client:
            created = await client.post("/users", json={"name": "Ada", "email": "ada@example.com"})
            assert created.status_code == 201, created.text
            user_id = created.json()["id"]
            assert (await client.get(f"/users/{user_id}")).json()["name"] == "Ada"
            again = await client.post("/users", json={"name": "Eve", "email": "ada@example.com"})
            assert again.status_code == 409
            assert again.headers["content-type"] == "application/problem+json"
            assert (await client.get("/users/999")).status_code == 404
            forged = await client.post("/users", json={"id": 7, "name": "X", "email": "x@y.z"})
            assert forged.status_code == 422


if __name__ == "__main__":
    asyncio.run(main())
