"""What a project's env.py runs: online or offline, sync or async, on a handed-in connection.

The generated env.py is two lines calling `run_migrations`; keeping the logic here means every
project gets fixes by upgrading stanchion instead of editing a copied template.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable, Coroutine
from typing import Any

from alembic import context as alembic_context
from alembic.runtime.environment import EnvironmentContext
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from stanchion.database import AsyncDatabase, Database
from stanchion.engine.backends import DDL, backend_for, backend_for_dialect
from stanchion.migrations import operations  # noqa: F401  (registers the op.* safe operations)
from stanchion.migrations._render import render_item, server_default_comparison
from stanchion.migrations.autogenerate import revision_directives
from stanchion.migrations.config import (
    CONNECTION_ATTRIBUTE,
    DIALECT_ATTRIBUTE,
    STEP_ATTRIBUTE,
    MigrationConfig,
    config_from_alembic,
)
from stanchion.models import NAMING_CONVENTION


def run_migrations(context: EnvironmentContext | None = None, **configure: Any) -> None:
    """Run the migrations Alembic asked for; `configure` adds or overrides options given to
    ``context.configure`` (``include_object``, ``process_revision_directives``...)."""
    context = context or alembic_context  # type: ignore[assignment]
    assert context is not None
    mconfig = config_from_alembic(context.config)
    if context.is_offline_mode():
        _run_offline(context, mconfig, configure)
        return
    target = context.config.attributes.get(CONNECTION_ATTRIBUTE)
    if target is None:
        _run_on_url(context, mconfig, configure)
    else:
        _run_on_target(context, mconfig, configure, target)


def configure_options(
    mconfig: MigrationConfig, extra: dict[str, Any], dialect: Any
) -> dict[str, Any]:
    """The options every stanchion migration run uses on `dialect` (``extra`` wins)."""
    metadata = mconfig.target_metadata()
    if metadata is None:
        metadata = MetaData(naming_convention=NAMING_CONVENTION)
    user_directives = extra.pop("process_revision_directives", None)
    user_render = extra.pop("render_item", None)
    user_include = extra.pop("include_object", None)

    def include_object(obj: Any, name: str | None, kind: str, reflected: bool, other: Any) -> bool:
        if kind == "table" and name is not None and mconfig.is_excluded(name):
            return False
        table = getattr(obj, "table", None)
        if table is not None and mconfig.is_excluded(getattr(table, "name", "")):
            return False
        return user_include is None or bool(user_include(obj, name, kind, reflected, other))

    return {
        "target_metadata": metadata,
        "compare_type": True,
        "compare_server_default": server_default_comparison(dialect),
        "render_as_batch": backend_for_dialect(dialect).ddl.rebuilds_tables,
        "transaction_per_migration": True,
        "version_table": mconfig.version_table,
        "process_revision_directives": revision_directives(user_directives),
        "render_item": render_item(user_render),
        "include_object": include_object,
        "user_module_prefix": None,
        **extra,
    }


def _run_offline(
    context: EnvironmentContext, mconfig: MigrationConfig, extra: dict[str, Any]
) -> None:
    dialect = context.config.attributes.get(DIALECT_ATTRIBUTE)
    if dialect:
        url = make_url(f"{dialect}://")
    else:
        url = make_url(mconfig.database_settings().url.get_secret_value())
    context.configure(
        url=url,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        **configure_options(mconfig, dict(extra), url.get_dialect()),
    )
    if mconfig.lock_timeout_ms:
        for statement in backend_for(url).ddl.lock_timeout_sql(mconfig.lock_timeout_ms):
            context.execute(statement)
    with context.begin_transaction():
        context.run_migrations()


def _run_on_target(
    context: EnvironmentContext, mconfig: MigrationConfig, extra: dict[str, Any], target: Any
) -> None:
    def run(connection: Connection) -> None:
        run_on_connection(context, mconfig, extra, connection)

    if isinstance(target, Database | AsyncDatabase):
        target = target.engine
    if isinstance(target, Connection):
        run(target)
    elif isinstance(target, Engine):
        with target.connect() as connection:
            run(connection)
    elif isinstance(target, AsyncEngine):
        engine = target

        async def async_run() -> None:
            async with engine.connect() as connection:
                await connection.run_sync(run)

        run_coroutine(async_run)
    elif isinstance(target, AsyncConnection):
        raise TypeError(
            "an AsyncConnection cannot be migrated from sync code: use "
            "stanchion.migrations.async_upgrade(connection, config) instead"
        )
    else:
        raise TypeError(f"cannot migrate through a {type(target).__name__}")


def _reporting(on_step: Callable[[str], object], user: Any) -> Callable[..., None]:
    """Alembic's ``on_version_apply`` hook: tell `on_step` each revision just applied."""

    def on_version_apply(**kwargs: Any) -> None:
        if user is not None:
            user(**kwargs)
        step = kwargs["step"]
        source = ", ".join(step.source_revision_ids) or "base"
        target = ", ".join(step.destination_revision_ids) or "base"
        revision = step.up_revision_id if step.is_upgrade else source
        on_step(f"{revision} ({source} -> {target}): {step.up_revision.doc or ''}".rstrip(": "))

    return on_version_apply


