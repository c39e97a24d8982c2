"""Users: create, list (filtered, sorted, keyset pages), read, edit, delete, statistics."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Response

from blog.deps import CurrentUser, ReadReposDep, ReposDep
from blog.models import User
from blog.repositories import UserRepository
from blog.routes.common import RESPONSES, Id
from blog.schemas import UserIn, UserOut, UserPatch, UserStats
from blog.stats import user_stats
from stanchion.fastapi import ListQuery, Page, list_query

router = APIRouter(prefix="/users", tags=["users"], responses=RESPONSES)
UserQuery = Annotated[ListQuery, Depends(list_query(UserRepository))]


def hash_password(password: str) -> str:
    """A salted scrypt hash (cheap parameters: this is a demo app, not an identity provider)."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**10, r=8, p=1)
    return f"scrypt$1024$8$1${salt.hex()}${digest.hex()}"


@router.post("", status_code=201)
async def create_user(data: UserIn, repos: ReposDep) -> UserOut:
    user = User(name=data.name, email=data.email, password_hash=hash_password(data.password))
    await repos.users.add(user)  # a taken email is a 409, from the unique constraint
    return UserOut.model_validate(user)


@router.get("")
async def list_users(query: UserQuery, repos: ReadReposDep) -> Page[UserOut]:
    return Page[UserOut].of(await repos.users.keyset_page(**query.keyset_arguments()))


@router.get("/{user_id}")
async def get_user(user_id: Id, repos: ReadReposDep) -> UserOut:
    # Read only to be returned: a lean read builds the response model from the row itself.
    return await repos.users.row_one(user_id, into=UserOut)


#: What only an admin may change on a user (anyone else would promote or revive themselves).
ADMIN_ONLY = frozenset({"role", "is_active"})


def may_change(acting: User, user_id: int, values: Iterable[str] = ()) -> None:
    """403 unless `acting` is the user `user_id` or an admin; `values` naming a role or the
    active flag need an admin."""
    is_admin = acting.role == "admin"
    if acting.id != user_id and not is_admin:
        raise HTTPException(403, "only the user themselves or an admin may change a user")
    if ADMIN_ONLY.intersection(values) and not is_admin:
        raise HTTPException(403, "only an admin may change a role or the active flag")


@router.patch("/{user_id}")
async def update_user(
    user_id: Id, data: UserPatch, acting: CurrentUser, repos: ReposDep
) -> UserOut:
    values = data.model_dump(exclude_unset=True, exclude_none=True)
    may_change(acting, user_id, values)
    user = await repos.users.update(user_id, values)
    return UserOut.model_validate(user)


@router.delete("/{user_id}", status_code=204)
async def delete_user(user_id: Id, acting: CurrentUser, repos: ReposDep) -> Response:
    may_change(acting, user_id)
    await repos.users.delete(user_id)  # a user with posts or comments: 409 from the foreign key
    return Response(status_code=204)


@router.get("/{user_id}/stats")
async def get_user_stats(user_id: Id, repos: ReadReposDep) -> UserStats:
    return await user_stats(repos.tx.session, user_id)
