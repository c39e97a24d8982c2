"""The FastAPI application: ``blog.app:app`` for servers, `create_app` for tests and benchmarks."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI

from blog.routes import comments, health, posts, stats, tags, users
from stanchion import AsyncDatabase
from stanchion.fastapi import database_lifespan, install_problem_handlers, set_database


def create_app(
    database: AsyncDatabase | Callable[[], AsyncDatabase] = AsyncDatabase,
) -> FastAPI:
    """The blog API on `database`: a database, or a factory called at startup (the default
    reads ``DATABASE_URL``), so importing the app never creates an engine."""
    app = FastAPI(
        title="stanchion blog",
        summary="The reference app of stanchion: users, posts, comments and tags.",
        version="0.1.0",
        lifespan=database_lifespan(database),
    )
    if isinstance(database, AsyncDatabase):
        set_database(app, database)
    install_problem_handlers(app)
    for module in (users, posts, comments, tags, stats, health):
        app.include_router(module.router)
    return app


app = create_app()
