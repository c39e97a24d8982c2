"""The reference blog's migrations upgrade, match the models and round-trip on all three
databases (`stanchion db check`), and pass pytest-alembic's built-in tests, unmodified, on
PostgreSQL and SQLite (test_reference_app_pytest_alembic.py)."""

from __future__ import annotations

import pytest
from blog import migrate as blog_migrate

from stanchion.migrations import MigrationConfig
from stanchion.migrations.testing import assert_migrations_ok
from tests.conftest import backend_url

pytestmark = pytest.mark.commits


def blog_config() -> MigrationConfig:
    config: MigrationConfig = blog_migrate.migration_config()
    return config


def test_blog_migrations_upgrade_match_the_models_and_round_trip(backend: str) -> None:
    report = assert_migrations_ok(blog_config(), backend_url(backend))
    assert [r.name for r in report.results] == ["single-head", "upgrade", "drift", "round-trip"]
