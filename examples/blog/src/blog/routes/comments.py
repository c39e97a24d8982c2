"""Comments on posts: write, list (keyset pages, authors eager-loaded), read, edit, soft delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Response

from blog.deps import CurrentUser, ReadReposDep, ReposDep
from blog.models import Comment, User
from blog.repositories import CommentRepository
from blog.routes.common import RESPONSES, Id
from blog.schemas import CommentIn, CommentOut
from stanchion.fastapi import ListQuery, Page, list_query

router = APIRouter(tags=["comments"], responses=RESPONSES)
CommentQuery = Annotated[ListQuery, Depends(list_query(CommentRepository))]


def own(comment: Comment, user: User) -> Comment:
    if comment.author_id != user.id:
        raise HTTPException(403, "only the author may change this comment")
    return comment


@router.post("/posts/{post_id}/comments", status_code=201)
async def create_comment(
    post_id: Id, data: CommentIn, user: CurrentUser, repos: ReposDep
) -> CommentOut:
    post = await repos.posts.get_one(post_id)  # 404 for a missing or soft-deleted post
    comment = Comment(body=data.body, post_id=post.id, author=user)
    await repos.comments.add(comment)
    return CommentOut.model_validate(comment)


@router.get("/posts/{post_id}/comments")
async def list_post_comments(
    post_id: Id, query: CommentQuery, repos: ReadReposDep
) -> Page[CommentOut]:
    await repos.posts.get_one(post_id)
    page = await repos.comments.keyset_page(**query.keyset_arguments(post_id=post_id))
    return Page[CommentOut].of(page)


@router.get("/comments")
async def list_comments(query: CommentQuery, repos: ReadReposDep) -> Page[CommentOut]:
    return Page[CommentOut].of(await repos.comments.keyset_page(**query.keyset_arguments()))


@router.get("/comments/{comment_id}")
async def get_comment(comment_id: Id, repos: ReadReposDep) -> CommentOut:
    return CommentOut.model_validate(await repos.comments.get_one(comment_id))


@router.patch("/comments/{comment_id}")
async def update_comment(
    comment_id: Id, data: CommentIn, user: CurrentUser, repos: ReposDep
) -> CommentOut:
    comment = own(await repos.comments.get_one(comment_id), user)
    await repos.comments.update(comment, {"body": data.body})
    return CommentOut.model_validate(comment)


@router.delete("/comments/{comment_id}", status_code=204)
async def delete_comment(comment_id: Id, user: CurrentUser, repos: ReposDep) -> Response:
    comment = own(await repos.comments.get_one(comment_id), user)
    await repos.comments.delete(comment)
    return Response(status_code=204)
