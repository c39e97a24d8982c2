"""The ORM session stanchion hands out: lazy loads raise, soft-deleted rows stay hidden.

Both behaviours hang on SQLAlchemy's public ``do_orm_execute`` event, so they apply to every
query a session runs, whether a repository or your own code wrote it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.orm.exc import StaleDataError

from stanchion.errors import LazyLoadError, StaleData
from stanchion.models.mixins import SoftDelete

#: Session.info key: when true, a lazy relationship load raises `LazyLoadError`.
RAISE_ON_LAZY_LOAD = "stanchion.raise_on_lazy_load"
#: Execution option: include soft-deleted rows.
INCLUDE_DELETED = "include_deleted"

#: Execution option: the statement already hides soft-deleted rows, or has none to hide.
HIDDEN = "stanchion.deleted_hidden"

_HIDE_DELETED = with_loader_criteria(
    SoftDelete,
    lambda cls: cls.deleted_at.is_(None),
    include_aliases=True,
)


_LAZY = frozenset({"select", "raise", "raise_on_sql", "noload", "write_only", "dynamic"})
_NOTHING_TO_HIDE: dict[Any, bool] = {}


def nothing_to_hide(mapper: Any) -> bool:
    """True when a query for `mapper` alone (no loader options) can never meet a soft-deleted
    row: neither its class, its subclasses nor any relationship they load eagerly by default
    is soft-deletable. Such queries may skip the criteria (`HIDDEN`)."""
    known = _NOTHING_TO_HIDE.get(mapper)
    if known is None:
        mappers = list(mapper.self_and_descendants)
        known = not any(issubclass(m.class_, SoftDelete) for m in mappers) and all(
            rel.lazy in _LAZY for m in mappers for rel in m.relationships
        )
        _NOTHING_TO_HIDE[mapper] = known
    return known


def hide_deleted(statement: Any) -> Any:
    """`statement` with soft-deleted rows hidden now, so executing it needs no rewrite.

    For statements built once and reused (repositories): adding the criteria on every
    execution would copy the statement and recompute its cache key each time.
    """
    return statement.options(_HIDE_DELETED).execution_options(**{HIDDEN: True})


class StanchionSession(Session):
    """A `Session` whose lazy loads raise (unless allowed) and that hides soft-deleted rows.

    A flush (explicit, automatic or at commit) that finds a row's version moved on raises
    `StaleData` instead of SQLAlchemy's ``StaleDataError``.
    """

    #: Above zero while the session itself loads relationships (flush, delete cascades):
    #: those loads run where I/O is allowed and are not the silent lazy loads we guard against.
    _stanchion_internal_loads = 0

    def flush(self, objects: Sequence[Any] | None = None) -> None:
        # Runs before every query (autoflush): a plain counter, not a context manager.
        self._stanchion_internal_loads += 1
        try:
            super().flush(objects)
        except StaleDataError as error:
            raise StaleData(
                "a row was changed or deleted by another transaction since it was read"
            ) from error
        finally:
            self._stanchion_internal_loads -= 1

    def delete(self, instance: object) -> None:
        with self._internal_loads():
            super().delete(instance)

    @contextmanager
    def _internal_loads(self) -> Iterator[None]:
        self._stanchion_internal_loads += 1
        try:
            yield
        finally:
            self._stanchion_internal_loads -= 1


def lazy_load_message(state: ORMExecuteState) -> str | None:
    """Describe the lazy load `state` is running, with the loader option that avoids it."""
    parent = state.lazy_loaded_from
    if parent is None:
        return None
    path = state.loader_strategy_path
    prop: Any = path[-1] if path is not None and len(path) else None
    key = getattr(prop, "key", "a relationship")
    owner = parent.class_.__name__
    return (
        f"{owner}.{key} is not loaded and lazy loading is disabled: "
        f"load it in the query with selectinload({owner}.{key}) (collections) or "
        f"joinedload({owner}.{key}) (single objects)"
    )


@event.listens_for(StanchionSession, "do_orm_execute")
def _guard(state: ORMExecuteState) -> None:
    if not state.is_select:
        return
    if (
        state.lazy_loaded_from is not None
        and state.session.info.get(RAISE_ON_LAZY_LOAD, False)
        and not getattr(state.session, "_stanchion_internal_loads", 0)
    ):
        raise LazyLoadError(lazy_load_message(state))
    options = state.execution_options
    if options.get(HIDDEN, False) or options.get(INCLUDE_DELETED, False):
        return
    if not state.is_column_load and not state.is_relationship_load:
        state.statement = state.statement.options(_HIDE_DELETED)
