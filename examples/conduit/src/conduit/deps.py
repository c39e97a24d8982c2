"""The request's repositories, all on its one unit of work (committed before the response)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from conduit.repositories import (
    ArticleRepository,
    CommentRepository,
    TagRepository,
    UserRepository,
)
from stanchion import AsyncRepository
from stanchion.fastapi import ReadOnlyUnitOfWorkDep, UnitOfWorkDep
from stanchion.transactions import AsyncUnitOfWork


class Repos:
    """The repositories one request uses."""

    def __init__(self, tx: AsyncUnitOfWork) -> None:
        self.tx = tx
        self.users: AsyncRepository[UserRepository] = tx.repository(UserRepository)
        self.articles: AsyncRepository[ArticleRepository] = tx.repository(ArticleRepository)
        self.comments: AsyncRepository[CommentRepository] = tx.repository(CommentRepository)
        self.tags: AsyncRepository[TagRepository] = tx.repository(TagRepository)


async def _write(tx: UnitOfWorkDep) -> Repos:
    return Repos(tx)


async def _read(tx: ReadOnlyUnitOfWorkDep) -> Repos:
    return Repos(tx)


#: Repositories in a read-write unit of work.
WriteRepos = Annotated[Repos, Depends(_write, scope="function")]
#: Repositories in a read-only unit of work, for handlers that only read.
ReadRepos = Annotated[Repos, Depends(_read, scope="function")]
