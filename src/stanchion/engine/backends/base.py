"""A backend profile: one object per database, composed of facets, holding every dialect
difference stanchion knows.

The profile itself answers what the engine needs (connect-time settings and hooks, how a
transaction begins); its facets answer the rest, each for the layer that asks: `errors`
(translation, retry), `writes` (repositories), `ddl` (migrations) and `admin` (tests and
``stanchion db check``). A new backend is written facet by facet. Nothing outside the profiles
looks at ``dialect.name``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from sqlalchemy.engine import URL, Dialect, Engine

from stanchion.engine.backends.admin import Admin
from stanchion.engine.backends.ddl import DDL
from stanchion.engine.backends.errors import Errors
from stanchion.engine.backends.options import READ_ONLY
from stanchion.engine.backends.replication import Replication
from stanchion.engine.backends.writes import Writes
from stanchion.engine.settings import DatabaseSettings


class Backend:
    """A database's production defaults and its facets. Subclass per backend."""

    name: ClassVar[str] = "generic"
    #: What driver errors mean and which are safe to retry (error translation, retry policy).
    errors: ClassVar[Errors] = Errors()
    #: Upsert, bulk load, row locks (repositories).
    writes: ClassVar[Writes] = Writes()
    #: How the schema changes (migrations' safe operations, the migration session).
    ddl: ClassVar[DDL] = DDL()
    #: Making, copying and dropping whole databases (tests, ``stanchion db check``).
    admin: ClassVar[Admin] = Admin()
    #: Replication positions, lag and read-your-writes waits (read replicas).
    replication: ClassVar[Replication] = Replication()

    def engine_options(self, url: URL, settings: DatabaseSettings) -> dict[str, Any]:
        """Keyword arguments for ``create_engine`` besides the URL."""
        return {
            "pool_size": settings.pool_size,
            "max_overflow": settings.max_overflow,
            "pool_timeout": settings.pool_timeout,
            "pool_recycle": settings.pool_recycle,
            "pool_use_lifo": settings.pool_use_lifo,
            # SQLAlchemy's pre-ping pings at every checkout; `install_idle_ping` pings only
            # connections idle for `pool_pre_ping_idle` seconds (0: every checkout).
            "pool_pre_ping": settings.pool_pre_ping and settings.pool_pre_ping_idle == 0,
        }

    def pings_connections(self) -> bool:
        """Whether pooled connections can die unseen (a network, a server) and want a ping."""
        return True

    def install(self, engine: Engine, settings: DatabaseSettings) -> None:
        """Attach connect-time and begin-time hooks to the (sync) engine."""

    def peer_socket(self, dialect: Dialect) -> Callable[[Any], int] | None:
        """How to find a driver connection's socket, for drivers that cannot bound a wait on a
        silent server themselves (``peer_timeout_s``); None: the driver bounds it, or no
        network is involved."""
        del dialect
        return None

    def accepts_pooler(self, pooler: str) -> bool:
        """Whether this database can run behind `pooler` (the ``pooler`` setting)."""
        return False

    def system_name(self, dialect: Dialect) -> str:
        """The OpenTelemetry ``db.system.name`` of this database (tracing, metrics)."""
        del dialect
        return self.name

    def explain(self, statement: str) -> str | None:
        """SQL showing `statement`'s plan without running it (slow-query log); None: none."""
        del statement
        return None

    def transaction_options(
        self, *, isolation_level: str | None, read_only: bool
    ) -> dict[str, Any]:
        """Execution options that start a transaction at `isolation_level`, optionally read-only."""
        options: dict[str, Any] = {READ_ONLY: True} if read_only else {}
        if isolation_level is not None:
            options["isolation_level"] = isolation_level
        return options


def sql_literal_ms(value: int) -> str:
    """A millisecond setting as a server literal, validated as an integer first."""
    return f"{int(value)}ms"
