"""Tags: create, list, read, rename, delete (posts keep existing; their tag links go)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from blog.deps import ReadReposDep, ReposDep
from blog.models import Tag
from blog.repositories import TagRepository
from blog.routes.common import RESPONSES, Id
from blog.schemas import TagIn, TagOut
from stanchion.fastapi import ListQuery, Page, list_query

router = APIRouter(prefix="/tags", tags=["tags"], responses=RESPONSES)
TagQuery = Annotated[ListQuery, Depends(list_query(TagRepository))]


@router.post("", status_code=201)
async def create_tag(data: TagIn, repos: ReposDep) -> TagOut:
    return TagOut.model_validate(await repos.tags.add(Tag(name=data.name)))


@router.get("")
async def list_tags(query: TagQuery, repos: ReadReposDep) -> Page[TagOut]:
    return Page[TagOut].of(await repos.tags.keyset_page(**query.keyset_arguments()))


@router.get("/{tag_id}")
async def get_tag(tag_id: Id, repos: ReadReposDep) -> TagOut:
    return TagOut.model_validate(await repos.tags.get_one(tag_id))


@router.patch("/{tag_id}")
async def rename_tag(tag_id: Id, data: TagIn, repos: ReposDep) -> TagOut:
    return TagOut.model_validate(await repos.tags.update(tag_id, {"name": data.name}))


@router.delete("/{tag_id}", status_code=204)
async def delete_tag(tag_id: Id, repos: ReposDep) -> Response:
    await repos.tags.delete(tag_id)
    return Response(status_code=204)
