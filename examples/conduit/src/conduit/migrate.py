"""Conduit's schema: its migrations (``stanchion db ...`` reads them too) and an upgrade."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from stanchion import Database
from stanchion.migrations import MigrationConfig, upgrade

PACKAGE = Path(__file__).resolve().parent


@lru_cache(maxsize=1)
def migration_config() -> MigrationConfig:
    """The migrations the package carries, wherever the command runs from."""
    return MigrationConfig(
        directory=PACKAGE / "migrations", metadata=("conduit.models:metadata",), root=PACKAGE.parent
    )


def upgrade_to_head(db: Database) -> None:
    """Bring the database to the newest revision (a no-op when it is there)."""
    upgrade(db, migration_config())
