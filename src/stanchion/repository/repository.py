"""`Repository[M]`: the queries an application runs against one model, on a sync `Session`.

This is the single implementation; `AsyncRepository` runs these same methods on an
`AsyncSession` through SQLAlchemy's ``run_sync`` bridge. Subclass to add your own queries and to
set which fields callers may filter, sort and update.
"""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from itertools import islice
from typing import Any, ClassVar, Generic, TypeVar, cast, get_args, get_origin

from sqlalchemy import ColumnElement, Integer, Select, and_, bindparam, func, inspect, select
from sqlalchemy.orm import Mapper, Session
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm.interfaces import ORMOption

from stanchion.database._session import HIDDEN, INCLUDE_DELETED, hide_deleted, nothing_to_hide
from stanchion.database.backends import Backend, backend_for
from stanchion.errors import InvalidQuery, NotFound, StaleData
from stanchion.models.mixins import SoftDelete
from stanchion.query.filters import (
    NO_FILTERS,
    CustomFilter,
    FilterPlan,
    build_filters,
    plan_filters,
    python_type,
)
from stanchion.query.ordering import order_by, resolve_sort
from stanchion.query.pagination import KeysetPage, OffsetPage, after, decode_cursor, encode_cursor
from stanchion.repository import _rows
from stanchion.repository._statements import prepared

M = TypeVar("M")

#: Columns the database or stanchion manages; never written from an update mapping.
MANAGED_FIELDS = frozenset({"created_at", "updated_at", "deleted_at", "version"})


