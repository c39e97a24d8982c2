"""Conduit's migrations: one head, upgrade from empty, no drift from the models, and a clean
round trip on all three databases (what ``stanchion db check`` runs), and no lint findings."""

from __future__ import annotations

import pytest
from conduit import migrate

from stanchion.migrations.testing import assert_migrations_ok
from tests.conftest import backend_url

pytestmark = pytest.mark.commits


def test_conduit_migrations_upgrade_match_the_models_and_round_trip(backend: str) -> None:
    report = assert_migrations_ok(migrate.migration_config(), backend_url(backend))
    assert [r.name for r in report.results] == ["single-head", "upgrade", "drift", "round-trip"]
