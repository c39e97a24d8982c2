"""Safe operations for revisions: ``op.create_index_concurrently``, ``op.add_enum_value``...

Importing this module registers them on Alembic's ``op`` (stanchion's env.py does). Each one
does the online form on PostgreSQL and MySQL and the plain form where nothing else exists.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from alembic.autogenerate import renderers
from alembic.autogenerate.api import AutogenContext
from alembic.operations import MigrateOperation, Operations
from alembic.operations import ops as alembic_ops
from sqlalchemy import Column, Enum
from sqlalchemy.engine import URL
from sqlalchemy.schema import CreateIndex
from sqlalchemy.sql.elements import conv

from stanchion.database.backends import Backend, backend_for


def backend_of(operations: Operations) -> Backend:
    """The stanchion backend profile of the database these operations run against."""
    return backend_for(URL.create(operations.get_context().dialect.name))


def _quote(operations: Operations, name: str) -> str:
    return operations.get_context().dialect.identifier_preparer.quote(name)


def _table(operations: Operations, table_name: str, schema: str | None) -> str:
    table = _quote(operations, table_name)
    return f"{_quote(operations, schema)}.{table}" if schema else table


# -- indexes ---------------------------------------------------------------------------------


@Operations.register_operation("create_index_concurrently")
class CreateIndexConcurrentlyOp(MigrateOperation):
    """Build an index without blocking writes: CONCURRENTLY on PostgreSQL (outside the
    migration's transaction), ``ALGORITHM=INPLACE LOCK=NONE`` on MySQL."""

    def __init__(
        self,
        index_name: str,
        table_name: str,
        columns: Sequence[str],
        *,
        unique: bool = False,
        schema: str | None = None,
        **kw: Any,
    ) -> None:
        self.index_name = index_name
        self.table_name = table_name
        self.columns = list(columns)
        self.unique = unique
        self.schema = schema
        self.kw = kw

    @classmethod
    def create_index_concurrently(
        cls,
        operations: Operations,
        index_name: str,
        table_name: str,
        columns: Sequence[str],
        *,
        unique: bool = False,
        schema: str | None = None,
        **kw: Any,
    ) -> None:
        """Create an index online (see the class docstring)."""
        operations.invoke(cls(index_name, table_name, columns, unique=unique, schema=schema, **kw))

    def reverse(self) -> DropIndexConcurrentlyOp:
        return DropIndexConcurrentlyOp(self.index_name, self.table_name, schema=self.schema)


@Operations.register_operation("drop_index_concurrently")
class DropIndexConcurrentlyOp(MigrateOperation):
    """Drop an index without blocking reads and writes on its table."""

    def __init__(self, index_name: str, table_name: str, *, schema: str | None = None) -> None:
        self.index_name = index_name
        self.table_name = table_name
        self.schema = schema

    @classmethod
    def drop_index_concurrently(
        cls, operations: Operations, index_name: str, table_name: str, *, schema: str | None = None
    ) -> None:
        """Drop an index online (see the class docstring)."""
        operations.invoke(cls(index_name, table_name, schema=schema))


@Operations.implementation_for(CreateIndexConcurrentlyOp)
def _create_index_concurrently(operations: Operations, op: CreateIndexConcurrentlyOp) -> None:
    backend = backend_of(operations)
    if backend.online_ddl_needs_autocommit:
        with operations.get_context().autocommit_block():
            operations.create_index(
                op.index_name,
                op.table_name,
                op.columns,
                unique=op.unique,
                schema=op.schema,
                **backend.online_index_options,
                **op.kw,
            )
    elif backend.online_ddl_options:
        index = operations.schema_obj.index(
            op.index_name, op.table_name, op.columns, schema=op.schema, unique=op.unique, **op.kw
        )
        ddl = CreateIndex(index).compile(dialect=operations.get_context().dialect)
        operations.execute(f"{ddl} {' '.join(backend.online_ddl_options)}")
    else:
        operations.create_index(
            op.index_name, op.table_name, op.columns, unique=op.unique, schema=op.schema, **op.kw
        )


@Operations.implementation_for(DropIndexConcurrentlyOp)
def _drop_index_concurrently(operations: Operations, op: DropIndexConcurrentlyOp) -> None:
    backend = backend_of(operations)
    if backend.online_ddl_needs_autocommit:
        with operations.get_context().autocommit_block():
            operations.drop_index(
                op.index_name, op.table_name, schema=op.schema, **backend.online_index_options
            )
    elif backend.online_ddl_options:
        table = _table(operations, op.table_name, op.schema)
        index = _quote(operations, op.index_name)
        options = ", ".join(backend.online_ddl_options)
        operations.execute(f"ALTER TABLE {table} DROP INDEX {index}, {options}")
    else:
        operations.drop_index(op.index_name, op.table_name, schema=op.schema)


# -- constraints -----------------------------------------------------------------------------


@Operations.register_operation("create_foreign_key_not_valid")
class CreateForeignKeyNotValidOp(MigrateOperation):
    """Add a foreign key without scanning the table under lock: ``NOT VALID`` on PostgreSQL
    (check old rows later with ``op.validate_constraint``), in place on MySQL."""

    def __init__(
        self,
        constraint_name: str,
        source_table: str,
        referent_table: str,
        local_cols: Sequence[str],
        remote_cols: Sequence[str],
        **kw: Any,
    ) -> None:
        self.constraint_name = constraint_name
        self.source_table = source_table
        self.referent_table = referent_table
        self.local_cols = list(local_cols)
        self.remote_cols = list(remote_cols)
        self.kw = kw

    @classmethod
    def create_foreign_key_not_valid(
        cls,
        operations: Operations,
        constraint_name: str,
        source_table: str,
        referent_table: str,
        local_cols: Sequence[str],
        remote_cols: Sequence[str],
        **kw: Any,
    ) -> None:
        """Add a foreign key online (see the class docstring)."""
        operations.invoke(
            cls(constraint_name, source_table, referent_table, local_cols, remote_cols, **kw)
        )


@Operations.implementation_for(CreateForeignKeyNotValidOp)
def _create_foreign_key_not_valid(operations: Operations, op: CreateForeignKeyNotValidOp) -> None:
    backend = backend_of(operations)
    args = (op.constraint_name, op.source_table, op.referent_table, op.local_cols, op.remote_cols)
    if backend.migration_batch_mode:
        with operations.batch_alter_table(op.source_table) as batch:
            batch.create_foreign_key(args[0], *args[2:], **op.kw)
        return
    extra: dict[str, Any] = dict(op.kw)
    if backend.supports_not_valid:
        extra["postgresql_not_valid"] = True
    for statement in backend.unchecked_constraint_sql[0:1]:
        operations.execute(statement)
    operations.create_foreign_key(*args, **extra)
    for statement in backend.unchecked_constraint_sql[1:2]:
        operations.execute(statement)


@Operations.register_operation("validate_constraint")
class ValidateConstraintOp(MigrateOperation):
    """Check existing rows against a ``NOT VALID`` constraint without blocking writes
    (PostgreSQL; its own transaction, so the brief lock of the ADD is not held meanwhile)."""

    def __init__(self, constraint_name: str, table_name: str, *, schema: str | None = None) -> None:
        self.constraint_name = constraint_name
        self.table_name = table_name
        self.schema = schema

    @classmethod
    def validate_constraint(
        cls,
        operations: Operations,
        constraint_name: str,
        table_name: str,
        *,
        schema: str | None = None,
    ) -> None:
        """Validate a constraint added ``NOT VALID`` (a no-op where there is no such thing)."""
        operations.invoke(cls(constraint_name, table_name, schema=schema))


@Operations.implementation_for(ValidateConstraintOp)
def _validate_constraint(operations: Operations, op: ValidateConstraintOp) -> None:
    if not backend_of(operations).supports_not_valid:
        return
    table = _table(operations, op.table_name, op.schema)
    with operations.get_context().autocommit_block():
        operations.execute(
            f"ALTER TABLE {table} VALIDATE CONSTRAINT {_quote(operations, op.constraint_name)}"
        )


@Operations.register_operation("set_not_null")
class SetNotNullOp(MigrateOperation):
    """Make a column NOT NULL without a long exclusive lock: on PostgreSQL a ``CHECK (c IS NOT
    NULL) NOT VALID`` is added, validated, used by ``SET NOT NULL`` and dropped."""

    def __init__(
        self,
        table_name: str,
        column_name: str,
        *,
        existing_type: Any = None,
        existing_server_default: str | None = None,
        schema: str | None = None,
    ) -> None:
        self.table_name = table_name
        self.column_name = column_name
        self.existing_type = existing_type
        self.existing_server_default = existing_server_default
        self.schema = schema

    @classmethod
    def set_not_null(
        cls,
        operations: Operations,
        table_name: str,
        column_name: str,
        *,
        existing_type: Any = None,
        existing_server_default: str | None = None,
        schema: str | None = None,
    ) -> None:
        """Make a column NOT NULL safely. MySQL and SQLite redefine the column: give
        `existing_type` (and `existing_server_default`, SQL text, if it has one)."""
        operations.invoke(
            cls(
                table_name,
                column_name,
                existing_type=existing_type,
                existing_server_default=existing_server_default,
                schema=schema,
            )
        )


@Operations.implementation_for(SetNotNullOp)
def _set_not_null(operations: Operations, op: SetNotNullOp) -> None:
    backend = backend_of(operations)
    if not backend.supports_not_valid:
        if op.existing_type is None:
            raise TypeError(f"set_not_null needs existing_type= on {backend.name}")
        if backend.migration_batch_mode:
            with operations.batch_alter_table(op.table_name, schema=op.schema) as batch:
                batch.alter_column(op.column_name, nullable=False, existing_type=op.existing_type)
        elif backend.online_ddl_options:
            # Redefine the column in place with writes allowed, or fail instead of locking.
            dialect = operations.get_context().dialect
            kind = dialect.type_compiler_instance.process(op.existing_type)
            default = f" DEFAULT {op.existing_server_default}" if op.existing_server_default else ""
            table = _table(operations, op.table_name, op.schema)
            column = _quote(operations, op.column_name)
            options = ", ".join(backend.online_ddl_options)
            operations.execute(
                f"ALTER TABLE {table} MODIFY {column} {kind} NOT NULL{default}, {options}"
            )
        else:
            operations.alter_column(
                op.table_name,
                op.column_name,
                nullable=False,
                existing_type=op.existing_type,
                schema=op.schema,
            )
        return
    check = f"ck_{op.table_name}_{op.column_name}_not_null"[:63]
    table = _table(operations, op.table_name, op.schema)
    column = _quote(operations, op.column_name)
    name = _quote(operations, check)
    with operations.get_context().autocommit_block():
        operations.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({column} IS NOT NULL) NOT VALID"
        )
        operations.execute(f"ALTER TABLE {table} VALIDATE CONSTRAINT {name}")
        operations.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET NOT NULL")
        operations.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")


