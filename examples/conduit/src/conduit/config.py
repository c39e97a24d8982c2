"""Where the app's data lives: ``DATABASE_URL``, else ``./conduit.db`` (SQLite).

Its own default file, not stanchion's ``./stanchion.db``, so running it in a directory where
another stanchion app (the blog) keeps its database never mixes two migration histories.
"""

from __future__ import annotations

from pydantic import Field, SecretStr

from stanchion import AsyncDatabase, Database, DatabaseSettings

DEFAULT_URL = "sqlite:///./conduit.db"


class Settings(DatabaseSettings):
    """stanchion's settings (``DATABASE_POOL_SIZE``...) with the app's default URL and name."""

    url: SecretStr = Field(default=SecretStr(DEFAULT_URL), description="SQLAlchemy URL")
    application_name: str = "conduit"


def database() -> Database:
    return Database(settings=Settings())


def async_database() -> AsyncDatabase:
    return AsyncDatabase(settings=Settings())
