"""`check` passes the sample everywhere and catches drift, forks, leftovers and failures."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy.engine import URL

from stanchion.migrations import MigrationConfig
from stanchion.migrations.check import check
from stanchion.migrations.exit_codes import ExitCode
from tests.conftest import backend_url

pytestmark = pytest.mark.commits


def test_sample_upgrades_checks_and_round_trips(backend: str, sample: MigrationConfig) -> None:
    report = check(sample, backend_url(backend))
    assert [(r.name, r.ok) for r in report.results] == [
        ("single-head", True),
        ("upgrade", True),
        ("drift", True),
        ("round-trip", True),
    ], report.to_dict()
    assert report.exit_code == ExitCode.OK


@pytest.mark.backends("sqlite", "postgresql")
def test_model_column_without_a_revision_is_drift_shown_as_op_code(
    backend: str, sample: MigrationConfig
) -> None:
    drifted = replace(sample, metadata=("tests.migrations.variants:drifted",))
    report = check(drifted, backend_url(backend), round_trip=False)
    assert report.exit_code == ExitCode.DRIFT
    (drift,) = [r for r in report.results if r.name == "drift"]
    assert "op.add_column('posts', sa.Column('summary', sa.String(length=100)" in drift.detail
    assert "AddColumnOp" not in drift.detail  # code to paste, not a repr


def test_forked_history_is_reported_before_touching_a_database(
    sample_copy: MigrationConfig,
) -> None:
    for name in ("0004a", "0004b"):
        (sample_copy.directory / "versions" / f"{name}.py").write_text(
            f'revision = "{name}"\ndown_revision = "0003"\n\n'
            "def upgrade():\n    pass\n\n\ndef downgrade():\n    pass\n"
        )
    report = check(sample_copy, "postgresql://nobody@127.0.0.1:1/unreachable")
    assert report.exit_code == ExitCode.MULTIPLE_HEADS
    assert "0004a" in report.results[0].detail and "0004b" in report.results[0].detail


@pytest.mark.backends("postgresql")
def test_downgrade_that_leaves_an_enum_type_behind_fails_the_round_trip(
    backend: str, sample_copy: MigrationConfig
) -> None:
    revision = sample_copy.directory / "versions" / "0002_create_posts.py"
    revision.write_text(revision.read_text().replace('op.drop_enum("post_status")', "pass"))
    report = check(sample_copy, backend_url(backend))
    assert report.exit_code == ExitCode.ROUND_TRIP_FAILED
    assert "enum type post_status" in report.results[-1].detail


@pytest.mark.backends("sqlite")
def test_a_failing_migration_stops_the_check(
    backend: str, sample_copy: MigrationConfig, scratch_url: URL
) -> None:
    (sample_copy.directory / "versions" / "0004_broken.py").write_text(
        'from alembic import op\n\nrevision = "0004"\ndown_revision = "0003"\n\n'
        'def upgrade():\n    op.drop_column("nowhere", "nothing")\n\n'
        "def downgrade():\n    pass\n"
    )
    report = check(sample_copy, scratch_url, scratch=False)
    assert report.exit_code == ExitCode.UPGRADE_FAILED
    assert [r.name for r in report.results] == ["single-head", "upgrade"]
