"""Helpers for testing a project's migrations: scratch databases, pytest-alembic, `check`.

``assert_migrations_ok(config, url)`` is the one-line CI test; ``pytest_alembic_config(config)``
is what pytest-alembic's ``alembic_config`` fixture should return.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from alembic.config import Config as AlembicConfig
from sqlalchemy.engine import URL, make_url

from stanchion.engine.backends import backend_for
from stanchion.engine.url import with_driver
from stanchion.migrations.check import CheckReport, check
from stanchion.migrations.config import MigrationConfig


def pytest_alembic_config(config: MigrationConfig | None = None) -> AlembicConfig:
    """The Alembic config for pytest-alembic: it hands its engine to our env.py, which migrates
    that engine's database rather than the configured URL."""
    return (config if config is not None else MigrationConfig.load()).alembic_config()


@contextmanager
def scratch_database(base: str | URL) -> Iterator[URL]:
    """A new empty database next to `base` (same server), dropped afterwards."""
    url = make_url(base) if isinstance(base, str) else base
    url = with_driver(url, is_async=False)
    admin = backend_for(url).admin
    scratch = admin.scratch_url(url, f"t{uuid.uuid4().hex[:10]}")
    admin.create_database(scratch)
    try:
        yield scratch
    finally:
        admin.drop_database(scratch)


def assert_migrations_ok(
    config: MigrationConfig | None = None, url: str | URL | None = None, *, round_trip: bool = True
) -> CheckReport:
    """Run `stanchion db check` on a scratch database next to `url`; fail with its report."""
    report = check(config, url, round_trip=round_trip)
    if not report.ok:
        lines = [f"{'ok ' if r.ok else 'FAILED '}{r.name}: {r.detail}" for r in report.results]
        raise AssertionError("migrations check failed:\n" + "\n".join(lines))
    return report


__all__ = ["assert_migrations_ok", "pytest_alembic_config", "scratch_database"]
