"""Allow-listed ordering with a unique tiebreaker, so every page boundary is stable."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, inspect

from stanchion.errors import InvalidQuery
from stanchion.query.values import quoted_name, shown_name


@dataclass(frozen=True, slots=True)
class SortKey:
    """One ORDER BY term: a field name and its direction."""

    field: str
    descending: bool = False

    def __str__(self) -> str:
        return f"-{self.field}" if self.descending else self.field


def parse_sort(sort: str | Sequence[str] | None) -> list[SortKey]:
    """``"-created_at,title"`` (or a list of such terms) to sort keys."""
    if sort is None:
        return []
    terms = sort.split(",") if isinstance(sort, str) else list(sort)
    keys: list[SortKey] = []
    for raw in terms:
        term = raw.strip()
        if not term:
            continue
        descending = term.startswith("-")
        keys.append(SortKey(term.lstrip("+-"), descending))
    return keys


def resolve_sort(
    model: type[Any],
    sort: str | Sequence[str] | None,
    allowed: Collection[str],
    default: str | Sequence[str],
) -> list[SortKey]:
    """Validated sort keys, ending with the primary key so the order is total."""
    keys = parse_sort(sort) or parse_sort(default)
    seen: set[str] = set()
    pk = [c.key for c in inspect(model).primary_key]
    for key in keys:
        if key.field not in allowed and key.field not in pk:
            shown = shown_name(key.field)
            raise InvalidQuery(f"cannot sort by {quoted_name(key.field)}", field=shown or "sort")
        if key.field in seen:
            raise InvalidQuery(f"{key.field!r} appears twice in the sort", field=key.field)
        seen.add(key.field)
    direction = keys[-1].descending if keys else False
    keys += [SortKey(name, direction) for name in pk if name not in seen]
    return keys


def order_by(model: type[Any], keys: Sequence[SortKey]) -> list[ColumnElement[Any]]:
    """ORDER BY clauses for `keys`."""
    columns = [getattr(model, key.field) for key in keys]
    return [c.desc() if key.descending else c.asc() for c, key in zip(columns, keys, strict=True)]
