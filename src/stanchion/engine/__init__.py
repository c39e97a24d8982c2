"""The bottom layer: settings, URLs, backend profiles, the session class, error translation.

Everything about talking to one database server lives here; nothing here knows about units
of work, repositories or `Database` (the composition root above it).
"""

from stanchion._exports import present_as_public as _present_as_public
from stanchion.engine.causality import CausalityToken, causality_scope, current_token
from stanchion.engine.health import Health, PoolStatus, pool_status
from stanchion.engine.replicas import ReplicaHealth, ReplicaState
from stanchion.engine.session import StanchionSession
from stanchion.engine.settings import DEFAULT_URL, DatabaseSettings
from stanchion.engine.spec import EngineSpec
from stanchion.engine.url import safe_url, with_driver

__all__ = [
    "DEFAULT_URL",
    "CausalityToken",
    "DatabaseSettings",
    "EngineSpec",
    "Health",
    "PoolStatus",
    "ReplicaHealth",
    "ReplicaState",
    "StanchionSession",
    "causality_scope",
    "current_token",
    "pool_status",
    "safe_url",
    "with_driver",
]

_present_as_public(__name__, globals(), __all__)
