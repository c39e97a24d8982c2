"""Migrations on Alembic: configuration, a Python API, env.py, safe operations, check and lint."""

from stanchion._exports import present_as_public as _present_as_public
from stanchion.errors import MigrationConfigError, MigrationError
from stanchion.migrations.api import (
    SchemaStatus,
    async_downgrade,
    async_schema_status,
    async_upgrade,
    current_revision,
    downgrade,
    head_revision,
    merge,
    offline_sql,
    revision,
    schema_status,
    script_directory,
    stamp,
    upgrade,
)
from stanchion.migrations.config import MigrationConfig

__all__ = [
    "MigrationConfig",
    "MigrationConfigError",
    "MigrationError",
    "SchemaStatus",
    "async_downgrade",
    "async_schema_status",
    "async_upgrade",
    "current_revision",
    "downgrade",
    "head_revision",
    "merge",
    "offline_sql",
    "revision",
    "schema_status",
    "script_directory",
    "stamp",
    "upgrade",
]

_present_as_public(__name__, globals(), __all__)
