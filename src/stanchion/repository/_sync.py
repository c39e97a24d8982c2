"""`Repository[M]`: the queries an application runs against one model, on a sync `Session`.

This is the single implementation; `AsyncRepository` runs these same methods on an
`AsyncSession` through SQLAlchemy's ``run_sync`` bridge. Subclass to add your own queries and to
set which fields callers may filter, sort and update.
"""

from __future__ import annotations

import builtins
import datetime as dt
import inspect as inspect_module
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import islice
from typing import Any, ClassVar, Generic, TypeVar, cast, get_args, get_origin, overload

from sqlalchemy import (
    BigInteger,
    ClauseElement,
    Result,
    Row,
    Select,
    Table,
    and_,
    bindparam,
    func,
    inspect,
    null,
    select,
    tuple_,
)
from sqlalchemy.orm import Mapper, Session
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm.interfaces import ORMOption

from stanchion.engine.backends import Backend, backend_for
from stanchion.engine.backends.writes import executemany
from stanchion.engine.session import CURSOR_SIGNER, stale_data
from stanchion.errors import InvalidQuery, NotFound, StaleData
from stanchion.models.mixins import SoftDelete
from stanchion.models.soft_delete import HIDDEN, INCLUDE_DELETED, hide_deleted, nothing_to_hide
from stanchion.query.filters import (
    NO_FILTERS,
    CustomFilter,
    FilterField,
    FilterFieldsSpec,
    FilterPlan,
    filter_allow_list,
    plan_filters,
)
from stanchion.query.ordering import SortKey, order_by, resolve_sort
from stanchion.query.pagination import (
    CursorSigner,
    KeysetPage,
    OffsetPage,
    after,
    decode_cursor,
    encode_cursor,
)
from stanchion.query.values import ValueType, check_key, check_window
from stanchion.repository import _lean, _rows
from stanchion.repository._statements import prepared
from stanchion.repository.operation import named_operation

M = TypeVar("M")
T = TypeVar("T")

#: Columns the database or stanchion manages; never written from an update mapping.
MANAGED_FIELDS = frozenset({"created_at", "updated_at", "deleted_at", "version"})


