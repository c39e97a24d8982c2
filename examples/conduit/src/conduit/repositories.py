"""Reads and writes per model, and the per-viewer views of them.

Every view is built from a constant number of queries whatever the page size: the page, its
authors (one ``selectinload``), its tags, its favorite counts with the viewer's own favorites
(one grouped query), and which authors the viewer follows (one query). Custom repository
methods are written once on the sync session; the routes call them with
``await repo.run(ArticleRepository.listing, ...)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

from sqlalchemy import ColumnElement, case, delete, func, select
from sqlalchemy.orm import selectinload

from conduit.models import Article, ArticleTag, Comment, Favorite, Follow, Tag, User
from conduit.schemas import ArticleOut, ArticleSummary, CommentOut, ProfileOut
from stanchion import NotFound, Repository


def _followed(repo: Repository[Any], viewer_id: int | None, user_ids: Iterable[int]) -> set[int]:
    """Which of `user_ids` the viewer follows (one query; none for an anonymous viewer)."""
    ids = set(user_ids)
    if viewer_id is None or not ids:
        return set()
    stmt = select(Follow.followee_id).where(
        Follow.follower_id == viewer_id, Follow.followee_id.in_(ids)
    )
    return set(repo.session.execute(stmt).scalars())


def profile_of(user: User, following: bool) -> ProfileOut:
    return ProfileOut(username=user.username, bio=user.bio, image=user.image, following=following)


class UserRepository(Repository[User]):
    # password_hash is in no list: a client can never filter, sort or set it directly.
    filter_fields: ClassVar[dict[str, tuple[str, ...]]] = {"username": ("eq",), "email": ("eq",)}
    sort_fields = ("username",)
    update_fields = ("username", "email", "password_hash", "bio", "image")
    default_sort = "username"

    def by_username(self, username: str) -> User:
        """The user with this name; `NotFound` ("profile") when there is none."""
        found = self.list({"username": username}, limit=1)
        if not found:
            raise NotFound("Profile", username)
        return found[0]

    def by_email(self, email: str) -> User | None:
        found = self.list({"email": email}, limit=1)
        return found[0] if found else None

    def profile(self, username: str, viewer_id: int | None) -> ProfileOut:
        """A user as the viewer sees them: two queries."""
        user = self.by_username(username)
        return profile_of(user, user.id in _followed(self, viewer_id, [user.id]))

    def follow(self, username: str, viewer_id: int) -> ProfileOut:
        """Follow (idempotent: one insert-or-nothing)."""
        user = self.by_username(username)
        Repository(self.session, Follow).upsert(
            [{"follower_id": viewer_id, "followee_id": user.id}],
            conflict=["follower_id", "followee_id"],
            update=(),
        )
        return profile_of(user, True)

    def unfollow(self, username: str, viewer_id: int) -> ProfileOut:
        user = self.by_username(username)
        self.session.execute(
            delete(Follow).where(Follow.follower_id == viewer_id, Follow.followee_id == user.id)
        )
        return profile_of(user, False)


def _has_tag(name: Any) -> ColumnElement[bool]:
    tagged = select(ArticleTag.article_id).join(Tag, Tag.id == ArticleTag.tag_id)
    return Article.id.in_(tagged.where(Tag.name == str(name)))


def _by_author(username: Any) -> ColumnElement[bool]:
    return Article.author_id.in_(select(User.id).where(User.username == str(username)))


def _favorited_by(username: Any) -> ColumnElement[bool]:
    favorites = select(Favorite.article_id).join(User, User.id == Favorite.user_id)
    return Article.id.in_(favorites.where(User.username == str(username)))


def _followed_by(user_id: Any) -> ColumnElement[bool]:
    followees = select(Follow.followee_id).where(Follow.follower_id == int(user_id))
    return Article.author_id.in_(followees)


class ArticleRepository(Repository[Article]):
    filter_fields: ClassVar[dict[str, tuple[str, ...]]] = {"slug": ("eq",)}
    custom_filters: ClassVar[dict[str, Any]] = {
        "tag": _has_tag,
        "author": _by_author,
        "favorited": _favorited_by,
        "feed_of": _followed_by,
    }
    sort_fields = ("created_at",)
    update_fields = ("slug", "title", "description", "body")
    default_sort = "-created_at"  # then -id: newest first, a total order
    max_page_size = 100
    default_options = (selectinload(Article.author),)

    def by_slug(self, slug: str) -> Article:
        """The article with this slug (author loaded); `NotFound` when there is none."""
        found = self.list({"slug": slug}, limit=1)
        if not found:
            raise NotFound("Article", slug)
        return found[0]

    def listing(
        self, filters: dict[str, Any], limit: int, offset: int, viewer_id: int | None
    ) -> tuple[list[ArticleSummary], int]:
        """A page, newest first, as the viewer sees it, and how many match in all."""
        page = self.page(filters, limit=limit, offset=offset)
        return list(self.views(page.items, viewer_id, with_body=False)), page.total

    def view(self, article: Article, viewer_id: int | None) -> ArticleOut:
        (one,) = self.views([article], viewer_id)
        assert isinstance(one, ArticleOut)
        return one

    def views(
        self, articles: Sequence[Article], viewer_id: int | None, *, with_body: bool = True
    ) -> list[ArticleSummary]:
        """Articles with tags, favorite counts and the viewer's flags: at most three queries."""
        if not articles:
            return []
        ids = [a.id for a in articles]
        tags: dict[int, list[str]] = {i: [] for i in ids}
        tag_rows = self.session.execute(
            select(ArticleTag.article_id, Tag.name)
            .join(Tag, Tag.id == ArticleTag.tag_id)
            .where(ArticleTag.article_id.in_(ids))
            .order_by(ArticleTag.article_id, ArticleTag.position)
        )
        for article_id, name in tag_rows:
            tags[article_id].append(name)
        mine = (
            func.max(case((Favorite.user_id == viewer_id, 1), else_=0))
            if viewer_id is not None
            else func.max(0)
        )
        favorites = {
            article_id: (count, bool(own))
            for article_id, count, own in self.session.execute(
                select(Favorite.article_id, func.count(), mine)
                .where(Favorite.article_id.in_(ids))
                .group_by(Favorite.article_id)
            )
        }
        followed = _followed(self, viewer_id, (a.author_id for a in articles))
        shape = ArticleOut if with_body else ArticleSummary
        out: list[ArticleSummary] = []
        for a in articles:
            count, favorited = favorites.get(a.id, (0, False))
            fields: dict[str, Any] = {
                "slug": a.slug,
                "title": a.title,
                "description": a.description,
                "tag_list": tags[a.id],
                "created_at": a.created_at,
                "updated_at": a.updated_at,
                "favorited": favorited,
                "favorites_count": count,
                "author": profile_of(a.author, a.author_id in followed),
            }
            if with_body:
                fields["body"] = a.body
            out.append(shape(**fields))
        return out

    def set_tags(self, article: Article, names: Sequence[str], *, new: bool = False) -> None:
        """Replace the article's tags with `names`, in that order (tags made as needed);
        `new`: the article has none yet, so there is nothing to delete first."""
        if not new:
            self.session.execute(delete(ArticleTag).where(ArticleTag.article_id == article.id))
        if not names:
            return
        tags = Repository(self.session, Tag).upsert_returning(
            [{"name": n} for n in names], conflict=["name"], update=()
        )
        by_name = {t.name: t.id for t in tags}
        Repository(self.session, ArticleTag).add_many(
            ArticleTag(article_id=article.id, tag_id=by_name[n], position=i)
            for i, n in enumerate(names)
        )

    def favorite(self, slug: str, user_id: int, *, on: bool) -> ArticleOut:
        """Favorite (idempotent insert-or-nothing) or unfavorite, then the article as seen."""
        article = self.by_slug(slug)
        if on:
            Repository(self.session, Favorite).upsert(
                [{"user_id": user_id, "article_id": article.id}],
                conflict=["user_id", "article_id"],
                update=(),
            )
        else:
            self.session.execute(
                delete(Favorite).where(
                    Favorite.user_id == user_id, Favorite.article_id == article.id
                )
            )
        return self.view(article, user_id)


