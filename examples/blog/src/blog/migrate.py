"""The app's schema: its migrations (managed by ``stanchion db``), upgrade, and where a database
stands — for ``blog up`` and ``/health``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from stanchion import AsyncDatabase, Database
from stanchion.migrations import (
    MigrationConfig,
    SchemaStatus,
    async_schema_status,
    upgrade,
)

PACKAGE = Path(__file__).resolve().parent


@lru_cache(maxsize=1)
def migration_config() -> MigrationConfig:
    """The blog's migrations, wherever the command runs from (the package carries them)."""
    return MigrationConfig(
        directory=PACKAGE / "migrations", metadata=("blog.models:metadata",), root=PACKAGE.parent
    )


def upgrade_to_head(db: Database) -> None:
    """Bring the database to the latest revision (a no-op when it is there already)."""
    upgrade(db, migration_config())


async def schema_state(db: AsyncDatabase) -> SchemaStatus:
    """The database's revision against the newest one."""
    return await async_schema_status(db, migration_config())
