"""``stanchion db lint``: find the statements of each revision that would lock or break production.

Each revision's upgrade is rendered offline for PostgreSQL and MySQL; rules read the SQL (so raw
``op.execute`` is covered too) with its context: transaction, lock timeout, tables just created.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from stanchion.errors import MigrationConfigError
from stanchion.migrations.api import offline_sql, script_directory
from stanchion.migrations.config import MigrationConfig
from stanchion.migrations.lint import columns, constraints, enums, indexes, locking, renames_drops
from stanchion.migrations.lint.allow import allowances
from stanchion.migrations.lint.findings import Finding, Rule
from stanchion.migrations.lint.statements import split_revisions

RULES: tuple[Rule, ...] = (
    *columns.RULES,
    *indexes.RULES,
    *constraints.RULES,
    *renames_drops.RULES,
    *enums.RULES,
    *locking.RULES,
)
RULE_IDS = frozenset(rule.id for rule in RULES)
DIALECTS = ("postgresql", "mysql")


@dataclass
class LintReport:
    """The findings of a lint run: the ones to fix and the ones allowed with a reason."""

    revisions: list[str]
    dialects: tuple[str, ...]
    findings: list[Finding] = field(default_factory=list)
    allowed: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "revisions": self.revisions,
            "dialects": list(self.dialects),
            "findings": [f.to_dict() for f in self.findings],
            "allowed": [f.to_dict() for f in self.allowed],
        }


def lint(
    config: MigrationConfig | None = None,
    *,
    since: str | None = None,
    dialects: Sequence[str] | None = None,
    rules: Sequence[Rule] = RULES,
) -> LintReport:
    """Lint every revision (or only those after `since`) for each of `dialects` (default:
    ``lint_dialects`` of the configuration, PostgreSQL and MySQL unless set)."""
    config = config if config is not None else MigrationConfig.load()
    dialects = tuple(dialects) if dialects else config.lint_dialects
    unknown = set(dialects) - set(DIALECTS)
    if unknown:
        raise MigrationConfigError(f"lint knows {', '.join(DIALECTS)}, not {', '.join(unknown)}")
    scripts = script_directory(config)
    report = LintReport(revisions=[], dialects=tuple(dialects))
    revision_range = f"{since}:heads" if since else "heads"
    for dialect in dialects:
        for part in split_revisions(offline_sql(config, revision_range, dialect=dialect)):
            if part.revision not in report.revisions:
                report.revisions.append(part.revision)
            script = scripts.get_revision(part.revision)
            allowed = allowances(script.path if script is not None else None)
            reasons = {a.rule: a.reason for a in allowed if a.reason and a.rule in RULE_IDS}
            if dialect == dialects[0]:
                report.findings.extend(_bad_allowances(part.revision, allowed))
            for statement in part.statements:
                for rule in rules:
                    finding = rule.finding(statement, part.revision, dialect)
                    if finding is None:
                        continue
                    if rule.id in reasons:
                        report.allowed.append(_allow(finding, reasons[rule.id]))
                    else:
                        report.findings.append(finding)
    return report


def _allow(finding: Finding, reason: str) -> Finding:
    return Finding(**{**finding.to_dict(), "allowed_because": reason})


def _bad_allowances(revision: str, allowed: list[Any]) -> list[Finding]:
    bad = []
    for allowance in allowed:
        if allowance.rule not in RULE_IDS:
            why = f"'{allowance.rule}' is not a lint rule, so this comment silences nothing"
        elif not allowance.reason:
            why = "an allow comment without a reason silences nothing"
        else:
            continue
        bad.append(
            Finding(
                rule="invalid-allow",
                revision=revision,
                dialect="any",
                statement=f"line {allowance.line}: # stanchion: allow {allowance.rule}",
                why=why,
                safe=f"write '# stanchion: allow <rule> -- <reason>'; rules: {sorted(RULE_IDS)}",
            )
        )
    return bad


__all__ = ["DIALECTS", "RULES", "Finding", "LintReport", "Rule", "lint"]
