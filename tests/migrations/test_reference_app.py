"""The reference blog's migrations upgrade, match the models and round-trip on all three
databases (`stanchion db check`), and pass pytest-alembic's built-in tests, unmodified, on
PostgreSQL and SQLite (test_reference_app_pytest_alembic.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import Table

from stanchion import Model
from stanchion.migrations import MigrationConfig
from stanchion.migrations.testing import assert_migrations_ok
from tests.conftest import backend_url

blog_migrate = pytest.importorskip("blog.migrate")
blog_models = pytest.importorskip("blog.models")

pytestmark = pytest.mark.commits


def blog_config() -> MigrationConfig:
    """The blog's configuration, blind to the tables other test modules put on the shared
    ``stanchion.Model.metadata`` (in the app's own process there are none)."""
    config: MigrationConfig = blog_migrate.migration_config()
    models = vars(blog_models)
    blog_tables = {v.__table__.name for v in models.values() if hasattr(v, "__table__")}
    blog_tables |= {v.name for v in models.values() if isinstance(v, Table)}
    others = tuple(name for name in Model.metadata.tables if name not in blog_tables)
    return replace(config, exclude_tables=others)


def test_blog_migrations_upgrade_match_the_models_and_round_trip(backend: str) -> None:
    report = assert_migrations_ok(blog_config(), backend_url(backend))
    assert [r.name for r in report.results] == ["single-head", "upgrade", "drift", "round-trip"]