# -- enums -----------------------------------------------------------------------------------


@Operations.register_operation("add_enum_value")
class AddEnumValueOp(MigrateOperation):
    """Add a value to a PostgreSQL enum type, outside the migration's transaction (a new value
    cannot be used before it commits). Elsewhere enums are column types: alter the column."""

    def __init__(
        self,
        enum_name: str,
        value: str,
        *,
        before: str | None = None,
        after: str | None = None,
        schema: str | None = None,
    ) -> None:
        self.enum_name = enum_name
        self.value = value
        self.before = before
        self.after = after
        self.schema = schema

    @classmethod
    def add_enum_value(
        cls,
        operations: Operations,
        enum_name: str,
        value: str,
        *,
        before: str | None = None,
        after: str | None = None,
        schema: str | None = None,
    ) -> None:
        """Add `value` to the enum type `enum_name` (see the class docstring)."""
        operations.invoke(cls(enum_name, value, before=before, after=after, schema=schema))


@Operations.implementation_for(AddEnumValueOp)
def _add_enum_value(operations: Operations, op: AddEnumValueOp) -> None:
    if not backend_of(operations).has_enum_types:
        return
    place = ""
    if op.before is not None:
        place = f" BEFORE {_literal(op.before)}"
    elif op.after is not None:
        place = f" AFTER {_literal(op.after)}"
    name = _table(operations, op.enum_name, op.schema)
    with operations.get_context().autocommit_block():
        operations.execute(f"ALTER TYPE {name} ADD VALUE IF NOT EXISTS {_literal(op.value)}{place}")


