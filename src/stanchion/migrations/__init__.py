"""Migrations on Alembic: configuration, a Python API, env.py, safe operations, check and lint."""

from stanchion.errors import MigrationConfigError, MigrationError
from stanchion.migrations.api import (
    SchemaStatus,
    current_revision,
    downgrade,
    downgrade_async,
    head_revision,
    offline_sql,
    revision,
    schema_status,
    schema_status_async,
    script_directory,
    stamp,
    upgrade,
    upgrade_async,
)
from stanchion.migrations.config import MigrationConfig

__all__ = [
    "MigrationConfig",
    "MigrationConfigError",
    "MigrationError",
    "SchemaStatus",
    "current_revision",
    "downgrade",
    "downgrade_async",
    "head_revision",
    "offline_sql",
    "revision",
    "schema_status",
    "schema_status_async",
    "script_directory",
    "stamp",
    "upgrade",
    "upgrade_async",
]
