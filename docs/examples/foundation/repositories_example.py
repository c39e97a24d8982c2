"""docs/repositories.md: one repository per model, used from sync and async code."""

import asyncio

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
    __tablename__ = "authors"
    name: Mapped[str] = mapped_column(unique=True)
    posts: Mapped[list["Post"]] = relationship(back_populates="author")


class Post(Model, IntegerPK, Timestamps, SoftDelete):
    __tablename__ = "posts"
    slug: Mapped[str] = mapped_column(unique=True)
    title: Mapped[str]
    views: Mapped[int] = mapped_column(default=0)
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"))
    author: Mapped[Author] = relationship(back_populates="posts")


class PostRepository(Repository[Post]):
    filter_fields = ("title", "views", "author_id", "created_at")
    sort_fields = ("created_at", "views", "title")
    update_fields = ("title", "views")
    default_sort = "-created_at"
    max_page_size = 50

    def popular(self, min_views: int) -> list[Post]:
        """Your own query: start from self.select() so soft delete and loaders still apply."""
        return list(self.session.scalars(self.select({"views__gte": min_views})))


db = Database()
db.create_all(Model.metadata)

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

with db.transaction(read_only=True) as tx:
    posts = tx.repository(PostRepository)
    (post,) = posts.list({"title": "Post 1"}, options=[selectinload(Post.author)])
    assert post.author.name == "Ada"  # loaded by the option
    (bare,) = tx.repository(Author).list()
    try:
        print(len(bare.posts))  # not loaded: no silent query, an error naming the fix
    except LazyLoadError as error:
        assert "selectinload(Author.posts)" in str(error)

with db.transaction() as tx:
    posts = tx.repository(PostRepository)
    posts.update(post.id, {"views": 1000})
    posts.delete(post.id)  # soft: deleted_at is set, reads stop seeing it
    assert posts.get(post.id) is None
    assert posts.get(post.id, include_deleted=True) is not None
    posts.restore(post.id)

with db.transaction() as tx:
    posts = tx.repository(PostRepository)
    # one INSERT ... ON CONFLICT / ON DUPLICATE KEY per chunk; updated_at moves on updated rows
    posts.upsert(
        [{"slug": "p1", "title": "Post 1 (edited)", "author_id": ada.id},
         {"slug": "new", "title": "New", "author_id": ada.id}],
        conflict=["slug"],
        update=["title"],
    )
    # COPY on PostgreSQL, multi-row INSERTs elsewhere; no ORM objects are made
    posts.bulk_insert(
        {"slug": f"bulk{i}", "title": f"Bulk {i}", "author_id": ada.id} for i in range(1000)
    )

with db.transaction() as tx:
    posts = tx.repository(PostRepository)
    claimed = posts.lock_many({"views__lt": 50}, limit=3, sort="views", skip_locked=True)
    for claimed_post in claimed:  # locked until the transaction ends; others skip them
        posts.update(claimed_post, {"views": claimed_post.views + 50})


async def main() -> None:
    adb = AsyncDatabase()
    async with adb.transaction(read_only=True) as tx:
        posts = tx.repository(PostRepository)  # an AsyncRepository running the same methods
        top = await posts.list(sort="-views", limit=3)
        popular = await posts.run(PostRepository.popular, 250)
        assert top[0].views == 1000 and len(popular) == 6
    await adb.dispose()


asyncio.run(main())
db.dispose()
