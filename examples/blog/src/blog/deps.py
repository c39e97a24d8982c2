"""The blog's request dependencies: repositories on the request's unit of work, the current user."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, HTTPException

from blog.models import User
from blog.repositories import CommentRepository, PostRepository, TagRepository, UserRepository
from stanchion import AsyncRepository
from stanchion.fastapi import UnitOfWorkDep


class Repos:
    """The repositories one request uses, all on the request's single unit of work."""

    def __init__(self, tx: UnitOfWorkDep) -> None:
        self.tx = tx
        self.users = AsyncRepository(tx.session, UserRepository)
        self.posts = AsyncRepository(tx.session, PostRepository)
        self.comments = AsyncRepository(tx.session, CommentRepository)
        self.tags = AsyncRepository(tx.session, TagRepository)


ReposDep = Annotated[Repos, Depends(Repos, scope="function")]


async def current_user(
    repos: ReposDep,
    x_user_id: Annotated[
        int | None, Header(description="Who is acting (stands in for real authentication)")
    ] = None,
) -> User:
    """The acting user, named by the ``X-User-Id`` header; 401 when missing or unknown."""
    user = None if x_user_id is None else await repos.users.get(x_user_id)
    if user is None or not user.is_active:
        raise HTTPException(401, "send X-User-Id with the id of an active user")
    return user


CurrentUser = Annotated[User, Depends(current_user, scope="function")]
