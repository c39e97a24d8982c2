"""Posts: create, list (filters, sort, keyset pages, author and tags eager-loaded), read,
edit with optimistic concurrency (ETag / If-Match), soft delete and restore."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Response

from blog.deps import CurrentUser, ReadReposDep, Repos, ReposDep
from blog.models import Post, Tag, User
from blog.repositories import PostRepository
from blog.routes.common import RESPONSES, Id
from blog.schemas import PostIn, PostOut, PostPatch
from stanchion.fastapi import (
    IF_MATCH_RESPONSES,
    IfMatchDep,
    ListQuery,
    OptionalIfMatchDep,
    Page,
    list_query,
    set_etag,
)

log = logging.getLogger("blog.posts")
router = APIRouter(prefix="/posts", tags=["posts"], responses=RESPONSES)
PostQuery = Annotated[ListQuery, Depends(list_query(PostRepository))]


async def tags_named(repos: Repos, names: Sequence[str]) -> list[Tag]:
    """The tags with these names, creating the missing ones (one upsert, no check-then-insert)."""
    unique = sorted(set(names))
    if not unique:
        return []
    tags = await repos.tags.upsert_returning(
        [{"name": n} for n in unique], conflict=["name"], update=()
    )
    return sorted(tags, key=lambda tag: tag.name)


def own(post: Post, user: User) -> Post:
    if post.author_id != user.id:
        raise HTTPException(403, "only the author may change this post")
    return post


def post_out(post: Post, response: Response) -> PostOut:
    """The post, with its version as the ETag a client sends back in If-Match."""
    set_etag(response, post.version)
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
    return Page[PostOut].of(await repos.posts.keyset_page(**query.keyset_arguments()))


@router.get("/{post_id}")
async def get_post(post_id: Id, repos: ReadReposDep, response: Response) -> PostOut:
    return post_out(await repos.posts.get_one(post_id), response)


@router.patch("/{post_id}", responses=IF_MATCH_RESPONSES)
async def update_post(
    post_id: Id,
    data: PostPatch,
    user: CurrentUser,
    repos: ReposDep,
    response: Response,
    version: IfMatchDep,
) -> PostOut:
    """Edit a post you wrote. Send ``If-Match`` with its ETag: a stale one gets 412."""
    post = own(await repos.posts.get_one(post_id), user)
    values = data.model_dump(exclude_unset=True, exclude_none=True, exclude={"tags"})
    if data.tags is not None:
        values["tags"] = await tags_named(repos, data.tags)  # a tags-only edit bumps the version
    post = await repos.posts.update(post, values, expected_version=version)
    return post_out(post, response)


@router.delete("/{post_id}", status_code=204, responses=IF_MATCH_RESPONSES)
async def delete_post(
    post_id: Id, user: CurrentUser, repos: ReposDep, version: OptionalIfMatchDep
) -> Response:
    """Soft delete: the post disappears from every read and can be restored. ``If-Match`` is
    optional here; a stale one gets 412."""
    post = own(await repos.posts.get_one(post_id), user)
    await repos.posts.delete(post, expected_version=version)
    return Response(status_code=204)


@router.post("/{post_id}/restore")
async def restore_post(
    post_id: Id, user: CurrentUser, repos: ReposDep, response: Response
) -> PostOut:
    """Undo a soft delete."""
    post = own(await repos.posts.get_one(post_id, include_deleted=True), user)
    await repos.posts.restore(post.id)
    return post_out(post, response)