def run_on_connection(
    context: EnvironmentContext,
    mconfig: MigrationConfig,
    extra: dict[str, Any],
    connection: Connection,
) -> None:
    """Migrate on `connection`: its own transactions per migration, or inside the caller's."""
    ddl = backend_for(connection.engine.url).ddl
    external = connection.in_transaction()
    ddl.begin_migrations(connection, mconfig.lock_timeout_ms)
    if not external and connection.in_transaction():
        connection.commit()
    options = configure_options(mconfig, dict(extra), connection.dialect)
    on_step = context.config.attributes.get(STEP_ATTRIBUTE)
    if on_step is not None:
        options["on_version_apply"] = _reporting(on_step, options.get("on_version_apply"))
    context.configure(connection=connection, **options)
    try:
        with context.begin_transaction():
            context.run_migrations()
    except BaseException:
        # The caller's own transaction is the caller's to roll back (which undoes our SETs);
        # otherwise give the connection back as it came, then let the failure through.
        if not external:
            if connection.in_transaction():
                connection.rollback()
            _end(ddl, connection, mconfig)
        raise
    if external:
        ddl.end_migrations(connection, mconfig.lock_timeout_ms)
        return
    if connection.in_transaction():
        connection.commit()
    _end(ddl, connection, mconfig)


def _end(ddl: DDL, connection: Connection, mconfig: MigrationConfig) -> None:
    ddl.end_migrations(connection, mconfig.lock_timeout_ms)
    if connection.in_transaction():
        connection.commit()


def run_coroutine(factory: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run a coroutine to completion from sync code, even when an event loop is running here
    (then in a worker thread with its own loop: ``asyncio.run`` would fail, alembic #1353)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(factory())
        return
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="stanchion-migrate") as pool:
        pool.submit(asyncio.run, factory()).result()


def _run_on_url(
    context: EnvironmentContext, mconfig: MigrationConfig, extra: dict[str, Any]
) -> None:
    """No connection was handed in: open the configured database, sync or async, for this run."""
    settings = mconfig.database_settings()
    settings = settings.model_copy(update={"pool_size": 1, "max_overflow": 0})
    url = make_url(settings.url.get_secret_value())

    def run(connection: Connection) -> None:
        run_on_connection(context, mconfig, extra, connection)

    if "+" in url.drivername and url.get_dialect().is_async:
        async_database = AsyncDatabase(settings=settings)

        async def async_run() -> None:
            try:
                async with async_database.engine.connect() as connection:
                    await connection.run_sync(run)
            finally:
                await async_database.dispose()

        run_coroutine(async_run)
        return
    database = Database(settings=settings)
    try:
        with database.engine.connect() as connection:
            run(connection)
    finally:
        database.dispose()
