"""The blog's request dependencies: repositories on the request's unit of work, the current user."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, HTTPException

from blog.models import User
from blog.repositories import CommentRepository, PostRepository, TagRepository, UserRepository
from stanchion.fastapi import ReadOnlyUnitOfWorkDep, UnitOfWorkDep
from stanchion.transactions import AsyncUnitOfWork


class Repos:
    """The repositories one request uses, all on the request's single unit of work."""

    def __init__(self, tx: AsyncUnitOfWork) -> None:
        self.tx = tx
        self.users = tx.repository(UserRepository)
        self.posts = tx.repository(PostRepository)
        self.comments = tx.repository(CommentRepository)
        self.tags = tx.repository(TagRepository)


async def write_repos(tx: UnitOfWorkDep) -> Repos:
    return Repos(tx)


async def read_repos(tx: ReadOnlyUnitOfWorkDep) -> Repos:
    return Repos(tx)


#: Repositories in a read-write unit of work, committed before the response is sent.
ReposDep = Annotated[Repos, Depends(write_repos, scope="function")]
#: Repositories in a read-only unit of work: for handlers that only read.
ReadReposDep = Annotated[Repos, Depends(read_repos, scope="function")]


async def current_user(
    repos: ReposDep,
    x_user_id: Annotated[
        int | None,
        Header(ge=1, le=2**63 - 1, description="Who is acting (stands in for real authentication)"),
    ] = None,
) -> User:
    """The acting user, named by the ``X-User-Id`` header; 401 when missing or unknown."""
    user = None if x_user_id is None else await repos.users.get(x_user_id)
    if user is None or not user.is_active:
        raise HTTPException(401, "send X-User-Id with the id of an active user")
    return user


CurrentUser = Annotated[User, Depends(current_user, scope="function")]
