"""Posts: create, list (filters, sort, keyset pages, author and tags eager-loaded), read,
edit with optimistic concurrency (ETag / If-Match), soft delete and restore."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Response
from sqlalchemy import select
from sqlalchemy.orm.attributes import flag_modified

from blog.deps import CurrentUser, ReadReposDep, Repos, ReposDep
from blog.models import Post, Tag, User
from blog.repositories import PostRepository
from blog.routes.common import RESPONSES, Id
from blog.schemas import Page, PostIn, PostOut, PostPatch
from stanchion.fastapi import ListQuery, list_query

log = logging.getLogger("blog.posts")
router = APIRouter(prefix="/posts", tags=["posts"], responses=RESPONSES)
PostQuery = Annotated[ListQuery, Depends(list_query(PostRepository))]
IfMatch = Annotated[
    str | None,
    Header(max_length=200, description='The ETag you read, e.g. "3" (required to edit: 428)'),
]
EDIT_RESPONSES: dict[int | str, dict[str, str]] = {
    412: {"description": "The post changed since you read it (stale If-Match)"},
    428: {"description": "If-Match is required"},
}


def etag(post: Post) -> str:
    """A strong ETag: the row's version, which every UPDATE increments."""
    return f'"{post.version}"'


def expected_version(if_match: str | None) -> int | None:
    """The version an ``If-Match`` header asks for; None for ``*``; 428 when absent."""
    if if_match is None:
        raise HTTPException(428, "send If-Match with the ETag you read, to avoid lost updates")
    value = if_match.strip()
    if value == "*":
        return None
    tag = value.strip('"')
    if value.startswith("W/") or not tag.isdigit() or len(tag) > 18:
        raise HTTPException(412, "If-Match does not match the current ETag")
    return int(tag)


async def tags_named(repos: Repos, names: Sequence[str]) -> list[Tag]:
    """The tags with these names, creating the missing ones (one upsert, no check-then-insert)."""
    unique = sorted(set(names))
    if not unique:
        return []
    await repos.tags.upsert([{"name": n} for n in unique], conflict=["name"], update=())
    stmt = select(Tag).where(Tag.name.in_(unique)).order_by(Tag.name)
    return list((await repos.tx.session.execute(stmt)).scalars())


def own(post: Post, user: User) -> Post:
    if post.author_id != user.id:
        raise HTTPException(403, "only the author may change this post")
    return post


def post_out(post: Post, response: Response) -> PostOut:
    response.headers["ETag"] = etag(post)
    return PostOut.model_validate(post)


@router.post("", status_code=201)
async def create_post(
    data: PostIn, user: CurrentUser, repos: ReposDep, response: Response
) -> PostOut:
    tags = await tags_named(repos, data.tags)
    post = Post(title=data.title, body=data.body, published=data.published, author=user, tags=tags)
    await repos.posts.add(post)
    post_id = post.id
    # Runs once the post is committed, never for a rolled-back request (e.g. send a webhook).
    repos.tx.on_commit(lambda: log.info("post %s created by user %s", post_id, user.id))
    response.headers["Location"] = f"/posts/{post.id}"
    return post_out(post, response)


@router.get("")
async def list_posts(query: PostQuery, repos: ReadReposDep) -> Page[PostOut]:
    """Filter with ``author_id``, ``tag``, ``published``, ``title__icontains`` and more; sort with
    ``sort=-views,title``; continue with ``cursor``."""
    page = await repos.posts.keyset_page(
        query.filters, sort=query.sort, limit=query.limit, cursor=query.cursor
    )
    items = [PostOut.model_validate(p) for p in page.items]
    return Page(items=items, next_cursor=page.next_cursor, limit=page.limit)


@router.get("/{post_id}")
async def get_post(post_id: Id, repos: ReadReposDep, response: Response) -> PostOut:
    return post_out(await repos.posts.get_one(post_id), response)


@router.patch("/{post_id}", responses=EDIT_RESPONSES)
async def update_post(
    post_id: Id,
    data: PostPatch,
    user: CurrentUser,
    repos: ReposDep,
    response: Response,
    if_match: IfMatch = None,
) -> PostOut:
    """Edit a post you wrote. Send ``If-Match`` with its ETag: a stale one gets 412."""
    version = expected_version(if_match)
    post = own(await repos.posts.get_one(post_id), user)
    values = data.model_dump(exclude_unset=True, exclude_none=True, exclude={"tags"})
    if data.tags is not None:
        post.tags = await tags_named(repos, data.tags)
    flag_modified(post, "title")  # every edit bumps the version, tags-only edits included
    post = await repos.posts.update(post, values, expected_version=version)
    return post_out(post, response)


@router.delete("/{post_id}", status_code=204, responses=EDIT_RESPONSES)
async def delete_post(
    post_id: Id, user: CurrentUser, repos: ReposDep, if_match: IfMatch = None
) -> Response:
    """Soft delete: the post disappears from every read and can be restored."""
    post = own(await repos.posts.get_one(post_id), user)
    if if_match is not None:
        version = expected_version(if_match)
        if version is not None and version != post.version:
            raise HTTPException(412, "If-Match does not match the current ETag")
    await repos.posts.delete(post)
    return Response(status_code=204)


@router.post("/{post_id}/restore")
async def restore_post(
    post_id: Id, user: CurrentUser, repos: ReposDep, response: Response
) -> PostOut:
    """Undo a soft delete."""
    post = own(await repos.posts.get_one(post_id, include_deleted=True), user)
    await repos.posts.restore(post.id)
    return post_out(post, response)
