"""Each lint rule fires on its dangerous form and stays silent on its safe form."""

from __future__ import annotations

from pathlib import Path

import pytest

from stanchion.migrations import MigrationConfig
from stanchion.migrations.lint import lint

BASE = """
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade():
    op.create_table("orgs", sa.Column("id", sa.Integer, primary_key=True))
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(255)),
        sa.Column("org_id", sa.Integer),
        sa.Column("balance", sa.Integer),
        sa.Column("status", sa.Enum("open", "frozen", name="account_status")),
    )
    op.create_index("ix_accounts_balance", "accounts", ["balance"])


def downgrade():
    op.drop_table("accounts")
    op.drop_table("orgs")
    op.drop_enum("account_status")
"""

CHANGE = """
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade():
{body}


def downgrade():
    pass
"""

FK = '"fk_accounts_org_id_orgs", "accounts", "orgs", ["org_id"], ["id"]'
EMAIL = "existing_type=sa.String(255)"
BOTH = ("postgresql", "mysql")

# rule: (dangerous body, safe body, dialects where the rule applies)
CASES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "add-not-null-column": (
        'op.add_column("accounts", sa.Column("plan", sa.String(20), nullable=False))',
        'op.add_column("accounts", sa.Column("plan", sa.String(20), nullable=False, '
        'server_default="free"))',
        BOTH,
    ),
    "set-not-null": (
        f'op.alter_column("accounts", "email", nullable=False, {EMAIL})',
        f'op.set_not_null("accounts", "email", {EMAIL})',
        ("postgresql",),
    ),
    "column-type-change": (
        f'op.alter_column("accounts", "email", type_=sa.Text(), {EMAIL})',
        'op.add_column("accounts", sa.Column("email_text", sa.Text()))',
        BOTH,
    ),
    "blocking-index": (
        'op.create_index("ix_accounts_email", "accounts", ["email"])',
        'op.create_index_concurrently("ix_accounts_email", "accounts", ["email"])',
        BOTH,
    ),
    "blocking-index/drop": (
        'op.drop_index("ix_accounts_balance", "accounts")',
        'op.drop_index_concurrently("ix_accounts_balance", "accounts")',
        BOTH,
    ),
    "constraint-not-valid": (
        f"op.create_foreign_key({FK})",
        f"op.create_foreign_key_not_valid({FK})\n"
        '    op.validate_constraint("fk_accounts_org_id_orgs", "accounts")',
        BOTH,
    ),
    "constraint-not-valid/check": (
        'op.create_check_constraint("ck_accounts_positive", "accounts", "balance >= 0")',
        'op.create_check_constraint("ck_accounts_positive", "accounts", "balance >= 0", '
        "postgresql_not_valid=True)\n"
        '    op.validate_constraint("ck_accounts_positive", "accounts")',
        ("postgresql",),
    ),
    "rename": (
        f'op.alter_column("accounts", "email", new_column_name="mail", {EMAIL})',
        'op.add_column("accounts", sa.Column("mail", sa.String(255)))',
        BOTH,
    ),
    "rename/table": (
        'op.rename_table("accounts", "customers")',
        'op.create_table("customers", sa.Column("id", sa.Integer, primary_key=True))',
        BOTH,
    ),
    "drop": (
        'op.drop_column("accounts", "balance")',
        "# stanchion: allow drop -- nothing reads balance since release 41\n"
        '    op.drop_column("accounts", "balance")',
        BOTH,
    ),
    "enum-in-transaction": (
        "op.execute(\"ALTER TYPE account_status ADD VALUE 'closed'\")",
        'op.add_enum_value("account_status", "closed")',
        ("postgresql",),
    ),
}


def project(tmp_path: Path, body: str, *, lock_timeout_ms: int | None = 5000) -> MigrationConfig:
    versions = tmp_path / "migrations" / "versions"
    versions.mkdir(parents=True)
    env = Path(__file__).parent / "sample" / "migrations"
    (tmp_path / "migrations" / "env.py").write_text((env / "env.py").read_text())
    (tmp_path / "migrations" / "script.py.mako").write_text((env / "script.py.mako").read_text())
    (versions / "0001_base.py").write_text(BASE)
    (versions / "0002_change.py").write_text(CHANGE.format(body="    " + body))
    return MigrationConfig(
        directory=tmp_path / "migrations", root=tmp_path, lock_timeout_ms=lock_timeout_ms
    )


def rules_found(config: MigrationConfig, dialects: tuple[str, ...]) -> set[tuple[str, str]]:
    report = lint(config, since="0001", dialects=dialects)
    assert report.revisions == ["0002"]
    return {(f.rule, f.dialect) for f in report.findings}