class Repository(Generic[M]):
    """Queries and writes for one model: ``UserRepository(session)``, ``Repository(session, User)``.

    Class attributes a subclass may set:
      ``filter_fields`` / ``sort_fields``: names callers may filter or sort on (None: every column);
      ``custom_filters``: named filters built by a function, e.g. ``{"tag": ...}``;
      ``update_fields``: names ``update`` may write (None: every column not managed or a key);
      ``default_sort``, ``max_page_size``, ``default_options`` (loader options for every read).
    """

    model: type[Any]
    filter_fields: ClassVar[Collection[str] | None] = None
    sort_fields: ClassVar[Collection[str] | None] = None
    update_fields: ClassVar[Collection[str] | None] = None
    custom_filters: ClassVar[Mapping[str, CustomFilter]] = {}
    default_sort: ClassVar[str | Sequence[str]] = ()
    max_page_size: ClassVar[int] = 100
    default_options: ClassVar[Sequence[ORMOption]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for base in getattr(cls, "__orig_bases__", ()):
            if get_origin(base) is not None and issubclass(get_origin(base), Repository):
                (argument,) = get_args(base)
                if isinstance(argument, type):
                    cls.model = argument

    def __init__(self, session: Session, model: type[M] | None = None) -> None:
        self.session = session
        if model is not None:
            self.model = model
        elif not hasattr(self, "model"):
            raise TypeError(f"{type(self).__name__} needs a model: Repository[Model] or model=")
        self._mapper: Mapper[Any] = inspect(self.model)
        self._pk = self._mapper.primary_key

    # ----- configuration, resolved once per class and model -----

    @property
    def backend(self) -> Backend:
        """The backend profile of the database this session is bound to."""
        return backend_for(self.session.get_bind().engine.url)

    def _columns(self) -> builtins.list[str]:
        return [attr.key for attr in self._mapper.column_attrs]

    def _filterable(self) -> Collection[str]:
        return self._columns() if self.filter_fields is None else self.filter_fields

    def _sortable(self) -> Collection[str]:
        return self._columns() if self.sort_fields is None else self.sort_fields

    def _updatable(self) -> Collection[str]:
        if self.update_fields is not None:
            return self.update_fields
        keys = {c.key for c in self._pk}
        return [c for c in self._columns() if c not in keys and c not in MANAGED_FIELDS]

    # ----- statements (pure: no I/O) -----

    def select(
        self,
        filters: Mapping[str, Any] | None = None,
        *,
        options: Sequence[ORMOption] = (),
        include_deleted: bool = False,
    ) -> Select[M]:
        """``SELECT model WHERE filters`` with the default and given loader options."""
        stmt = select(self.model)
        if filters:
            condition = build_filters(self.model, filters, self._filterable(), self.custom_filters)
            if condition is not None:
                stmt = stmt.where(condition)
        loads = [*self.default_options, *options]
        if loads:
            stmt = stmt.options(*loads)
        if include_deleted:
            stmt = stmt.execution_options(**{INCLUDE_DELETED: True})
        return stmt

    def _shaped(
        self,
        kind: str,
        filters: Mapping[str, Any] | None,
        *,
        include_deleted: bool = False,
        shape: Hashable = (),
        finish: Callable[[Select[Any]], Select[Any]] = lambda stmt: stmt,
        loads: bool = False,
    ) -> tuple[Select[Any], dict[str, Any]]:
        """The statement for this query's shape, built once and reused, and this call's
        parameter values. `finish` adds what `kind` and `shape` decide (ORDER BY, LIMIT...),
        with bound parameters for anything that varies per call. `loads`: the caller adds
        loader options (which may reach soft-deletable relationships).

        Filters with custom parts (arbitrary SQL) are built fresh on every call instead.
        """
        plan: FilterPlan | None = NO_FILTERS
        if filters:
            plan = plan_filters(self.model, filters, self._filterable(), self.custom_filters)
        if plan is None or "default_options" in vars(self):
            return finish(self.select(filters, include_deleted=include_deleted)), {}

        def build() -> Select[Any]:
            stmt: Select[Any] = select(self.model)
            condition = plan.condition(self.model)
            if condition is not None:
                stmt = stmt.where(condition)
            if self.default_options:
                stmt = stmt.options(*self.default_options)
            if include_deleted:
                stmt = stmt.execution_options(**{INCLUDE_DELETED: True})
            elif eager or not nothing_to_hide(self._mapper):
                stmt = hide_deleted(stmt)
            else:
                stmt = stmt.execution_options(**{HIDDEN: True})
            return finish(stmt)

        eager = loads or bool(self.default_options)
        key = (type(self), self.model, kind, plan.shape, include_deleted, eager, shape)
        return prepared(key, build), dict(plan.params)

    def _identity_condition(self, ident: Any) -> ColumnElement[bool]:
        values = ident if isinstance(ident, tuple) else (ident,)
        if len(values) != len(self._pk):
            raise InvalidQuery(f"{self.model.__name__} has a {len(self._pk)}-column key")
        return and_(*(column == value for column, value in zip(self._pk, values, strict=True)))

    def _check_limit(self, limit: int) -> int:
        if not 1 <= limit <= self.max_page_size:
            raise InvalidQuery(f"limit must be between 1 and {self.max_page_size}", field="limit")
        return limit

    # ----- reads -----

    def get(
        self, ident: Any, *, options: Sequence[ORMOption] = (), include_deleted: bool = False
    ) -> M | None:
        """The row with primary key `ident`, or None (also when it is soft-deleted).

        With loader options the row is read again even when the session holds it, so the
        options always take effect.
        """
        loads = [*self.default_options, *options]
        execution = {INCLUDE_DELETED: True} if include_deleted else {}
        if not loads and not include_deleted and nothing_to_hide(self._mapper):
            execution = {HIDDEN: True}  # spares the session rewriting the statement
        row: M | None = self.session.get(
            self.model,
            ident,
            options=loads,
            populate_existing=bool(loads),
            execution_options=execution,
        )
        if not include_deleted and isinstance(row, SoftDelete) and row.deleted_at is not None:
            return None  # soft-deleted in this session: the identity map still holds it
        return row

    def get_one(
        self, ident: Any, *, options: Sequence[ORMOption] = (), include_deleted: bool = False
    ) -> M:
        """The row with primary key `ident`; `NotFound` when there is none."""
        row = self.get(ident, options=options, include_deleted=include_deleted)
        if row is None:
            raise NotFound(self.model.__name__, ident)
        return row

    def exists(self, filters: Mapping[str, Any] | None = None, /, **equals: Any) -> bool:
        """Whether any row matches."""
        first_key = self._pk[0]
        stmt, params = self._shaped(
            "exists",
            {**(filters or {}), **equals},
            finish=lambda s: s.with_only_columns(first_key).limit(1),
        )
        return self.session.execute(stmt, params).first() is not None

    def count(self, filters: Mapping[str, Any] | None = None, /, **equals: Any) -> int:
        """How many rows match."""
        stmt, params = self._shaped("count", {**(filters or {}), **equals}, finish=_counted)
        return int(self.session.execute(stmt, params).scalar_one())

    def list(
        self,
        filters: Mapping[str, Any] | None = None,
        *,
        sort: str | Sequence[str] | None = None,
        limit: int | None = None,
        offset: int = 0,
        options: Sequence[ORMOption] = (),
        include_deleted: bool = False,
    ) -> builtins.list[M]:
        """Matching rows in a stable order; at most `limit` (default: all)."""
        keys = resolve_sort(self.model, sort, self._sortable(), self.default_sort)
        bounds: dict[str, int] = {}
        if limit is not None:
            bounds[_LIMIT] = self._check_limit(limit)
        if offset:
            bounds[_OFFSET] = _non_negative(offset)
        model = self.model

        def finish(stmt: Select[Any]) -> Select[Any]:
            stmt = stmt.order_by(*order_by(model, keys))
            if _LIMIT in bounds:
                stmt = stmt.limit(bindparam(_LIMIT, type_=Integer()))
            if _OFFSET in bounds:
                stmt = stmt.offset(bindparam(_OFFSET, type_=Integer()))
            return stmt

        stmt, params = self._shaped(
            "list",
            filters,
            include_deleted=include_deleted,
            shape=(tuple(keys), tuple(bounds)),
            finish=finish,
            loads=bool(options),
        )
        if options:
            stmt = stmt.options(*options)
        return list(self.session.execute(stmt, {**params, **bounds}).unique().scalars())

    def page(
        self,
        filters: Mapping[str, Any] | None = None,
        *,
        sort: str | Sequence[str] | None = None,
        limit: int = 20,
        offset: int = 0,
        options: Sequence[ORMOption] = (),
        include_deleted: bool = False,
    ) -> OffsetPage[M]:
        """An offset page with the total count (two queries: the page and a COUNT)."""
        items = self.list(
            filters,
            sort=sort,
            limit=limit,
            offset=offset,
            options=options,
            include_deleted=include_deleted,
        )
        if offset == 0 and len(items) < limit:
            total = len(items)  # the whole result fits: no COUNT needed
        else:
            counted, params = self._shaped(
                "count", filters, include_deleted=include_deleted, finish=_counted
            )
            total = int(self.session.execute(counted, params).scalar_one())
        return OffsetPage(items, total, limit, offset)

    def keyset_page(
        self,
        filters: Mapping[str, Any] | None = None,
        *,
        sort: str | Sequence[str] | None = None,
        limit: int = 20,
        cursor: str | None = None,
        options: Sequence[ORMOption] = (),
        include_deleted: bool = False,
    ) -> KeysetPage[M]:
        """A page that continues after `cursor`; its cost does not grow with depth."""
        keys = resolve_sort(self.model, sort, self._sortable(), self.default_sort)
        columns = [getattr(self.model, k.field) for k in keys]
        for key, column in zip(keys, columns, strict=True):
            if any(c.nullable for c in column.property.columns):
                raise InvalidQuery(
                    f"cannot keyset-page by {key.field!r}: it may be null", field=key.field
                )
        bounds: dict[str, Any] = {_LIMIT: self._check_limit(limit) + 1}
        if cursor:
            values = decode_cursor(cursor, keys)
            for i, (c, v) in enumerate(zip(columns, values, strict=True)):
                bounds[f"stanchion_k{i}"] = _as_column_value(c, v)
        model = self.model

        def finish(stmt: Select[Any]) -> Select[Any]:
            if cursor:
                bound = [bindparam(f"stanchion_k{i}", type_=c.type) for i, c in enumerate(columns)]
                stmt = stmt.where(after(columns, keys, bound))
            return stmt.order_by(*order_by(model, keys)).limit(bindparam(_LIMIT, type_=Integer()))

        stmt, params = self._shaped(
            "keyset",
            filters,
            include_deleted=include_deleted,
            shape=(tuple(keys), bool(cursor)),
            finish=finish,
            loads=bool(options),
        )
        if options:
            stmt = stmt.options(*options)
        rows = list(self.session.execute(stmt, {**params, **bounds}).unique().scalars())
        next_cursor = None
        if len(rows) > limit:
            rows = rows[:limit]
            last = rows[-1]
            next_cursor = encode_cursor(keys, [getattr(last, k.field) for k in keys])
        return KeysetPage(rows, limit, next_cursor, [str(k) for k in keys])

    # ----- writes -----

    def add(self, instance: M) -> M:
        """Insert `instance` now (flushed, so keys and server defaults are set)."""
        self.session.add(instance)
        self._flush()
        return instance

    def add_many(self, instances: Iterable[M]) -> builtins.list[M]:
        """Insert several instances in one flush (batched INSERTs where the driver can)."""
        items = list(instances)
        self.session.add_all(items)
        self._flush()
        return items

    def update(
        self,
        target: M | Any,
        values: Mapping[str, Any],
        *,
        expected_version: int | None = None,
    ) -> M:
        """Set `values` on the row (an instance or a primary key) and flush.

        Only ``update_fields`` may be written. With `expected_version`, a row whose version
        moved on raises `StaleData`; the UPDATE itself also checks the version it read.
        """
        allowed = self._updatable()
        refused = sorted(set(values) - set(allowed))
        if refused:
            raise InvalidQuery(f"cannot update {', '.join(refused)}", field=refused[0])
        instance = target if isinstance(target, self.model) else self.get_one(target)
        if expected_version is not None:
            version_column = self._mapper.version_id_col
            if version_column is None:
                raise InvalidQuery(f"{self.model.__name__} has no version column")
            current = getattr(instance, self._mapper.get_property_by_column(version_column).key)
            if current != expected_version:
                raise StaleData(
                    f"{self.model.__name__} is at version {current}, not {expected_version}"
                )
        for key, value in values.items():
            setattr(instance, key, value)
        self._flush()
        return cast(M, instance)

    def delete(self, target: M | Any, *, hard: bool = False) -> None:
        """Delete the row (an instance or a primary key). Soft-deletable models are only marked,
        unless `hard` is true (which also purges a row already soft-deleted)."""
        if isinstance(target, self.model):
            instance = target
        else:
            instance = self.get_one(target, include_deleted=hard)
        if isinstance(instance, SoftDelete) and not hard:
            instance.deleted_at = dt.datetime.now(dt.UTC)
        else:
            self.session.delete(instance)
        self._flush()

    def restore(self, ident: Any) -> M:
        """Undo a soft delete."""
        instance = self.get_one(ident, include_deleted=True)
        if not isinstance(instance, SoftDelete):
            raise InvalidQuery(f"{self.model.__name__} is not soft-deletable")
        instance.deleted_at = None
        self._flush()
        return instance

    def upsert(
        self,
        rows: Sequence[Mapping[str, Any]],
        *,
        conflict: Sequence[str],
        update: Sequence[str] | None = None,
    ) -> int:
        """Insert `rows`, updating `update` columns of rows whose `conflict` key exists.

        One native statement per chunk (ON CONFLICT / ON DUPLICATE KEY), never read-then-write.
        ``update=()`` means "insert or do nothing". Returns the number of rows sent. Objects
        already in the session are not refreshed.
        """
        if not rows:
            return 0
        table = self._mapper.local_table
        if update is None:
            update = [k for k in rows[0] if k not in conflict and k not in MANAGED_FIELDS]
        refused = sorted(set(update) - set(self._updatable()))
        if refused:
            raise InvalidQuery(f"cannot update {', '.join(refused)}", field=refused[0])
        prepared = _rows.row_dicts(self._mapper, rows)
        conflict_columns = _rows.column_names(self._mapper, conflict)
        update_columns = _rows.column_names(self._mapper, update)
        bumps = _rows.update_bumps(self._mapper, update_columns) if update_columns else {}
        backend = self.backend
        if backend.upsert_executemany:
            template = backend.upsert(
                table,  # type: ignore[arg-type]
                None,  # type: ignore[arg-type]
                conflict_columns,
                update_columns,
                also_set=bumps,
            )
            self.session.execute(template, prepared)
            return len(prepared)
        # each bump may bind one parameter
        per_chunk = backend.upsert_rows_per_statement(table, list(prepared[0]), len(bumps))  # type: ignore[arg-type]
        for start in range(0, len(prepared), per_chunk):
            chunk = prepared[start : start + per_chunk]
            stmt = backend.upsert(
                table,  # type: ignore[arg-type]
                chunk,
                conflict_columns,
                update_columns,
                also_set=bumps,
            )
            self.session.execute(stmt)
        return len(prepared)

    def bulk_insert(self, rows: Iterable[Mapping[str, Any]], *, chunk_size: int = 50_000) -> int:
        """Insert many rows at near driver speed (COPY on PostgreSQL), bypassing the ORM.

        Rows are plain mappings with the same keys; Python-side defaults (UUIDv7 keys,
        versions) are filled in. Returns the number of rows inserted.
        """
        table = self._mapper.local_table
        backend = self.backend
        connection = self.session.connection()
        total = 0
        remaining = iter(rows)
        while chunk := builtins.list(islice(remaining, chunk_size)):
            columns, values = _rows.row_values(self._mapper, chunk)
            total += backend.bulk_insert(connection, table, columns, values)  # type: ignore[arg-type]
        return total

    # ----- row locks -----

    def lock(self, ident: Any, *, nowait: bool = False) -> M:
        """Read the row and lock it until the transaction ends (``FOR UPDATE``).

        On SQLite the whole database is already locked for writing: stanchion begins write
        transactions with BEGIN IMMEDIATE.
        """
        stmt = (
            self.select()
            .where(self._identity_condition(ident))
            .with_for_update(nowait=nowait, of=self.model)
            .execution_options(populate_existing=True)
        )
        row: M | None = self.session.execute(stmt).scalars().first()
        if row is None:
            raise NotFound(self.model.__name__, ident)
        return row

    def lock_many(
        self,
        filters: Mapping[str, Any] | None = None,
        *,
        limit: int,
        sort: str | Sequence[str] | None = None,
        skip_locked: bool = False,
    ) -> builtins.list[M]:
        """Lock up to `limit` matching rows; with `skip_locked`, rows others hold are passed over
        (a job queue's "claim the next N")."""
        keys = resolve_sort(self.model, sort, self._sortable(), self.default_sort)
        stmt = (
            self.select(filters)
            .order_by(*order_by(self.model, keys))
            .limit(self._check_limit(limit))
            .with_for_update(
                skip_locked=skip_locked and self.backend.supports_skip_locked, of=self.model
            )
            .execution_options(populate_existing=True)
        )
        return list(self.session.execute(stmt).scalars())

    # ----- helpers -----

    def _flush(self) -> None:
        try:
            self.session.flush()  # a stanchion session raises StaleData itself
        except StaleDataError as error:  # a plain Session does not
            raise StaleData(f"{self.model.__name__} was changed by someone else") from error


_LIMIT = "stanchion_limit"
_OFFSET = "stanchion_offset"


def _counted(stmt: Select[Any]) -> Select[Any]:
    return stmt.with_only_columns(func.count(), maintain_column_froms=True).order_by(None)


def _non_negative(offset: int) -> int:
    if offset < 0:
        raise InvalidQuery("offset must not be negative", field="offset")
    return offset


def _as_column_value(column: Any, value: Any) -> Any:
    """A cursor value checked against its column's type: a tampered cursor is `InvalidQuery`."""
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    target = python_type(column)
    if target is object:
        return value
    accepted: tuple[type, ...] = (int, float) if target is float else (target,)
    if isinstance(value, bool) != issubclass(target, bool) or not isinstance(value, accepted):
        raise InvalidQuery("malformed page cursor", field="cursor")
    if type(value) is int and not -(2**63) <= value < 2**63:  # beyond any integer column
        raise InvalidQuery("malformed page cursor", field="cursor")
    return value
