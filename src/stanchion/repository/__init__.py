"""Repositories: one per model, hiding the session behind named queries."""

from stanchion.repository.async_repository import AsyncRepository
from stanchion.repository.repository import Repository

__all__ = ["AsyncRepository", "Repository"]