@Operations.register_operation("drop_enum")
class DropEnumOp(MigrateOperation):
    """Drop an enum type left behind by ``drop_table`` (PostgreSQL; a no-op elsewhere)."""

    def __init__(self, enum_name: str, *, schema: str | None = None) -> None:
        self.enum_name = enum_name
        self.schema = schema

    @classmethod
    def drop_enum(
        cls, operations: Operations, enum_name: str, *, schema: str | None = None
    ) -> None:
        """Drop the enum type `enum_name` if it exists."""
        operations.invoke(cls(enum_name, schema=schema))


@Operations.implementation_for(DropEnumOp)
def _drop_enum(operations: Operations, op: DropEnumOp) -> None:
    if backend_of(operations).has_enum_types:
        operations.execute(f"DROP TYPE IF EXISTS {_table(operations, op.enum_name, op.schema)}")


@renderers.dispatch_for(DropEnumOp)
def _render_drop_enum(autogen_context: AutogenContext, op: DropEnumOp) -> str:
    schema = f", schema={op.schema!r}" if op.schema else ""
    return f"op.drop_enum({op.enum_name!r}{schema})"


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


# -- autogenerate: drop the enum types a revision created, on downgrade -----------------------

Directive = Callable[[Any, Any, list[Any]], None]


def revision_directives(user_hook: Directive | None = None) -> Directive:
    """A ``process_revision_directives`` hook: after `user_hook`, make every autogenerated
    downgrade drop the named enum types its upgrade created (Alembic leaves them behind)."""

    def hook(context: Any, revision: Any, directives: list[Any]) -> None:
        if user_hook is not None:
            user_hook(context, revision, directives)
        for script in directives:
            if not isinstance(script, alembic_ops.MigrationScript):
                continue
            for ops in (script.upgrade_ops, script.downgrade_ops):
                if ops is not None:
                    _keep_indexes_of_dropped_tables(ops)
                    _build_indexes_online(ops)
            names = _created_enums(script.upgrade_ops)
            if names and script.downgrade_ops is not None:
                script.downgrade_ops.ops.extend(DropEnumOp(name) for name in names)

    return hook


