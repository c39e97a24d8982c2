"""The tags in use."""

from __future__ import annotations

from fastapi import APIRouter

from conduit.deps import ReadRepos
from conduit.repositories import TagRepository
from conduit.schemas import TagNames

router = APIRouter(tags=["tags"])


@router.get("/tags")
async def list_tags(repos: ReadRepos) -> TagNames:
    return TagNames(tags=await repos.tags.run(TagRepository.in_use))
