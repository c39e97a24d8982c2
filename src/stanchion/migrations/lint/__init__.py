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
from stanchion.migrations.lint.statements import RevisionSQL, split_revisions

RULES: tuple[Rule, ...] = (
    *columns.RULES,
    *indexes.RULES,
    *constraints.RULES,
    *renames_drops.RULES,
    *enums.RULES,
    *locking.RULES,
)
RULE_IDS = frozenset(rule.id for rule in RULES)
#: What an allow comment may name: every rule, and revisions lint could not render.
ALLOWABLE = RULE_IDS | {"not-linted"}
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
    for dialect in dialects:
        for revision, rendered in _render(config, scripts, since, dialect):
            if revision not in report.revisions:
                report.revisions.append(revision)
            script = scripts.get_revision(revision)
            allowed = allowances(script.path if script is not None else None)
            reasons = {a.rule: a.reason for a in allowed if a.reason and a.rule in ALLOWABLE}
            if dialect == dialects[0]:
                report.findings.extend(_bad_allowances(revision, allowed))
            if isinstance(rendered, str):
                _judge(report, _not_linted(revision, dialect, rendered), reasons)
                continue
            for statement in rendered.statements:
                for rule in rules:
                    finding = rule.finding(statement, revision, dialect)
                    if finding is not None:
                        _judge(report, finding, reasons)
    return report


def _judge(report: LintReport, finding: Finding, reasons: dict[str, str]) -> None:
    if finding.rule in reasons:
        report.allowed.append(_allow(finding, reasons[finding.rule]))
    else:
        report.findings.append(finding)


def _render(
    config: MigrationConfig, scripts: Any, since: str | None, dialect: str
) -> list[tuple[str, RevisionSQL | str]]:
    """Each revision's offline SQL, or why it could not be rendered. One run for the whole range;
    when a revision cannot run offline (it reads through ``op.get_bind()``), one run each."""
    try:
        sql = offline_sql(config, f"{since}:heads" if since else "heads", dialect=dialect)
        return [(part.revision, part) for part in split_revisions(sql)]
    except Exception:  # user code failed offline: find out which revision, below
        pass
    found: list[tuple[str, RevisionSQL | str]] = []
    walked = list(reversed(list(scripts.walk_revisions("base", "heads"))))
    if since is not None:
        start = next(i for i, s in enumerate(walked) if s.revision == since) + 1
        walked = walked[start:]
    for script in walked:
        down = script.down_revision
        first = down if isinstance(down, str) else (down[0] if down else None)
        span = f"{first}:{script.revision}" if first else script.revision
        try:
            parts = split_revisions(offline_sql(config, span, dialect=dialect))
        except Exception as error:  # any failure of the revision's code offline is the finding
            lines = str(error).splitlines()
            found.append((script.revision, f"{type(error).__name__}: {lines[0] if lines else ''}"))
            continue
        found.extend((part.revision, part) for part in parts if part.revision == script.revision)
    return found


def _not_linted(revision: str, dialect: str, error: str) -> Finding:
    return Finding(
        rule="not-linted",
        revision=revision,
        dialect=dialect,
        statement=error[:300],
        why="the revision cannot be rendered as SQL without a database (it reads through "
        "op.get_bind(), say), so lint cannot see what it runs",
        safe="review it by hand, then add '# stanchion: allow not-linted -- <what you checked>'",
    )


def _allow(finding: Finding, reason: str) -> Finding:
    return Finding(**{**finding.to_dict(), "allowed_because": reason})


def _bad_allowances(revision: str, allowed: list[Any]) -> list[Finding]:
    bad = []
    for allowance in allowed:
        if allowance.rule not in ALLOWABLE:
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
                safe=f"write '# stanchion: allow <rule> -- <reason>'; rules: {sorted(ALLOWABLE)}",
            )
        )
    return bad


__all__ = ["DIALECTS", "RULES", "Finding", "LintReport", "Rule", "lint"]