def _build_indexes_online(container: Any) -> None:
    """Write index changes on tables that already exist as the online operations, which lint
    accepts; indexes of tables created in the same revision stay plain (nobody waits on them)."""
    created = {
        (op.schema, op.table_name)
        for op in container.ops
        if isinstance(op, alembic_ops.CreateTableOp)
    }

    def online(op: Any) -> Any:
        if (getattr(op, "schema", None), getattr(op, "table_name", None)) in created:
            return op
        if isinstance(op, alembic_ops.CreateIndexOp) and not op.kw and op.index_name:
            names = [c.name for c in op.columns if isinstance(c, Column)]
            if len(names) == len(op.columns):  # plain columns only, no expressions
                return CreateIndexConcurrentlyOp(
                    op.index_name, op.table_name, names, unique=bool(op.unique), schema=op.schema
                )
        if (
            isinstance(op, alembic_ops.DropIndexOp)
            and op.table_name
            and set(op.kw) <= {"unique"}  # the reverse of a plain create carries only this
        ):
            return DropIndexConcurrentlyOp(op.index_name, op.table_name, schema=op.schema)
        return op

    result: list[Any] = []
    for op in container.ops:
        if not isinstance(op, alembic_ops.ModifyTableOps):
            result.append(online(op))
            continue
        # Online index ops run at once, while a batch block runs at its end: drop indexes
        # before the block (its column drops would take them along), create them after it.
        converted = [online(o) for o in op.ops]
        drops = [o for o in converted if isinstance(o, DropIndexConcurrentlyOp)]
        creates = [o for o in converted if isinstance(o, CreateIndexConcurrentlyOp)]
        op.ops = [o for o in converted if o not in drops and o not in creates]
        result.extend([*drops, *([op] if op.ops else []), *creates])
    container.ops = result


def _name(name: Any) -> str:
    return f"op.f({str(name)!r})" if isinstance(name, conv) else repr(str(name))


@renderers.dispatch_for(CreateIndexConcurrentlyOp)
def _render_create_index_concurrently(
    autogen_context: AutogenContext, op: CreateIndexConcurrentlyOp
) -> str:
    extra = ", unique=True" if op.unique else ""
    extra += f", schema={op.schema!r}" if op.schema else ""
    return (
        f"op.create_index_concurrently({_name(op.index_name)}, {op.table_name!r}, "
        f"{op.columns!r}{extra})"
    )


@renderers.dispatch_for(DropIndexConcurrentlyOp)
def _render_drop_index_concurrently(
    autogen_context: AutogenContext, op: DropIndexConcurrentlyOp
) -> str:
    extra = f", schema={op.schema!r}" if op.schema else ""
    return f"op.drop_index_concurrently({_name(op.index_name)}, {op.table_name!r}{extra})"


def _keep_indexes_of_dropped_tables(container: Any) -> None:
    """Drop no index of a table that is dropped anyway: the table takes its indexes along, and
    MySQL refuses to drop an index a foreign key still needs (error 1553)."""
    dropped = {
        (op.schema, op.table_name)
        for op in container.ops
        if isinstance(op, alembic_ops.DropTableOp)
    }
    kept = []
    for op in container.ops:
        if isinstance(op, alembic_ops.DropIndexOp) and (op.schema, op.table_name) in dropped:
            continue
        if isinstance(op, alembic_ops.ModifyTableOps) and (op.schema, op.table_name) in dropped:
            op.ops = [o for o in op.ops if not isinstance(o, alembic_ops.DropIndexOp)]
            if not op.ops:
                continue
        kept.append(op)
    container.ops = kept


def _created_enums(upgrade_ops: Any) -> list[str]:
    names: list[str] = []
    for op in getattr(upgrade_ops, "ops", []):
        columns: list[Any] = []
        if isinstance(op, alembic_ops.CreateTableOp):
            columns = list(op.columns)
        elif isinstance(op, alembic_ops.ModifyTableOps):
            columns = [o.column for o in op.ops if isinstance(o, alembic_ops.AddColumnOp)]
        for column in columns:
            kind = getattr(column, "type", None)
            if isinstance(kind, Enum) and kind.native_enum and kind.name and kind.name not in names:
                names.append(kind.name)
    return names
