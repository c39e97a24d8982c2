"""The Python API over Alembic: upgrade, downgrade, stamp, revision, merge, current and head
revisions, status.

``target`` is a URL, a sync ``Connection``/``Engine`` or a `Database`; a connection already in a
transaction is migrated inside it (the caller commits), otherwise each migration commits.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, TypeVar

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from stanchion.database import AsyncDatabase, Database
from stanchion.errors import MigrationConfigError, MigrationError
from stanchion.migrations.config import DIALECT_ATTRIBUTE, STEP_ATTRIBUTE, MigrationConfig

Target = str | URL | Connection | Engine | Database
AsyncTarget = AsyncConnection | AsyncEngine | AsyncDatabase
T = TypeVar("T")


class SchemaStatus(NamedTuple):
    """Where a database stands: its revision, the newest revision, and whether they match."""

    current: str | None
    head: str | None
    is_at_head: bool


def _config(config: MigrationConfig | None) -> MigrationConfig:
    return config if config is not None else MigrationConfig.load()


def alembic_config_for(
    target: Target | None, config: MigrationConfig | None, **kwargs: Any
) -> AlembicConfig:
    """The Alembic config that runs `config`'s migrations against `target`."""
    mconfig = _config(config)
    if target is None:
        return mconfig.alembic_config(**kwargs)
    if isinstance(target, str | URL):
        return mconfig.with_url(target).alembic_config(**kwargs)
    return mconfig.alembic_config(target, **kwargs)


def _run(action: Callable[[], T]) -> T:
    try:
        return action()
    except CommandError as error:
        raise MigrationError(str(error)) from error
    except SQLAlchemyError as error:
        # The driver's first line says what failed; the SQL and parameters stay out of it.
        first = str(error.orig if isinstance(error, DBAPIError) else error).splitlines()
        reason = first[0] if first else type(error).__name__
        raise MigrationError(f"a migration failed: {reason}") from error


def upgrade(
    target: Target | None = None,
    config: MigrationConfig | None = None,
    revision: str = "head",
    *,
    on_step: Callable[[str], object] | None = None,
) -> None:
    """Upgrade `target` (default: the configured database) to `revision`; `on_step` is told
    each revision as it is applied (``"0002 (0001 -> 0002): create posts"``)."""
    alembic_config = alembic_config_for(target, config)
    if on_step is not None:
        alembic_config.attributes[STEP_ATTRIBUTE] = on_step
    _run(lambda: command.upgrade(alembic_config, revision))


def downgrade(
    target: Target | None = None, config: MigrationConfig | None = None, revision: str = "-1"
) -> None:
    """Downgrade `target` to `revision` (default: one step back)."""
    alembic_config = alembic_config_for(target, config)
    _run(lambda: command.downgrade(alembic_config, revision))


def stamp(
    target: Target | None = None, config: MigrationConfig | None = None, revision: str = "head"
) -> None:
    """Record `revision` as applied without running anything (adopting an existing schema)."""
    alembic_config = alembic_config_for(target, config)
    _run(lambda: command.stamp(alembic_config, revision))


async def async_upgrade(
    target: AsyncTarget, config: MigrationConfig | None = None, revision: str = "head"
) -> None:
    """`upgrade` from async code, on an async connection, engine or `AsyncDatabase`."""
    await _async_on(target, lambda connection: upgrade(connection, config, revision))


async def async_downgrade(
    target: AsyncTarget, config: MigrationConfig | None = None, revision: str = "-1"
) -> None:
    """`downgrade` from async code."""
    await _async_on(target, lambda connection: downgrade(connection, config, revision))


async def async_schema_status(
    target: AsyncTarget, config: MigrationConfig | None = None
) -> SchemaStatus:
    """`schema_status` from async code (for health endpoints)."""
    return await _async_on(target, lambda connection: schema_status(connection, config))


async def _async_on(target: AsyncTarget, work: Callable[[Connection], T]) -> T:
    if isinstance(target, AsyncConnection):
        return await target.run_sync(work)
    engine = target.engine if isinstance(target, AsyncDatabase) else target
    async with engine.connect() as connection:
        return await connection.run_sync(work)


