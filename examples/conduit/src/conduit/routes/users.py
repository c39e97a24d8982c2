"""Register, log in, read and change the current user."""

from __future__ import annotations

from fastapi import APIRouter

from conduit.auth import AuthDep, CurrentUserId
from conduit.deps import ReadRepos, WriteRepos
from conduit.errors import unauthorized
from conduit.models import User
from conduit.repositories import UserRepository
from conduit.schemas import LoginBody, NewUserBody, UserBody, UserChangesBody, UserOut
from stanchion import NotFound

router = APIRouter(tags=["users"])


def user_body(user: User, token: str) -> UserBody:
    return UserBody(
        user=UserOut(
            email=user.email, token=token, username=user.username, bio=user.bio, image=user.image
        )
    )


@router.post("/users", status_code=201)
async def register(data: NewUserBody, repos: WriteRepos, auth: AuthDep) -> UserBody:
    """A new account; 409 when the username or email is taken (the unique keys decide)."""
    new = data.user
    user = User(username=new.username, email=new.email, password_hash=await auth.hash(new.password))
    await repos.users.add(user)
    return user_body(user, auth.token_for(user.id))


@router.post("/users/login")
async def login(data: LoginBody, repos: ReadRepos, auth: AuthDep) -> UserBody:
    """A token for the right email and password; 401 otherwise (never saying which was wrong)."""
    user = await repos.users.run(UserRepository.by_email, data.user.email)
    if user is None or not await auth.verify(user.password_hash, data.user.password):
        raise unauthorized("credentials", "invalid")
    return user_body(user, auth.token_for(user.id))


async def _the_user(repos: ReadRepos | WriteRepos, user_id: int) -> User:
    try:
        return await repos.users.get_one(user_id)
    except NotFound as missing:  # a valid token for an account that is gone
        raise unauthorized(message="is invalid") from missing


@router.get("/user")
async def current_user(user_id: CurrentUserId, repos: ReadRepos, auth: AuthDep) -> UserBody:
    return user_body(await _the_user(repos, user_id), auth.token_for(user_id))


@router.put("/user")
async def update_user(
    data: UserChangesBody, user_id: CurrentUserId, repos: WriteRepos, auth: AuthDep
) -> UserBody:
    """Change any of email, username, password, bio, image; 409 for a taken name or email."""
    user = await _the_user(repos, user_id)
    changes = data.user.model_dump(exclude_unset=True, exclude={"password"})
    for required in ("username", "email"):
        if changes.get(required, "") is None:
            del changes[required]  # null means "unchanged" for fields that may not be empty
    if data.user.password is not None:
        changes["password_hash"] = await auth.hash(data.user.password)
    if changes:
        user = await repos.users.update(user, changes)
    return user_body(user, auth.token_for(user_id))