class Repository(Generic[M]):
    """Queries and writes for one model: ``UserRepository(session)``, ``Repository(session, User)``.

    Class attributes a subclass may set:
      ``filter_fields``: names callers may filter on (None: every column), each with every
      operator that fits its type, or a mapping choosing each field's operators;
      ``sort_fields``: names callers may sort on (None: every column);
      ``custom_filters``: named filters built by a function, e.g. ``{"tag": ...}``;
      ``update_fields``: names ``update`` may write (None: every column not managed or a key);
      ``default_sort``, ``max_page_size``, ``default_options`` (loader options for every read).
    """

    model: type[Any]
    filter_fields: ClassVar[FilterFieldsSpec] = None
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
        facts = _facts(self.model)
        self._mapper: Mapper[Any] = facts.mapper
        self._pk = facts.pk
        self._relationship_keys = facts.relationship_keys
        self._facts = facts

    # ----- allow-lists, described and checked without a session -----

    @classmethod
    def filterable_fields(cls) -> Mapping[str, FilterField]:
        """The fields callers may filter on, each with its value type and the operators it
        exposes (from ``filter_fields``); custom filters are the ``custom_filters`` keys.

        Integrations (``stanchion.fastapi.list_query``) read this instead of the class
        attributes, so they expose exactly what the repository accepts.
        """
        return _filter_fields(cls, _model_of(cls))

    @classmethod
    def sortable_fields(cls) -> tuple[str, ...]:
        """The fields callers may sort by: ``sort_fields`` and the primary key (which ends every
        order, so it is always allowed)."""
        return _sort_fields(cls, _model_of(cls))

    @classmethod
    def check_filters(cls, filters: Mapping[str, Any]) -> dict[str, Any]:
        """`filters` checked as every read checks them, values converted to the columns'
        types; `InvalidQuery` naming the field otherwise. No I/O: use it to refuse a request
        before a transaction starts."""
        plan = plan_filters(filters, cls.filterable_fields(), cls.custom_filters)
        return dict(plan.filters)

    @classmethod
    def check_sort(cls, sort: str | Sequence[str] | None) -> builtins.list[SortKey]:
        """The sort keys `sort` resolves to (the default when None, the primary key appended);
        `InvalidQuery` naming the field for one that is not allowed."""
        model = _model_of(cls)
        return resolve_sort(model, sort, cls.sortable_fields(), cls.default_sort)

    # ----- configuration, resolved once per class and model -----

    @property
    def backend(self) -> Backend:
        """The backend profile of the database this session is bound to."""
        return backend_for(self.session.get_bind().engine.url)

    def _columns(self) -> builtins.list[str]:
        return [attr.key for attr in self._mapper.column_attrs]

    def _sortable(self) -> Collection[str]:
        return _sort_fields(type(self), self.model)

    def _plan(self, filters: Mapping[str, Any] | None) -> FilterPlan:
        if not filters:
            return NO_FILTERS
        return plan_filters(filters, _filter_fields(type(self), self.model), self.custom_filters)

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
        return self._select(self._plan(filters), options, include_deleted)

    def _select(
        self, plan: FilterPlan, options: Sequence[ORMOption], include_deleted: bool
    ) -> Select[M]:
        stmt = select(self.model)
        condition = plan.condition(self.model, bind_values=True)
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
        plan = self._plan(filters)
        shape_of_filters = plan.shape
        if shape_of_filters is None or "default_options" in vars(self):
            return finish(self._select(plan, (), include_deleted)), {}

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
        key = (type(self), self.model, kind, shape_of_filters, include_deleted, eager, shape)
        return prepared(key, build), dict(plan.params)

    def _key(self, ident: Any) -> tuple[Any, ...] | None:
        """`ident` checked like any filter value; None when no row can have it."""
        found = _KEY_TYPES.get(self.model)
        if found is None:
            types = tuple(ValueType.of(column.type) for column in self._pk)
            names = tuple(self._mapper.get_property_by_column(c).key for c in self._pk)
            found = _KEY_TYPES.setdefault(self.model, (types, names))
        return check_key(found[0], found[1], ident, self.model.__name__)

    def _check_limit(self, limit: int) -> int:
        check_window(limit, 0, max_limit=self.max_page_size)
        return limit

    # ----- reads -----

    def get(
        self, ident: Any, *, options: Sequence[ORMOption] = (), include_deleted: bool = False
    ) -> M | None:
        """The row with primary key `ident`, or None (also when it is soft-deleted).

        With loader options the row is read again even when the session holds it, so the
        options always take effect.
        """
        key = self._key(ident)
        if key is None:
            return None  # beyond what the key's columns hold: no such row, on any backend
        facts = self._facts
        if not options and not include_deleted and not self.default_options:
            # The common case, with every decision made once per model (`_ModelFacts`).
            row: M | None = self.session.get(
                self.model, key, execution_options=facts.plain_get_options
            )
        else:
            loads = [*self.default_options, *options]
            row = self.session.get(
                self.model,
                key,
                options=loads,
                populate_existing=bool(loads),
                execution_options={INCLUDE_DELETED: True} if include_deleted else {},
            )
        if (
            facts.soft_deletable
            and not include_deleted
            and isinstance(row, SoftDelete)
            and row.deleted_at is not None
        ):
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
        check_window(limit, offset, max_limit=self.max_page_size)
        bounds: dict[str, int] = {}
        if limit is not None:
            bounds[_LIMIT] = limit
        if offset:
            bounds[_OFFSET] = offset
        model = self.model

        def finish(stmt: Select[Any]) -> Select[Any]:
            stmt = stmt.order_by(*order_by(model, keys))
            if _LIMIT in bounds:
                stmt = stmt.limit(bindparam(_LIMIT, type_=BigInteger()))
            if _OFFSET in bounds:
                stmt = stmt.offset(bindparam(_OFFSET, type_=BigInteger()))
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
        signer: CursorSigner | None = self.session.info.get(CURSOR_SIGNER)
        if cursor:
            types = [ValueType.of(c.type) for c in columns]
            values = decode_cursor(cursor, keys, types, signer=signer)
            for i, value in enumerate(values):
                bounds[f"stanchion_k{i}"] = value
        model = self.model

        def finish(stmt: Select[Any]) -> Select[Any]:
            if cursor:
                bound = [bindparam(f"stanchion_k{i}", type_=c.type) for i, c in enumerate(columns)]
                stmt = stmt.where(after(columns, keys, bound))
            limited = stmt.order_by(*order_by(model, keys))
            return limited.limit(bindparam(_LIMIT, type_=BigInteger()))

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
            values = [getattr(last, k.field) for k in keys]
            next_cursor = encode_cursor(keys, values, signer=signer)
        return KeysetPage(rows, limit, next_cursor, [str(k) for k in keys])

    # ----- lean reads: rows to serialize, not entities -----

    @overload
    def row(
        self, ident: Any, *, into: None = None, include_deleted: bool = False
    ) -> Row[Any] | None: ...
    @overload
    def row(self, ident: Any, *, into: type[T], include_deleted: bool = False) -> T | None: ...
    def row(
        self, ident: Any, *, into: type[T] | None = None, include_deleted: bool = False
    ) -> Row[Any] | T | None:
        """The row with primary key `ident` as a `Row` (or an `into` dataclass / pydantic
        model), or None; no entity and no identity map: for data read only to be returned.

        A soft-deleted row is None unless `include_deleted`. See docs/repositories.md for when
        to read entities instead."""
        shape = _lean.lean_shape(self._mapper, into)
        pk = self._pk
        key = self._key(ident)  # checked as `get` checks it
        if key is None:
            return None  # beyond what the key's columns hold: no such row
        values = key
        model = self.model

        def build() -> Select[Any]:
            condition = and_(
                *(c == bindparam(f"stanchion_pk{i}", type_=c.type) for i, c in enumerate(pk))
            )
            return _lean.lean_select(model, shape, condition, include_deleted=include_deleted)

        stmt = prepared(("lean", model, "row", shape.names, include_deleted), build)
        params = {f"stanchion_pk{i}": value for i, value in enumerate(values)}
        found = self._lean_execute(stmt, params).first()
        if found is None or shape.convert is None:
            return found
        return cast(T, shape.convert(found))

    @overload
    def row_one(
        self, ident: Any, *, into: None = None, include_deleted: bool = False
    ) -> Row[Any]: ...
    @overload
    def row_one(self, ident: Any, *, into: type[T], include_deleted: bool = False) -> T: ...
    def row_one(
        self, ident: Any, *, into: type[T] | None = None, include_deleted: bool = False
    ) -> Row[Any] | T:
        """`row`, raising `NotFound` when there is none."""
        found = self.row(ident, into=into, include_deleted=include_deleted)
        if found is None:
            raise NotFound(self.model.__name__, ident)
        return found

    @overload
    def rows(
        self,
        filters: Mapping[str, Any] | None = None,
        *,
        sort: str | Sequence[str] | None = None,
        limit: int | None = None,
        offset: int = 0,
        into: None = None,
        include_deleted: bool = False,
    ) -> builtins.list[Row[Any]]: ...
    @overload
    def rows(
        self,
        filters: Mapping[str, Any] | None = None,
        *,
        sort: str | Sequence[str] | None = None,
        limit: int | None = None,
        offset: int = 0,
        into: type[T],
        include_deleted: bool = False,
    ) -> builtins.list[T]: ...
    def rows(
        self,
        filters: Mapping[str, Any] | None = None,
        *,
        sort: str | Sequence[str] | None = None,
        limit: int | None = None,
        offset: int = 0,
        into: type[T] | None = None,
        include_deleted: bool = False,
    ) -> builtins.list[Row[Any]] | builtins.list[T]:
        """`list` as rows (or `into` values): the same filters, sort and limits, checked the
        same way, from a statement built once per shape, with no entity built."""
        shape = _lean.lean_shape(self._mapper, into)
        keys = resolve_sort(self.model, sort, self._sortable(), self.default_sort)
        check_window(limit, offset, max_limit=self.max_page_size)
        bounds: dict[str, int] = {}
        if limit is not None:
            bounds[_LIMIT] = limit
        if offset:
            bounds[_OFFSET] = offset
        plan = self._plan(filters)
        model = self.model

        def build(bind_values: bool) -> Select[Any]:
            condition = plan.condition(model, bind_values=bind_values)
            stmt = _lean.lean_select(model, shape, condition, include_deleted=include_deleted)
            stmt = stmt.order_by(*order_by(model, keys))
            if _LIMIT in bounds:
                stmt = stmt.limit(bindparam(_LIMIT, type_=BigInteger()))
            if _OFFSET in bounds:
                stmt = stmt.offset(bindparam(_OFFSET, type_=BigInteger()))
            return stmt

        if plan.shape is None:  # a custom filter: SQL built from its value, every call
            stmt, params = build(True), {}
        else:
            key = ("lean", type(self), model, "rows", plan.shape, include_deleted, shape.names)
            stmt = prepared((*key, tuple(keys), tuple(bounds)), lambda: build(False))
            params = dict(plan.params)
        found = self._lean_execute(stmt, {**params, **bounds}).all()
        return _lean.converted(shape, found)

    @overload
    def rows_page(
        self,
        filters: Mapping[str, Any] | None = None,
        *,
        sort: str | Sequence[str] | None = None,
        limit: int = 20,
        offset: int = 0,
        into: None = None,
        include_deleted: bool = False,
    ) -> OffsetPage[Row[Any]]: ...
    @overload
    def rows_page(
        self,
        filters: Mapping[str, Any] | None = None,
        *,
        sort: str | Sequence[str] | None = None,
        limit: int = 20,
        offset: int = 0,
        into: type[T],
        include_deleted: bool = False,
    ) -> OffsetPage[T]: ...
    def rows_page(
        self,
        filters: Mapping[str, Any] | None = None,
        *,
        sort: str | Sequence[str] | None = None,
        limit: int = 20,
        offset: int = 0,
        into: type[T] | None = None,
        include_deleted: bool = False,
    ) -> OffsetPage[Row[Any]] | OffsetPage[T]:
        """`page` as rows (or `into` values), with the total count (a COUNT only when the
        page does not already hold the whole result)."""
        items: builtins.list[Any] = self.rows(
            filters,
            sort=sort,
            limit=limit,
            offset=offset,
            into=into,
            include_deleted=include_deleted,
        )
        if offset == 0 and len(items) < limit:
            total = len(items)
        else:
            counted, params = self._shaped(
                "count", filters, include_deleted=include_deleted, finish=_counted
            )
            total = int(self.session.execute(counted, params).scalar_one())
        return OffsetPage(items, total, limit, offset)

    def _lean_execute(self, stmt: Select[Any], params: Mapping[str, Any]) -> Result[Any]:
        """Run a lean statement on the session's connection (Core: no ORM events, no identity
        map), after flushing what the session holds so the rows include it."""
        session = self.session
        if session.autoflush:
            session.flush()
        return session.connection().execute(stmt, params)

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

        Only ``update_fields`` may be written (relationships too, when listed there). With
        `expected_version`, a row whose version moved on raises `StaleData`; the UPDATE itself
        also checks the version it read. An update that changes only a relationship
        (``{"tags": [...]}``) writes a new version too.
        """
        allowed = self._updatable()
        refused = sorted(set(values) - set(allowed))
        if refused:
            raise InvalidQuery(f"cannot update {', '.join(refused)}", field=refused[0])
        instance = target if isinstance(target, self.model) else self.get_one(target)
        self._check_version(instance, expected_version)
        for key, value in values.items():
            setattr(instance, key, value)
        version_key = self._version_key()
        if version_key is not None and self._relationship_keys.intersection(values):
            # A relationship lives in other rows; bump the version so this row's ETag moves too.
            setattr(instance, version_key, getattr(instance, version_key) + 1)
        self._flush()
        return cast(M, instance)

    def _version_key(self) -> str | None:
        column = self._mapper.version_id_col
        return None if column is None else self._mapper.get_property_by_column(column).key

    def _check_version(self, instance: Any, expected_version: int | None) -> None:
        """`StaleData` unless `instance` is at `expected_version` (None: any version)."""
        if expected_version is None:
            return
        key = self._version_key()
        if key is None:
            raise InvalidQuery(f"{self.model.__name__} has no version column")
        current = getattr(instance, key)
        if current != expected_version:
            raise StaleData(
                f"{self.model.__name__} is at version {current}, not {expected_version}"
            )

    def delete(
        self, target: M | Any, *, hard: bool = False, expected_version: int | None = None
    ) -> None:
        """Delete the row (an instance or a primary key). Soft-deletable models are only marked,
        unless `hard` is true (which also purges a row already soft-deleted).

        With `expected_version`, a row whose version moved on raises `StaleData` (the DELETE or
        UPDATE also checks the version it read).
        """
        if isinstance(target, self.model):
            instance = target
        else:
            instance = self.get_one(target, include_deleted=hard)
        self._check_version(instance, expected_version)
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
        progress: Callable[[int], object] | None = None,
    ) -> int:
        """Insert `rows`, updating `update` columns of rows whose `conflict` key exists.

        One native statement per chunk (ON CONFLICT / ON DUPLICATE KEY), never read-then-write.
        ``update=()`` means "insert or do nothing". Returns the number of rows sent. Objects
        already in the session are not refreshed; `upsert_returning` gives the rows themselves.
        `progress` is called after each statement with the number of rows sent so far (for a
        progress bar on large inputs).
        """
        if not rows:
            return 0
        plan = self._upsert_plan(rows, conflict, update)
        backend = self.backend.writes
        constants = any(not isinstance(v, ClauseElement) for v in plan.bumps.values())
        if backend.upsert_executemany and (backend.executemany_binds_anywhere or not constants):
            template = backend.upsert(
                plan.table,
                None,  # type: ignore[arg-type]
                plan.conflict,
                plan.update,
                also_set=plan.bumps,
            )
            executemany(self.session.connection(), template, plan.table, plan.columns, plan.values)
            if progress is not None:
                progress(len(plan.values))
            return len(plan.values)
        sent = 0
        for chunk in self._upsert_chunks(plan):
            stmt = backend.upsert(
                plan.table, chunk, plan.conflict, plan.update, also_set=plan.bumps
            )
            self.session.execute(stmt)
            sent += len(chunk)
            if progress is not None:
                progress(sent)
        return len(plan.values)

    def upsert_returning(
        self,
        rows: Sequence[Mapping[str, Any]],
        *,
        conflict: Sequence[str],
        update: Sequence[str] | None = None,
    ) -> builtins.list[M]:
        """`upsert`, returning every row as stored (inserted, updated, or left as it was) as a
        model instance, in no particular order; objects already in the session are refreshed.

        Where the database has ``INSERT ... RETURNING`` (PostgreSQL, SQLite, MariaDB ≥ 10.5) it
        is the same single statement per chunk; with ``update=()`` a collision rewrites its key
        with itself so that RETURNING reports the existing row. Elsewhere (MySQL) the rows are
        read back by their `conflict` key.
        """
        if not rows:
            return []
        plan = self._upsert_plan(rows, conflict, update)
        backend = self.backend.writes
        if not self.session.get_bind().dialect.insert_returning:
            self.upsert(rows, conflict=conflict, update=update)
            return self._read_back(plan)
        update_columns = plan.update or plan.conflict[:1]
        found: builtins.list[M] = []
        for chunk in self._upsert_chunks(plan):
            stmt = backend.upsert(
                plan.table, chunk, plan.conflict, update_columns, also_set=plan.bumps
            ).returning(*plan.table.columns)
            orm = select(self.model).from_statement(stmt)
            found += self.session.execute(
                orm, execution_options={"populate_existing": True}
            ).scalars()
        return found

    def _upsert_plan(
        self,
        rows: Sequence[Mapping[str, Any]],
        conflict: Sequence[str],
        update: Sequence[str] | None,
    ) -> _UpsertPlan:
        if update is None:
            update = [k for k in rows[0] if k not in conflict and k not in MANAGED_FIELDS]
        refused = sorted(set(update) - set(self._updatable()))
        if refused:
            raise InvalidQuery(f"cannot update {', '.join(refused)}", field=refused[0])
        update_columns = _rows.column_names(self._mapper, update)
        columns, values = _rows.row_values(self._mapper, rows)
        bumps = _rows.update_bumps(self._mapper, update_columns) if update_columns else {}
        if update_columns and issubclass(self.model, SoftDelete):
            # An upsert writes the row as given, so it is live afterwards: a soft-deleted row it
            # updates is restored (``update=()``, "do nothing", leaves it deleted).
            (deleted_at,) = _rows.column_names(self._mapper, ["deleted_at"])
            bumps[deleted_at] = null()
        return _UpsertPlan(
            table=cast(Table, self._mapper.local_table),
            columns=columns,
            values=values,
            conflict=_rows.column_names(self._mapper, conflict),
            update=update_columns,
            bumps=bumps,
        )

    def _upsert_chunks(self, plan: _UpsertPlan) -> Iterable[builtins.list[dict[str, Any]]]:
        # each bump may bind one parameter
        per_chunk = self.backend.writes.upsert_rows_per_statement(
            plan.table, plan.columns, len(plan.bumps)
        )
        for start in range(0, len(plan.rows), per_chunk):
            yield plan.rows[start : start + per_chunk]

    def _read_back(self, plan: _UpsertPlan) -> builtins.list[M]:
        """The rows `plan` upserted, read by their conflict key (for databases without
        RETURNING), soft-deleted ones included."""
        key = tuple_(*(plan.table.c[name] for name in plan.conflict))
        found: builtins.list[M] = []
        per_chunk = max(1, self.backend.writes.max_bind_params // max(1, len(plan.conflict)))
        for start in range(0, len(plan.rows), per_chunk):
            wanted = [
                tuple(r[c] for c in plan.conflict) for r in plan.rows[start : start + per_chunk]
            ]
            stmt = (
                select(self.model)
                .where(key.in_(wanted))
                .execution_options(populate_existing=True, **{INCLUDE_DELETED: True})
            )
            found += self.session.execute(stmt).scalars()
        return found

    def bulk_insert(
        self,
        rows: Iterable[Mapping[str, Any]],
        *,
        chunk_size: int = 50_000,
        progress: Callable[[int], object] | None = None,
    ) -> int:
        """Insert many rows at near driver speed (COPY on PostgreSQL), bypassing the ORM.

        Rows are plain mappings with the same keys; Python-side defaults (UUIDv7 keys,
        versions) are filled in. Returns the number of rows inserted. `progress` is called
        after each chunk with the number of rows inserted so far.
        """
        table = self._mapper.local_table
        writes = self.backend.writes
        connection = self.session.connection()
        total = 0
        remaining = iter(rows)
        while chunk := builtins.list(islice(remaining, chunk_size)):
            columns, values = _rows.row_values(self._mapper, chunk)
            total += writes.bulk_insert(connection, table, columns, values)  # type: ignore[arg-type]
            if progress is not None:
                progress(total)
        return total

    # ----- row locks -----

    def lock(self, ident: Any, *, nowait: bool = False) -> M:
        """Read the row and lock it until the transaction ends (``FOR UPDATE``).

        On SQLite the whole database is already locked for writing: stanchion begins write
        transactions with BEGIN IMMEDIATE.
        """
        key = self._key(ident)
        if key is None:
            raise NotFound(self.model.__name__, ident)
        condition = and_(*(column == value for column, value in zip(self._pk, key, strict=True)))
        stmt = (
            self.select()
            .where(condition)
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
                skip_locked=skip_locked and self.backend.writes.supports_skip_locked, of=self.model
            )
            .execution_options(populate_existing=True)
        )
        return list(self.session.execute(stmt).scalars())

    # ----- helpers -----

    def _flush(self) -> None:
        try:
            self.session.flush()  # a stanchion session raises StaleData itself
        except StaleDataError as error:  # a plain Session does not
            raise stale_data(error) from error


# Every public method that runs statements names itself while it runs (spans, slow-query log).
for _name, _method in list(vars(Repository).items()):
    if not _name.startswith("_") and _name != "select" and inspect_module.isfunction(_method):
        setattr(Repository, _name, named_operation(_method))


@dataclass(frozen=True)
class _UpsertPlan:
    """An upsert's rows and columns, by column name, with the SQL each update also sets."""

    table: Table
    columns: builtins.list[str]
    values: builtins.list[tuple[Any, ...]]  # one per row, in `columns` order
    conflict: builtins.list[str]
    update: builtins.list[str]
    bumps: Mapping[str, Any]

    @cached_property
    def rows(self) -> builtins.list[dict[str, Any]]:
        """The rows as mappings (for statements that bind rows into their VALUES)."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.values]


_LIMIT = "stanchion_limit"
_OFFSET = "stanchion_offset"


def _model_of(repository: type[Repository[Any]]) -> type[Any]:
    model: type[Any] | None = getattr(repository, "model", None)
    if model is None:
        raise TypeError(f"{repository.__name__} has no model: subclass Repository[Model]")
    return model


@dataclass(frozen=True, slots=True)
class _ModelFacts:
    """What every repository on one model needs to know about it, found once per model."""

    mapper: Mapper[Any]
    pk: tuple[Any, ...]
    relationship_keys: frozenset[str]
    #: The model or a subclass is soft-deletable: rows read may need hiding.
    soft_deletable: bool
    #: Execution options of a plain `get`: HIDDEN when the session need not add criteria.
    plain_get_options: Mapping[str, Any]


_FACTS: dict[type[Any], _ModelFacts] = {}


def _facts(model: type[Any]) -> _ModelFacts:
    found = _FACTS.get(model)
    if found is None:
        mapper: Mapper[Any] = inspect(model)
        found = _FACTS[model] = _ModelFacts(
            mapper=mapper,
            pk=tuple(mapper.primary_key),
            relationship_keys=frozenset(r.key for r in mapper.relationships),
            soft_deletable=any(
                issubclass(m.class_, SoftDelete) for m in mapper.self_and_descendants
            ),
            plain_get_options={HIDDEN: True} if nothing_to_hide(mapper) else {},
        )
    return found


#: Each model's primary-key value types and attribute names, read once.
_KEY_TYPES: dict[type[Any], tuple[tuple[ValueType, ...], tuple[str, ...]]] = {}
#: Allow-lists by (repository class, model), read once from the class attributes.
_FILTER_FIELDS: dict[tuple[type[Any], type[Any]], dict[str, FilterField]] = {}
_SORT_FIELDS: dict[tuple[type[Any], type[Any]], tuple[str, ...]] = {}


def _filter_fields(repository: type[Repository[Any]], model: type[Any]) -> dict[str, FilterField]:
    found = _FILTER_FIELDS.get((repository, model))
    if found is None:
        found = filter_allow_list(model, repository.filter_fields)
        _FILTER_FIELDS[repository, model] = found
    return found


def _sort_fields(repository: type[Repository[Any]], model: type[Any]) -> tuple[str, ...]:
    found = _SORT_FIELDS.get((repository, model))
    if found is None:
        mapper = inspect(model)
        allowed = repository.sort_fields
        names = [a.key for a in mapper.column_attrs] if allowed is None else list(allowed)
        found = (*names, *(c.key for c in mapper.primary_key if c.key not in names))
        _SORT_FIELDS[repository, model] = found
    return found


def _counted(stmt: Select[Any]) -> Select[Any]:
    return stmt.with_only_columns(func.count(), maintain_column_froms=True).order_by(None)
