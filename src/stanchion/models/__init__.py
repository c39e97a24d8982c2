"""Models: the declarative base, portable column types and mixins."""

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
