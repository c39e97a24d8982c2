"""Soft delete as a seam: the execution options and criteria that hide soft-deleted rows.

`StanchionSession` applies `HIDE_DELETED` to every ORM SELECT unless a statement carries
`INCLUDE_DELETED` (show them) or `HIDDEN` (already hidden); repositories use the same names.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import with_loader_criteria

from stanchion.models.mixins import SoftDelete

#: Execution option: include soft-deleted rows (see `including_deleted`).
INCLUDE_DELETED = "stanchion.include_deleted"

#: Execution option: the statement already hides soft-deleted rows, or has none to hide.
HIDDEN = "stanchion.deleted_hidden"

HIDE_DELETED = with_loader_criteria(
    SoftDelete,
    lambda cls: cls.deleted_at.is_(None),
    include_aliases=True,
)


_LAZY_STRATEGIES = frozenset({"select", "raise", "raise_on_sql", "noload", "write_only", "dynamic"})
_NOTHING_TO_HIDE: dict[Any, bool] = {}


def nothing_to_hide(mapper: Any) -> bool:
    """True when a query for `mapper` alone (no loader options) can never meet a soft-deleted
    row: neither its class, its subclasses nor any relationship they load eagerly by default
    is soft-deletable. Such queries may skip the criteria (`HIDDEN`)."""
    known = _NOTHING_TO_HIDE.get(mapper)
    if known is None:
        mappers = list(mapper.self_and_descendants)
        known = not any(issubclass(m.class_, SoftDelete) for m in mappers) and all(
            rel.lazy in _LAZY_STRATEGIES for m in mappers for rel in m.relationships
        )
        _NOTHING_TO_HIDE[mapper] = known
    return known


def hide_deleted(statement: Any) -> Any:
    """`statement` with soft-deleted rows hidden now, so executing it needs no rewrite.

    For statements built once and reused (repositories): adding the criteria on every
    execution would copy the statement and recompute its cache key each time.
    """
    return statement.options(HIDE_DELETED).execution_options(**{HIDDEN: True})


def including_deleted(statement: Any) -> Any:
    """`statement` with soft-deleted rows included (admin views, restore)."""
    return statement.execution_options(**{INCLUDE_DELETED: True})
