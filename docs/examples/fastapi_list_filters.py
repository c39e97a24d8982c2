"""docs/fastapi.md, "Choosing operators, and any-of groups": a list endpoint whose query
parameters come from the repository's allow-lists. Runs anywhere, any number of times: its
SQLite file lives in a temporary directory of its own."""

import asyncio
import tempfile
from pathlib import Path
from typing import Annotated, Any, ClassVar

import httpx
from fastapi import Depends, FastAPI
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from stanchion import AsyncDatabase, IntegerPK, ModelBase, Repository, Timestamps
from stanchion.fastapi import (
    ListQuery,
    ReadOnlyUnitOfWorkDep,
    install_problem_handlers,
    list_query,
    set_database,
)


class Base(ModelBase, DeclarativeBase):
    """A registry of this example's own, so it never meets another example's tables."""


class Article(Base, IntegerPK, Timestamps):
    __tablename__ = "articles"
    title: Mapped[str]
    views: Mapped[int] = mapped_column(default=0)
    published: Mapped[bool] = mapped_column(default=False)


class ArticleRepository(Repository[Article]):
    # seven query parameters, not one per operator that would fit
    filter_fields: ClassVar[dict[str, tuple[str, ...]]] = {
        "title": ("icontains",),
        "views": ("gte", "lte"),
        "published": ("eq",),
        "id": ("in",),
    }
    sort_fields = ("views", "created_at")
    default_sort = "-views"


ArticleQuery = Annotated[ListQuery, Depends(list_query(ArticleRepository))]


def create_app(db: AsyncDatabase) -> FastAPI:
    app = FastAPI()
    set_database(app, db)
    install_problem_handlers(app)

    @app.get("/articles")
    async def list_articles(query: ArticleQuery, tx: ReadOnlyUnitOfWorkDep) -> dict[str, Any]:
        page = await tx.repository(ArticleRepository).keyset_page(
            query.filters, sort=query.sort, limit=query.limit, cursor=query.cursor
        )
        return {"titles": [a.title for a in page.items], "next_cursor": page.next_cursor}

    return app


async def main(directory: Path) -> None:
    db = AsyncDatabase(f"sqlite+aiosqlite:///{directory / 'articles.db'}")
    await db.create_all(Base.metadata)
    async with db.transaction() as tx:
        await tx.repository(Article).add_many(
            [Article(title=f"Article {i}", views=i * 10, published=i % 2 == 0) for i in range(10)]
        )
    app = create_app(db)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://example") as client:

        async def titles(params: Any) -> list[str]:
            response = await client.get("/articles", params=params)
            assert response.status_code == 200, response.text
            return response.json()["titles"]  # type: ignore[no-any-return]

        # GET /articles?or=title__icontains:article 1&or=views__gte:80&published=true
        either = [("or", "title__icontains:article 1"), ("or", "views__gte:80")]
        assert await titles(either) == ["Article 9", "Article 8", "Article 1"]
        assert await titles([*either, ("published", "true")]) == ["Article 8"]
        assert await titles({"id__in": "2,3", "views__lte": 10}) == ["Article 1"]

        # an operator the repository does not expose, or a value no backend takes: a 422
        for params in (
            {"title": "Article 1"},
            {"or": "views__gt:1"},
            {"views__gte": "9223372036854775808"},
            {"title__icontains": "a\x00b"},
        ):
            response = await client.get("/articles", params=params)
            assert response.status_code == 422, params
            assert response.headers["content-type"] == "application/problem+json"

    parameters = app.openapi()["paths"]["/articles"]["get"]["parameters"]
    assert [p["name"] for p in parameters if p["name"] not in ("sort", "limit", "cursor")] == [
        "title__icontains",
        "views__gte",
        "views__lte",
        "published",
        "id__in",
        "or",
    ]
    await db.dispose()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as directory:
        asyncio.run(main(Path(directory)))
