"""``stanchion db check``: is this migration history safe to ship? One command for CI.

On a throwaway database next to the configured one: a single head; base→head upgrades; the
models match the migrations (drift shown as the ``op.*`` code that fixes it); every revision
downgrades and re-upgrades (the "stairway"), and downgrading to base leaves nothing behind.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

from alembic.autogenerate import produce_migrations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import URL, Connection, make_url

from stanchion.database import Database
from stanchion.engine.backends import DDL, backend_for
from stanchion.engine.url import with_driver
from stanchion.migrations import api
from stanchion.migrations._render import render_ops
from stanchion.migrations.config import MigrationConfig
from stanchion.migrations.env import configure_options
from stanchion.migrations.exit_codes import ExitCode


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check: its name, pass or fail, and what to read when it failed."""

    name: str
    ok: bool
    detail: str = ""
    code: ExitCode = ExitCode.OK

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "code": int(self.code)}


@dataclass
class CheckReport:
    """All check results; the exit code is the first failure's."""

    results: list[CheckResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(result.ok for result in self.results)

    @property
    def exit_code(self) -> ExitCode:
        return next((r.code for r in self.results if not r.ok), ExitCode.OK)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "exit_code": int(self.exit_code),
            "checks": [r.to_dict() for r in self.results],
        }


def check(
    config: MigrationConfig | None = None,
    url: str | URL | None = None,
    *,
    scratch: bool = True,
    round_trip: bool = True,
) -> CheckReport:
    """Run every check. With `scratch`, a database named after `url`'s (default: the configured
    one) is created and dropped; without it, `url` itself must be an empty database."""
    config = config if config is not None else MigrationConfig.load()
    report = CheckReport()
    heads = api.script_directory(config).get_heads()
    if len(heads) != 1:
        detail = (
            f"{len(heads)} heads: {', '.join(sorted(heads))}; "
            "merge them with `stanchion db merge` (alembic merge heads)"
            if heads
            else "no revisions yet: run `stanchion db revision --autogenerate -m ...`"
        )
        report.results.append(CheckResult("single-head", False, detail, ExitCode.MULTIPLE_HEADS))
        return report
    report.results.append(CheckResult("single-head", True, heads[0]))
    base = make_url(config.database_settings().url.get_secret_value()) if url is None else url
    base = make_url(base) if isinstance(base, str) else base
    # Checks run on the sync driver of the same database, whatever driver the app uses.
    base = with_driver(base.set(drivername=base.get_backend_name()), is_async=False)
    with _database(base, scratch) as target:
        # Migrations run unbounded here too: see `MigrationConfig.database_settings`.
        database = Database(target, pool_size=1, max_overflow=0, peer_timeout_s=0)
        try:
            with database.engine.connect() as connection:
                _run_checks(report, config, connection, round_trip)
        finally:
            database.dispose()
    return report


def _run_checks(
    report: CheckReport, config: MigrationConfig, connection: Connection, round_trip: bool
) -> None:
    steps: list[Callable[[MigrationConfig, Connection], CheckResult]] = [_upgrade, _drift]
    if round_trip:
        steps.append(_round_trip)
    for step in steps:
        result = step(config, connection)
        report.results.append(result)
        if not result.ok and result.code == ExitCode.UPGRADE_FAILED:
            return


def _upgrade(config: MigrationConfig, connection: Connection) -> CheckResult:
    try:
        api.upgrade(connection, config, "head")
    except Exception as error:  # any failure of a migration is the finding itself
        connection.rollback()
        return CheckResult("upgrade", False, _describe(error), ExitCode.UPGRADE_FAILED)
    return CheckResult("upgrade", True, "base → head on an empty database")


def _drift(config: MigrationConfig, connection: Connection) -> CheckResult:
    options = configure_options(config, {}, connection.dialect)
    context = MigrationContext.configure(
        connection,
        opts={
            key: options[key]
            for key in (
                "target_metadata",
                "compare_type",
                "compare_server_default",
                "version_table",
                "include_object",
            )
        },
    )
    migrations = produce_migrations(context, options["target_metadata"])
    connection.rollback()
    upgrade_ops = migrations.upgrade_ops
    if upgrade_ops is None or upgrade_ops.is_empty():
        return CheckResult("drift", True, "the models match the migrations")
    code = render_ops(upgrade_ops)
    detail = (
        "the models differ from the migrations; a revision needs:\n"
        f"{code}\n(run `stanchion db revision --autogenerate -m ...`)"
    )
    return CheckResult("drift", False, detail, ExitCode.DRIFT)


def _round_trip(config: MigrationConfig, connection: Connection) -> CheckResult:
    scripts = api.script_directory(config)
    revisions = list(reversed(list(scripts.walk_revisions("base", "heads"))))
    ddl = backend_for(connection.engine.url).ddl
    step = "downgrade head → base"
    try:
        api.downgrade(connection, config, "base")
        leftovers = _leftovers(config, connection, ddl)
        if leftovers:
            return CheckResult(
                "round-trip",
                False,
                f"downgrading to base left behind: {', '.join(leftovers)} "
                "(drop them in the downgrade; enum types: op.drop_enum(name))",
                ExitCode.ROUND_TRIP_FAILED,
            )
        for script in revisions:
            down = script.down_revision
            previous = "base" if down is None else down if isinstance(down, str) else down[0]
            step = f"upgrade to {script.revision}"
            api.upgrade(connection, config, script.revision)
            step = f"downgrade {script.revision} → {previous}"
            api.downgrade(connection, config, previous)
            step = f"re-upgrade to {script.revision} after its downgrade"
            api.upgrade(connection, config, script.revision)
    except Exception as error:  # the failing step is the finding
        connection.rollback()
        return CheckResult(
            "round-trip", False, f"{step} failed: {_describe(error)}", ExitCode.ROUND_TRIP_FAILED
        )
    return CheckResult(
        "round-trip", True, f"{len(revisions)} revisions downgrade and re-upgrade cleanly"
    )


def _leftovers(config: MigrationConfig, connection: Connection, ddl: DDL) -> list[str]:
    tables = [
        f"table {name}"
        for name in inspect(connection).get_table_names()
        if name != config.version_table and not config.is_excluded(name)
    ]
    enums = [f"enum type {name}" for name in ddl.enum_type_names(connection)]
    connection.rollback()
    return tables + enums


def _describe(error: BaseException) -> str:
    cause = error.__cause__ or error.__context__
    message = str(error).splitlines()[0] if str(error) else type(error).__name__
    if cause is not None and str(cause):
        original = str(cause).splitlines()[0]
        if original not in message:
            message = f"{message} ({original})"
    return f"{type(error).__name__}: {message}"[:500]


@contextmanager
def _database(base: URL, scratch: bool) -> Iterator[URL]:
    if not scratch:
        yield base
        return
    admin = backend_for(base).admin
    url = admin.scratch_url(base, f"check_{uuid.uuid4().hex[:8]}")
    admin.create_database(url)
    try:
        yield url
    finally:
        admin.drop_database(url)