def current_revision(
    connection: Connection | Engine | Database, config: MigrationConfig | None = None
) -> str | None:
    """The revision `connection`'s database is at (None before the first migration)."""
    if not isinstance(connection, Connection):
        engine = connection.engine
        with engine.connect() as opened:
            return current_revision(opened, config)
    mconfig = _config(config)
    context = MigrationContext.configure(connection, opts={"version_table": mconfig.version_table})
    heads = context.get_current_heads()
    if len(heads) > 1:
        raise MigrationError(f"the database is at several revisions: {', '.join(heads)}")
    return heads[0] if heads else None


def script_directory(config: MigrationConfig | None = None) -> ScriptDirectory:
    """Alembic's view of the revision files."""
    mconfig = _config(config)
    if not (mconfig.directory / "env.py").is_file():
        raise MigrationConfigError(
            f"no migrations in {mconfig.directory}: run `stanchion db init` first"
        )
    return _run(lambda: ScriptDirectory.from_config(mconfig.alembic_config()))


def head_revision(config: MigrationConfig | None = None) -> str | None:
    """The newest revision (None when there are none); several heads are an error."""
    heads = script_directory(config).get_heads()
    if len(heads) > 1:
        raise MigrationError(f"the migrations have several heads: {', '.join(heads)}")
    return heads[0] if heads else None


def schema_status(
    connection: Connection | Engine | Database, config: MigrationConfig | None = None
) -> SchemaStatus:
    """(current, head, is_at_head) for `connection`'s database."""
    mconfig = _config(config)
    current = current_revision(connection, mconfig)
    head = head_revision(mconfig)
    return SchemaStatus(current, head, current == head)


def revision(
    message: str,
    config: MigrationConfig | None = None,
    *,
    autogenerate: bool = False,
    target: Target | None = None,
    rev_id: str | None = None,
) -> Script:
    """Write a new revision file; with `autogenerate`, compare the models with `target`."""
    alembic_config = alembic_config_for(target, config)
    result = _run(
        lambda: command.revision(
            alembic_config, message=message, autogenerate=autogenerate, rev_id=rev_id
        )
    )
    if not isinstance(result, Script):
        raise MigrationError("alembic wrote no single revision")
    return result


def merge(
    config: MigrationConfig | None = None,
    message: str = "merge heads",
    *,
    revisions: Sequence[str] | None = None,
    rev_id: str | None = None,
) -> Script:
    """Write an empty revision that joins `revisions` (default: every head) into one head.

    When two branches each added a revision, the history has two heads and ``upgrade head``
    refuses; the merge revision depends on both, so the history is one line again.
    """
    scripts = script_directory(config)
    heads = list(revisions) if revisions is not None else list(scripts.get_heads())
    if len(heads) < 2:
        raise MigrationError(
            f"nothing to merge: {len(heads)} head{'s' * (len(heads) != 1)} given "
            "(a merge joins two or more)"
        )
    alembic_config = _config(config).alembic_config()
    result = _run(lambda: command.merge(alembic_config, heads, message, rev_id=rev_id))
    if not isinstance(result, Script):
        raise MigrationError("alembic wrote no merge revision")
    return result


def offline_sql(
    config: MigrationConfig | None = None,
    revision_range: str = "head",
    *,
    dialect: str | None = None,
    downgrade: bool = False,
) -> str:
    """The SQL an upgrade (or downgrade) over `revision_range` would run, without a database.

    `dialect` ("postgresql", "mysql", "sqlite") renders for another database than the URL's.
    """
    buffer = io.StringIO()
    alembic_config = _config(config).alembic_config(output_buffer=buffer)
    if dialect is not None:
        alembic_config.attributes[DIALECT_ATTRIBUTE] = dialect
    run = command.downgrade if downgrade else command.upgrade
    _run(lambda: run(alembic_config, revision_range, sql=True))
    return buffer.getvalue()