class TagRepository(Repository[Tag]):
    filter_fields: ClassVar[dict[str, tuple[str, ...]]] = {"name": ("eq",)}
    sort_fields = ("name",)
    default_sort = "name"

    def in_use(self) -> list[str]:
        """Names of the tags at least one article carries, alphabetically."""
        used = select(ArticleTag.tag_id)
        stmt = select(Tag.name).where(Tag.id.in_(used)).order_by(Tag.name)
        return list(self.session.execute(stmt).scalars())


class CommentRepository(Repository[Comment]):
    filter_fields: ClassVar[dict[str, tuple[str, ...]]] = {"article_id": ("eq",)}
    sort_fields = ("created_at",)
    default_sort = "created_at"
    max_page_size = 1000
    default_options = (selectinload(Comment.author),)

    def views(self, comments: Sequence[Comment], viewer_id: int | None) -> list[CommentOut]:
        """Comments with their authors as the viewer sees them: one query beyond the rows."""
        followed = _followed(self, viewer_id, (c.author_id for c in comments))
        return [
            CommentOut(
                id=c.id,
                created_at=c.created_at,
                updated_at=c.updated_at,
                body=c.body,
                author=profile_of(c.author, c.author_id in followed),
            )
            for c in comments
        ]

    def of_article(self, slug: str, viewer_id: int | None) -> list[CommentOut]:
        """An article's comments, oldest first (at most 1000): four queries."""
        article = ArticleRepository(self.session).by_slug(slug)
        return self.views(self.list({"article_id": article.id}, limit=1000), viewer_id)
