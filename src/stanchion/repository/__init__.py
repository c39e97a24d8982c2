"""Repositories: one per model, hiding the session behind named queries."""

from stanchion._exports import present_as_public as _present_as_public
from stanchion.repository._async import AsyncRepository
from stanchion.repository._sync import Repository

__all__ = ["AsyncRepository", "Repository"]

_present_as_public(__name__, globals(), __all__)
