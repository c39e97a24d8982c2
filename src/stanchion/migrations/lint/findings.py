"""What a lint rule is and what it reports: the statement, why it hurts, and the safe form."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from stanchion.migrations.lint.statements import Statement


@dataclass(frozen=True)
class Finding:
    """One dangerous statement in one revision, for one database."""

    rule: str
    revision: str
    dialect: str
    statement: str
    why: str
    safe: str
    allowed_because: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


#: A check answers whether a statement is the dangerous form its rule looks for.
Check = Callable[[Statement], bool]


@dataclass(frozen=True)
class Rule:
    """A danger to look for: one check, and per dialect the reason and the safe form."""

    id: str
    title: str
    checks: dict[str, Check]
    why: dict[str, str]
    safe: dict[str, str]
    dialects: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "dialects", tuple(self.checks))

    def finding(self, statement: Statement, revision: str, dialect: str) -> Finding | None:
        check = self.checks.get(dialect)
        if check is None or not check(statement):
            return None
        return Finding(
            rule=self.id,
            revision=revision,
            dialect=dialect,
            statement=statement.sql if len(statement.sql) < 300 else statement.sql[:297] + "...",
            why=self.why[dialect],
            safe=self.safe[dialect],
        )
