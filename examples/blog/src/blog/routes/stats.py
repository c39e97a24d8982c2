"""Site-wide statistics."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from blog.deps import ReadReposDep
from blog.schemas import AuthorRank
from blog.stats import top_authors

router = APIRouter(prefix="/stats", tags=["stats"])


@router.get("/authors")
async def get_top_authors(
    repos: ReadReposDep, limit: Annotated[int, Query(ge=1, le=100)] = 10
) -> list[AuthorRank]:
    """Active authors ranked by the views of their published posts."""
    return await top_authors(repos.tx.session, limit)
