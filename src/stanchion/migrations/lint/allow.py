"""``# stanchion: allow <rule> -- <reason>`` comments: a reviewed exception, reason required."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_ALLOW = re.compile(r"#\s*stanchion:\s*allow\s+([\w-]+)\s*(?:--\s*(.*?))?\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Allowance:
    """One allow comment: the rule it silences in its revision, and why (empty = invalid)."""

    rule: str
    reason: str
    line: int


def allowances(path: str | Path | None) -> list[Allowance]:
    """The allow comments in a revision file, in order."""
    if path is None:
        return []
    text = Path(path).read_text(encoding="utf-8")
    found = []
    for match in _ALLOW.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        found.append(Allowance(match.group(1), (match.group(2) or "").strip(), line))
    return found
