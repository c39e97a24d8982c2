"""Articles: list (filters, newest first), feed, create, read, update, delete, favorite."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from conduit.auth import CurrentUserId, ViewerId
from conduit.deps import ReadRepos, WriteRepos
from conduit.errors import forbidden
from conduit.models import Article
from conduit.repositories import ArticleRepository
from conduit.schemas import ArticleBody, ArticleChangesBody, ArticleList, NewArticleBody
from conduit.slugs import slug_of, with_unique_slug
from stanchion.fastapi import StorableStr

router = APIRouter(prefix="/articles", tags=["articles"])
Slug = Annotated[StorableStr, Path(max_length=255)]
Limit = Annotated[int, Query(ge=1, le=ArticleRepository.max_page_size)]
Offset = Annotated[int, Query(ge=0, le=2**31 - 1)]
Name = Annotated[StorableStr | None, Query(max_length=100)]


async def _page(
    repos: ReadRepos, filters: dict[str, Any], limit: int, offset: int, viewer: int | None
) -> ArticleList:
    articles, total = await repos.articles.run(
        ArticleRepository.listing, filters, limit, offset, viewer
    )
    return ArticleList(articles=articles, articles_count=total)


@router.get("")
async def list_articles(
    repos: ReadRepos,
    viewer: ViewerId,
    tag: Name = None,
    author: Name = None,
    favorited: Name = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> ArticleList:
    """Newest first; ``tag``, ``author`` and ``favorited`` (a username) narrow the list."""
    given = {"tag": tag, "author": author, "favorited": favorited}
    filters = {k: v for k, v in given.items() if v is not None}
    return await _page(repos, filters, limit, offset, viewer)


@router.get("/feed")
async def feed(
    repos: ReadRepos, user_id: CurrentUserId, limit: Limit = 20, offset: Offset = 0
) -> ArticleList:
    """Articles by the authors you follow, newest first."""
    return await _page(repos, {"feed_of": user_id}, limit, offset, user_id)


@router.post("", status_code=201)
async def create_article(
    data: NewArticleBody, user_id: CurrentUserId, repos: WriteRepos
) -> ArticleBody:
    new = data.article
    author = await repos.users.get_one(user_id)

    async def insert(slug: str) -> Article:
        article = Article(
            slug=slug, title=new.title, description=new.description, body=new.body, author=author
        )
        return await repos.articles.add(article)

    article = await with_unique_slug(repos.tx, new.title, insert)
    await repos.articles.run(ArticleRepository.set_tags, article, new.tag_list, new=True)
    return ArticleBody(article=await repos.articles.run(ArticleRepository.view, article, user_id))


@router.get("/{slug}")
async def get_article(slug: Slug, viewer: ViewerId, repos: ReadRepos) -> ArticleBody:
    article = await repos.articles.run(ArticleRepository.by_slug, slug)
    return ArticleBody(article=await repos.articles.run(ArticleRepository.view, article, viewer))


async def _own(repos: WriteRepos, slug: str, user_id: int) -> Article:
    article = await repos.articles.run(ArticleRepository.by_slug, slug)
    if article.author_id != user_id:
        raise forbidden("article")
    return article


@router.put("/{slug}")
async def update_article(
    slug: Slug, data: ArticleChangesBody, user_id: CurrentUserId, repos: WriteRepos
) -> ArticleBody:
    """Change title, description, body or tags of your article; a new title makes a new slug."""
    article = await _own(repos, slug, user_id)
    changes = data.article.model_dump(exclude_unset=True, exclude_none=True, exclude={"tag_list"})
    title = changes.get("title")
    if title is not None and slug_of(title) != slug_of(article.title):

        async def rename(new_slug: str) -> Article:
            return await repos.articles.update(article, {**changes, "slug": new_slug})

        article = await with_unique_slug(repos.tx, title, rename)
    elif changes:
        article = await repos.articles.update(article, changes)
    if data.article.tag_list is not None:
        await repos.articles.run(ArticleRepository.set_tags, article, data.article.tag_list)
    return ArticleBody(article=await repos.articles.run(ArticleRepository.view, article, user_id))


@router.delete("/{slug}", status_code=204)
async def delete_article(slug: Slug, user_id: CurrentUserId, repos: WriteRepos) -> Response:
    """Your article goes, with its comments, favorites and tag links (foreign-key cascades)."""
    await repos.articles.delete(await _own(repos, slug, user_id))
    return Response(status_code=204)


@router.post("/{slug}/favorite")
async def favorite(slug: Slug, user_id: CurrentUserId, repos: WriteRepos) -> ArticleBody:
    return ArticleBody(
        article=await repos.articles.run(ArticleRepository.favorite, slug, user_id, on=True)
    )


@router.delete("/{slug}/favorite")
async def unfavorite(slug: Slug, user_id: CurrentUserId, repos: WriteRepos) -> ArticleBody:
    return ArticleBody(
        article=await repos.articles.run(ArticleRepository.favorite, slug, user_id, on=False)
    )
