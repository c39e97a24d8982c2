"""Comments on an article: add, list, delete your own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from conduit.auth import CurrentUserId, ViewerId
from conduit.deps import ReadRepos, WriteRepos
from conduit.errors import forbidden, not_found
from conduit.models import Comment
from conduit.repositories import ArticleRepository, CommentRepository
from conduit.routes.articles import Slug
from conduit.schemas import CommentBody, CommentList, NewCommentBody

router = APIRouter(prefix="/articles/{slug}/comments", tags=["comments"])
CommentId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.post("", status_code=201)
async def add_comment(
    slug: Slug, data: NewCommentBody, user_id: CurrentUserId, repos: WriteRepos
) -> CommentBody:
    article = await repos.articles.run(ArticleRepository.by_slug, slug)
    author = await repos.users.get_one(user_id)
    comment = Comment(body=data.comment.body, article_id=article.id, author=author)
    await repos.comments.add(comment)
    (out,) = await repos.comments.run(CommentRepository.views, [comment], user_id)
    return CommentBody(comment=out)


@router.get("")
async def list_comments(slug: Slug, viewer: ViewerId, repos: ReadRepos) -> CommentList:
    return CommentList(
        comments=await repos.comments.run(CommentRepository.of_article, slug, viewer)
    )


@router.delete("/{comment_id}", status_code=204)
async def delete_comment(
    slug: Slug, comment_id: CommentId, user_id: CurrentUserId, repos: WriteRepos
) -> Response:
    """Only its author may delete a comment (403); it must belong to this article (404)."""
    article = await repos.articles.run(ArticleRepository.by_slug, slug)
    comment = await repos.comments.get(comment_id)
    if comment is None or comment.article_id != article.id:
        raise not_found("comment")
    if comment.author_id != user_id:
        raise forbidden("comment")
    await repos.comments.delete(comment)
    return Response(status_code=204)
