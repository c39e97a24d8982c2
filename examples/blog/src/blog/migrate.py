"""The app's schema: migrate to the latest revision, and report whether the database is there."""

from __future__ import annotations

from dataclasses import dataclass

from blog.models import metadata
from stanchion import AsyncDatabase, Database


@dataclass(frozen=True)
class SchemaState:
    current: bool | None
    revision: str | None
    head: str | None


def upgrade(db: Database) -> None:
    """Bring the database to the latest schema."""
    # Interim until `stanchion db` lands: create the tables that are missing.
    db.create_all(metadata)


async def schema_state(db: AsyncDatabase) -> SchemaState | None:
    """Where the database's schema stands; None when it cannot tell."""
    return None
