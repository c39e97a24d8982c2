"""The ORM session stanchion hands out: lazy loads raise, soft-deleted rows stay hidden.

Both behaviours hang on SQLAlchemy's public ``do_orm_execute`` event, so they apply to every
query a session runs, whether a repository or your own code wrote it.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.orm.exc import StaleDataError

from stanchion.errors import LazyLoadError, StaleData
from stanchion.models.soft_delete import HIDDEN, HIDE_DELETED, INCLUDE_DELETED
from stanchion.query.values import check_written_text, text_columns

#: Session.info key: when true, a lazy relationship load raises `LazyLoadError`.
RAISE_ON_LAZY_LOAD = "stanchion.raise_on_lazy_load"
#: Session.info key: the `CursorSigner` that signs and checks keyset cursors (absent: unsigned).
CURSOR_SIGNER = "stanchion.cursor_signer"


def stale_data(error: StaleDataError) -> StaleData:
    """The typed error for an optimistic-lock conflict SQLAlchemy found at flush: the one
    place `StaleDataError` becomes `StaleData` (the session's flush, and plain sessions')."""
    del error  # its message names SQL details we do not repeat
    return StaleData("a row was changed or deleted by another transaction since it was read")


class StanchionSession(Session):
    """A `Session` whose lazy loads raise (unless allowed) and that hides soft-deleted rows.

    A flush (explicit, automatic or at commit) that finds a row's version moved on raises
    `StaleData` instead of SQLAlchemy's ``StaleDataError``; one that would write text no
    backend stores alike (a NUL, a lone surrogate) raises `InvalidQuery` before any SQL.
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
            raise stale_data(error) from error
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


#: Statements as the guard rewrote them (soft-deleted rows hidden), by the statement executed:
#: a statement run again (memoized, as repositories and careful code keep them) is rewritten
#: once, not copied and given a new cache key on every execution.
_HIDING: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


@event.listens_for(StanchionSession, "do_orm_execute")
def _guard(state: ORMExecuteState) -> None:
    statement = state.statement
    if not statement.is_select:
        return  # ORM DML has no load options (asking for them raises)
    if state.lazy_loaded_from is not None:
        session = state.session
        if session.info.get(RAISE_ON_LAZY_LOAD, False) and not getattr(
            session, "_stanchion_internal_loads", 0
        ):
            raise LazyLoadError(lazy_load_message(state))
    options = state.execution_options
    if options.get(HIDDEN, False) or options.get(INCLUDE_DELETED, False):
        return
    hiding = _HIDING.get(statement)
    if hiding is None:
        # Refreshes and relationship loads carry their parent query's criteria already; both
        # are read from the statement itself, so the decision holds for every execution.
        if state.is_column_load or state.is_relationship_load:
            hiding = statement
        else:
            hiding = statement.options(HIDE_DELETED)
        _HIDING[statement] = hiding
    if hiding is not statement:
        state.statement = hiding


@event.listens_for(StanchionSession, "before_flush")
def _check_written_text(session: Session, _flush: UOWTransaction, _objects: Any) -> None:
    """New rows' text values, and the text values changed on dirty rows, must be text every
    backend stores alike: the same `InvalidQuery` on SQLite, PostgreSQL and MariaDB."""
    for instance in session.new:
        state = instance_state(instance)
        values = state.dict
        for key in text_columns(state.mapper):
            check_written_text(state.class_.__name__, key, values.get(key))
    for instance in session.dirty:
        state = instance_state(instance)
        changed = state.committed_state  # the attributes set since the row was loaded
        if changed:
            values = state.dict
            for key in text_columns(state.mapper):
                if key in changed:
                    check_written_text(state.class_.__name__, key, values.get(key))
