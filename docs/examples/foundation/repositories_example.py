"""docs/repositories.md: one repository per model, used from sync and async code."""

import asyncio
import dataclasses
import os
from typing import ClassVar

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from stanchion import (
    AsyncDatabase,
    Database,
    IntegerPK,
    InvalidQuery,
    LazyLoadError,
    Model,
    Repository,
    SoftDelete,
    Timestamps,
)


class Author(Model, IntegerPK):
    __tablename__ = "ex_repo_authors"
    name: Mapped[str] = mapped_column(unique=True)
    posts: Mapped[list["Post"]] = relationship(back_populates="author")


# --8<-- [start:soft-delete-model]
class Post(Model, IntegerPK, Timestamps, SoftDelete):
    __tablename__ = "ex_repo_posts"
    slug: Mapped[str] = mapped_column(unique=True)
    title: Mapped[str]
    views: Mapped[int] = mapped_column(default=0)
    author_id: Mapped[int] = mapped_column(ForeignKey("ex_repo_authors.id"))
    author: Mapped[Author] = relationship(back_populates="posts")
# --8<-- [end:soft-delete-model]


# --8<-- [start:custom-query]
class PostRepository(Repository[Post]):
    filter_fields = ("title", "views", "author_id", "created_at")
    sort_fields = ("created_at", "views", "title")
    update_fields = ("title", "views")
    default_sort = "-created_at"
    max_page_size = 50

    def popular(self, min_views: int) -> list[Post]:
        """Your own query: start from self.select() so soft delete and loaders still apply."""
        return list(self.session.scalars(self.select({"views__gte": min_views})))
# --8<-- [end:custom-query]


@dataclasses.dataclass
class PostCard:
    """What a list endpoint returns: plain data, built straight from the rows."""

    id: int
    title: str
    views: int


URL = os.environ.get("DATABASE_URL") or "sqlite:///./examples.db"  # not ./stanchion.db
db = Database(URL)
created = db.create_all(Model.metadata)  # only the missing tables

with db.transaction() as tx:
    ada = tx.repository(Author).add(Author(name="Ada"))
    posts = tx.repository(PostRepository)
    posts.add_many(
        [Post(slug=f"p{i}", title=f"Post {i}", views=i * 10, author_id=ada.id) for i in range(30)]
    )

with db.transaction(read_only=True) as tx:
    posts = tx.repository(PostRepository)
    assert posts.count({"views__gte": 100}) == 20
    assert posts.exists(title="Post 7")
    assert [p.title for p in posts.list({"title__startswith": "Post 2"}, sort="views")][:2] == [
        "Post 2",
        "Post 20",
    ]
    page = posts.page(sort="views", limit=10, offset=10)  # an OffsetPage
    assert page.total == 30 and page.items[0].views == 100 and page.has_next
    first = posts.keyset_page(sort="-views", limit=10)  # a KeysetPage
    second = posts.keyset_page(sort="-views", limit=10, cursor=first.next_cursor)
    assert second.items[0].views == 190
    try:
        posts.list({"slug": "p1"})  # slug is not in filter_fields
    except InvalidQuery as error:
        assert error.field == "slug"


class PostSearch(Repository[Post]):
    # each field exposes only the operators callers need
    filter_fields: ClassVar[dict[str, tuple[str, ...]]] = {
        "title": ("icontains", "startswith"),
        "views": ("gte", "lte"),
        "author_id": ("eq", "in"),
    }


with db.transaction(read_only=True) as tx:
    search = tx.repository(PostSearch)
    # any of: a row matches when at least one alternative (a filter mapping) holds
    either = {"or": [{"title__startswith": "Post 1"}, {"views__gte": 280}]}
    assert search.count(either) == 13  # Post 1, Post 10..19, and Post 28, Post 29
    assert search.count({**either, "views__lte": 100}) == 2  # the other filters still apply
    try:
        search.count({"title": "Post 1"})  # title exposes icontains and startswith only
    except InvalidQuery as error:
        assert error.field == "title"

assert PostSearch.filterable_fields()["views"].operators == ("gte", "lte")
assert PostSearch.check_filters({"author_id__in": "1,2"}) == {"author_id__in": [1, 2]}
assert PostRepository.sortable_fields() == ("created_at", "views", "title", "id")

with db.transaction(read_only=True) as tx:
    posts = tx.repository(PostRepository)
    (post,) = posts.list({"title": "Post 1"}, options=[selectinload(Post.author)])
    assert post.author.name == "Ada"  # loaded by the option
    (bare,) = tx.repository(Author).list()
    try:
        print(len(bare.posts))  # not loaded: no silent query, an error naming the fix
    except LazyLoadError as error:
        assert "selectinload(Author.posts)" in str(error)

# --8<-- [start:lean-reads]
with db.transaction(read_only=True) as tx:
    posts = tx.repository(PostRepository)
    cards = posts.rows({"views__gte": 100}, sort="-views", limit=5, into=PostCard)
    assert [c.views for c in cards] == [290, 280, 270, 260, 250]
    row = posts.row(cards[0].id)  # a Row: row.title, row.views ...; None when absent
    assert row is not None and row.title == "Post 29"
    page = posts.rows_page(sort="title", limit=10, into=PostCard)  # total, items, ...
    assert page.total == 30
    assert len(tx.session.identity_map) == 0  # no entities were made
# --8<-- [end:lean-reads]

# --8<-- [start:soft-delete]
with db.transaction() as tx:
    posts = tx.repository(PostRepository)
    posts.update(post.id, {"views": 1000})
    posts.delete(post.id)  # soft: deleted_at is set, reads stop seeing it
    assert posts.get(post.id) is None
    assert posts.get(post.id, include_deleted=True) is not None
    posts.restore(post.id)
# --8<-- [end:soft-delete]

# --8<-- [start:upsert]
with db.transaction() as tx:
    posts = tx.repository(PostRepository)
    # one INSERT ... ON CONFLICT / ON DUPLICATE KEY per chunk; updated_at moves on updated rows
    posts.upsert(
        [{"slug": "p1", "title": "Post 1 (edited)", "author_id": ada.id},
         {"slug": "new", "title": "New", "author_id": ada.id}],
        conflict=["slug"],
        update=["title"],
    )
    # --8<-- [end:upsert]
    # --8<-- [start:bulk]
    # COPY on PostgreSQL, multi-row INSERTs elsewhere; no ORM objects are made
    posts.bulk_insert(
        {"slug": f"bulk{i}", "title": f"Bulk {i}", "author_id": ada.id} for i in range(1000)
    )
    # --8<-- [end:bulk]

with db.transaction() as tx:
    posts = tx.repository(PostRepository)
    claimed = posts.lock_many({"views__lt": 50}, limit=3, sort="views", skip_locked=True)
    for claimed_post in claimed:  # locked until the transaction ends; others skip them
        posts.update(claimed_post, {"views": claimed_post.views + 50})


# --8<-- [start:async-custom-query]
async def main() -> None:
    adb = AsyncDatabase(URL)
    async with adb.transaction(read_only=True) as tx:
        posts = tx.repository(PostRepository)  # an AsyncRepository running the same methods
        top = await posts.list(sort="-views", limit=3)
        popular = await posts.run(PostRepository.popular, 250)
        assert top[0].views == 1000 and len(popular) == 6
    await adb.dispose()
# --8<-- [end:async-custom-query]


asyncio.run(main())
db.drop_all(Model.metadata, tables=created)  # only what this run created
db.dispose()
