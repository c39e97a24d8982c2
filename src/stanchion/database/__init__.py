"""The database layer: engines with production defaults, sessions, backend profiles, health."""

from stanchion.database.database import AsyncDatabase, Database, EngineSpec, Health, PoolStatus
from stanchion.database.settings import DatabaseSettings

__all__ = ["AsyncDatabase", "Database", "DatabaseSettings", "EngineSpec", "Health", "PoolStatus"]
