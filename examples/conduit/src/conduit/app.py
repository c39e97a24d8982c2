"""The FastAPI application: ``conduit.app:app`` for servers, `create_app` for tests and benches."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, FastAPI

from conduit.auth import Auth
from conduit.config import async_database
from conduit.errors import install_error_handlers
from conduit.routes import articles, comments, profiles, tags, users
from stanchion import AsyncDatabase
from stanchion.fastapi import database_lifespan, set_database

#: Where the spec puts the API (its test suites call ``{host}/api/...``).
PREFIX = "/api"


def create_app(
    database: AsyncDatabase | Callable[[], AsyncDatabase] = async_database,
    auth: Auth | None = None,
) -> FastAPI:
    """The Conduit API on `database` (a database, or a factory called at startup: by default
    one that reads ``DATABASE_URL``), signing tokens with `auth` (default: from the environment)."""
    app = FastAPI(
        title="Conduit on stanchion",
        summary="The RealWorld API spec (a Medium clone), on stanchion and FastAPI.",
        version="0.1.0",
        lifespan=database_lifespan(database),
    )
    if isinstance(database, AsyncDatabase):
        set_database(app, database)
    app.state.conduit_auth = auth  # None: from the environment, on first use
    install_error_handlers(app)
    api = APIRouter(prefix=PREFIX)
    # comments before articles: "/articles/{slug}/comments" must not be read as an article route
    for module in (users, profiles, comments, articles, tags):
        api.include_router(module.router)
    app.include_router(api)
    return app


app = create_app()
