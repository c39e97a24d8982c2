"""Models: the declarative base, portable column types and mixins."""

from stanchion._exports import present_as_public as _present_as_public
from stanchion.models._uuid7 import uuid7
from stanchion.models.base import NAMING_CONVENTION, Model, ModelBase
from stanchion.models.mixins import IntegerPK, SoftDelete, Timestamps, UUIDv7PK, Versioned
from stanchion.models.types import UTCDateTime, utcnow

__all__ = [
    "NAMING_CONVENTION",
    "IntegerPK",
    "Model",
    "ModelBase",
    "SoftDelete",
    "Timestamps",
    "UTCDateTime",
    "UUIDv7PK",
    "Versioned",
    "utcnow",
    "uuid7",
]

_present_as_public(__name__, globals(), __all__)
