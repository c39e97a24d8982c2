"""Accounts: register, log in, the current user, changes; passwords and tokens done safely."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from conduit.auth import Auth
from conduit.models import User
from sqlalchemy import select

from stanchion import AsyncDatabase
from tests.conduit.conftest import FAST_HASHER, PASSWORD, SECRET, register, token_header, uid

pytestmark = pytest.mark.anyio


async def test_registration_returns_the_user_with_a_token_and_null_bio_and_image(
    backend: str, client: httpx.AsyncClient, conduit_db: AsyncDatabase
) -> None:
    name = f"ada_{uid()}"
    body = {"user": {"username": name, "email": f"{name}@example.com", "password": "s3cret!"}}
    response = await client.post("/users", json=body)
    assert response.status_code == 201
    user = response.json()["user"]
    assert set(user) == {"email", "token", "username", "bio", "image"}
    assert (user["username"], user["email"], user["bio"], user["image"]) == (
        name,
        f"{name}@example.com",
        None,
        None,
    )
    me = await client.get("/user", headers=token_header(user))
    assert me.status_code == 200 and me.json()["user"]["username"] == name
    async with conduit_db.session() as session:
        stored = (await session.execute(select(User.password_hash))).scalar_one()
    assert stored.startswith("$argon2id$") and "s3cret!" not in stored
    assert "password" not in response.text


async def test_login_gives_a_working_token_and_refuses_wrong_credentials_alike(
    backend: str, client: httpx.AsyncClient
) -> None:
    user = await register(client, "bob")
    login = await client.post(
        "/users/login", json={"user": {"email": user["email"], "password": PASSWORD}}
    )
    assert login.status_code == 200
    assert (
        await client.get("/user", headers=token_header(login.json()["user"]))
    ).status_code == 200
    wrong = await client.post(
        "/users/login", json={"user": {"email": user["email"], "password": "nope"}}
    )
    unknown = await client.post(
        "/users/login", json={"user": {"email": "nobody@example.com", "password": PASSWORD}}
    )
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert response.json() == {"errors": {"credentials": ["invalid"]}}


async def test_a_blank_or_missing_registration_field_is_a_422_naming_it(
    backend: str, client: httpx.AsyncClient
) -> None:
    name = f"c_{uid()}"
    full = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    for field in full:
        blank = await client.post("/users", json={"user": {**full, field: ""}})
        missing = await client.post(
            "/users", json={"user": {k: v for k, v in full.items() if k != field}}
        )
        for response in (blank, missing):
            assert response.status_code == 422
            assert response.json() == {"errors": {field: ["can't be blank"]}}
    login = await client.post("/users/login", json={"user": {"email": "", "password": ""}})
    assert login.status_code == 422
    assert login.json() == {"errors": {"email": ["can't be blank"], "password": ["can't be blank"]}}
    malformed = await client.post("/users", json={"user": {**full, "email": "not-an-email"}})
    assert malformed.status_code == 422
    assert malformed.json() == {"errors": {"email": ["is invalid"]}}


async def test_a_body_without_its_wrapper_or_not_json_is_a_422(
    backend: str, client: httpx.AsyncClient
) -> None:
    unwrapped = await client.post("/users", json={"username": "x", "email": "x@y.z"})
    assert unwrapped.status_code == 422 and unwrapped.json() == {
        "errors": {"user": ["can't be blank"]}
    }
    garbage = await client.post(
        "/users", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert garbage.status_code == 422 and "errors" in garbage.json()


async def test_a_taken_username_or_email_is_a_409_without_database_text(
    backend: str, client: httpx.AsyncClient
) -> None:
    first = await register(client, "dup")
    for field in ("username", "email"):
        other = f"o_{uid()}"
        body = {"username": other, "email": f"{other}@example.com", "password": PASSWORD}
        body[field] = first[field]
        response = await client.post("/users", json={"user": body})
        assert response.status_code == 409
        assert response.json() == {"errors": {field: ["has already been taken"]}}
        for leak in ("insert", "unique", "constraint", "duplicate", "uq_"):
            assert leak not in response.text.lower()


async def test_update_changes_fields_normalises_empty_bio_and_image_and_rehashes_the_password(
    backend: str, client: httpx.AsyncClient
) -> None:
    user = await register(client, "eve")
    headers = token_header(user)
    changed = await client.put(
        "/user",
        json={"user": {"bio": "I write.", "image": "https://example.com/eve.png"}},
        headers=headers,
    )
    assert changed.status_code == 200
    assert (changed.json()["user"]["bio"], changed.json()["user"]["image"]) == (
        "I write.",
        "https://example.com/eve.png",
    )
    cleared = await client.put("/user", json={"user": {"bio": "", "image": ""}}, headers=headers)
    assert (cleared.json()["user"]["bio"], cleared.json()["user"]["image"]) == (None, None)
    new_name = f"eve2_{uid()}"
    renamed = await client.put(
        "/user", json={"user": {"username": new_name, "password": "another-one"}}, headers=headers
    )
    assert renamed.json()["user"]["username"] == new_name
    assert renamed.json()["user"]["email"] == user["email"]  # untouched
    old = await client.post(
        "/users/login", json={"user": {"email": user["email"], "password": PASSWORD}}
    )
    new = await client.post(
        "/users/login", json={"user": {"email": user["email"], "password": "another-one"}}
    )
    assert (old.status_code, new.status_code) == (401, 200)


async def test_update_to_a_taken_email_is_a_409_and_changes_nothing(
    backend: str, client: httpx.AsyncClient
) -> None:
    ada, bob = await register(client, "ada"), await register(client, "bob")
    response = await client.put(
        "/user", json={"user": {"email": ada["email"], "bio": "x"}}, headers=token_header(bob)
    )
    assert response.status_code == 409
    assert response.json() == {"errors": {"email": ["has already been taken"]}}
    me = (await client.get("/user", headers=token_header(bob))).json()["user"]
    assert (me["email"], me["bio"]) == (bob["email"], None)


async def test_requests_without_a_valid_token_are_401_in_the_spec_form(
    backend: str, client: httpx.AsyncClient
) -> None:
    user = await register(client)
    other_secret = Auth(secret="x" * 32, hasher=FAST_HASHER)
    expired = Auth(secret=SECRET, token_lifetime=timedelta(seconds=-1))
    missing = await client.get("/user")
    assert missing.status_code == 401
    assert missing.json() == {"errors": {"token": ["is missing"]}}
    for header in (
        f"Token {other_secret.token_for(1)}",
        f"Token {expired.token_for(1)}",
        "Token not.a.jwt",
        f"Basic {user['token']}",
        "Token",
    ):
        response = await client.get("/user", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.json() == {"errors": {"token": ["is invalid"]}}


async def test_a_valid_token_for_an_account_that_is_gone_is_401(
    backend: str, client: httpx.AsyncClient
) -> None:
    token = Auth(secret=SECRET).token_for(2**40)
    response = await client.get("/user", headers={"Authorization": f"Token {token}"})
    assert response.status_code == 401
