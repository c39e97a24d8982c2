"""What a unit of work needs from a database: its backend profile and a way to open sessions.

Units of work depend on these protocols, not on `Database`, so the transaction layer sits
below the composition root that offers ``db.transaction()`` and never imports it.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from stanchion.engine import StanchionSession
from stanchion.engine.backends import Backend
from stanchion.engine.causality import CausalityToken


class SessionSource(Protocol):
    """A sync database as a unit of work sees it (`Database` is one)."""

    @property
    def backend(self) -> Backend: ...

    def session(self) -> StanchionSession: ...

    def unit_session(self, *, read_only: bool) -> StanchionSession:
        """The session a unit of work runs on (a replica for read-only work, if any)."""
        ...

    def unit_committed(self) -> CausalityToken | None:
        """Called once a unit of work committed; its causality token, if the database has one."""
        ...


class AsyncSessionSource(Protocol):
    """An asyncio database as a unit of work sees it (`AsyncDatabase` is one)."""

    @property
    def backend(self) -> Backend: ...

    def session(self) -> AsyncSession: ...

    async def unit_session(self, *, read_only: bool) -> AsyncSession: ...

    async def unit_committed(self) -> CausalityToken | None: ...