@pytest.mark.parametrize("case", sorted(CASES))
def test_rule_fires_on_the_dangerous_form(case: str, tmp_path: Path) -> None:
    rule = case.partition("/")[0]
    dangerous, _, dialects = CASES[case]
    found = rules_found(project(tmp_path, dangerous), dialects)
    assert {(rule, d) for d in dialects} <= found


@pytest.mark.parametrize("case", sorted(CASES))
def test_rule_is_silent_on_the_safe_form(case: str, tmp_path: Path) -> None:
    _, safe, dialects = CASES[case]
    assert rules_found(project(tmp_path, safe), dialects) == set()


def test_missing_lock_timeout_fires_when_the_project_turns_it_off(tmp_path: Path) -> None:
    body = 'op.add_column("accounts", sa.Column("note", sa.Text()))'
    assert rules_found(project(tmp_path / "off", body, lock_timeout_ms=None), BOTH) == {
        ("missing-lock-timeout", "postgresql"),
        ("missing-lock-timeout", "mysql"),
    }
    assert rules_found(project(tmp_path / "on", body), BOTH) == set()


def test_changes_to_a_table_created_in_the_same_revision_are_fine(tmp_path: Path) -> None:
    body = (
        'op.create_table("notes", sa.Column("id", sa.Integer, primary_key=True), '
        'sa.Column("body", sa.Text(), nullable=False))\n'
        '    op.create_index("ix_notes_body", "notes", ["id"])\n'
        '    op.add_column("notes", sa.Column("kind", sa.String(9), nullable=False))'
    )
    assert rules_found(project(tmp_path, body), BOTH) == set()


def test_allow_comment_needs_a_reason_and_a_real_rule(tmp_path: Path) -> None:
    body = (
        "# stanchion: allow drop\n"
        "    # stanchion: allow drop-everything -- why not\n"
        '    op.drop_column("accounts", "balance")'
    )
    report = lint(project(tmp_path, body), since="0001")
    rules = sorted(f.rule for f in report.findings)
    assert rules == ["drop", "drop", "invalid-allow", "invalid-allow"]
    assert not report.allowed


def test_allowed_findings_are_reported_with_their_reason(tmp_path: Path) -> None:
    _, safe, _ = CASES["drop"]
    report = lint(project(tmp_path, safe), since="0001")
    assert report.ok
    assert {f.allowed_because for f in report.allowed} == {"nothing reads balance since release 41"}


def test_since_lints_only_later_revisions_and_findings_explain_themselves(
    tmp_path: Path,
) -> None:
    config = project(tmp_path, CASES["blocking-index"][0])
    everything = lint(config)
    assert everything.revisions == ["0001", "0002"]
    (finding,) = [f for f in everything.findings if f.dialect == "postgresql"]
    assert finding.revision == "0002"
    assert "CREATE INDEX ix_accounts_email" in finding.statement
    assert "blocks every write" in finding.why
    assert "create_index_concurrently" in finding.safe


def test_lint_dialects_come_from_the_configuration(tmp_path: Path) -> None:
    config = project(tmp_path, CASES["enum-in-transaction"][0])
    from dataclasses import replace

    report = lint(replace(config, lint_dialects=("mysql",)), since="0001")
    assert report.dialects == ("mysql",)
    assert report.ok  # MySQL has no enum types: the PostgreSQL-only rule does not apply


def test_revision_that_needs_a_database_is_reported_not_skipped(tmp_path: Path) -> None:
    body = (
        "rows = op.get_bind().execute(sa.text('SELECT id FROM accounts')).all()\n"
        '    op.add_column("accounts", sa.Column("plan", sa.String(20), nullable=False))'
    )
    config = project(tmp_path, body)
    (tmp_path / "migrations" / "versions" / "0003_more.py").write_text(
        CHANGE.replace('"0002"', '"0003"')
        .replace('"0001"', '"0002"')
        .format(body='    op.drop_column("accounts", "balance")')
    )
    report = lint(config, dialects=("postgresql",))
    assert {(f.rule, f.revision) for f in report.findings} == {
        ("not-linted", "0002"),
        ("drop", "0003"),
    }
    revision = tmp_path / "migrations" / "versions" / "0002_change.py"
    revision.write_text(
        "# stanchion: allow not-linted -- backfill read reviewed\n" + revision.read_text()
    )
    assert [f.rule for f in lint(config, since="0001", dialects=("postgresql",)).findings] == [
        "drop"
    ]
