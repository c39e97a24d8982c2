"""The composition root: `Database` and `AsyncDatabase`, an engine with transactions on top."""

from stanchion._exports import present_as_public as _present_as_public
from stanchion.database._facade import AsyncDatabase, Database
from stanchion.engine import DatabaseSettings, EngineSpec, Health, PoolStatus

__all__ = ["AsyncDatabase", "Database", "DatabaseSettings", "EngineSpec", "Health", "PoolStatus"]

_present_as_public(__name__, globals(), __all__)
