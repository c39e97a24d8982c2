"""Safe operations for revisions: ``op.create_index_concurrently``, ``op.add_enum_value``...

Importing this module registers them on Alembic's ``op`` (stanchion's env.py does). Each one
runs the online form the backend's DDL facet writes (PostgreSQL, MySQL), and Alembic's plain
form where the database has nothing better. The SQL itself lives in the backend profiles.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from alembic.operations import MigrateOperation, Operations
from sqlalchemy.engine import Dialect

from stanchion.engine.backends import DDL, Steps, backend_for_dialect


def _ddl(operations: Operations) -> tuple[DDL, Dialect]:
    """The DDL facet of the database these operations run against, and its dialect."""
    context = operations.get_context()
    return backend_for_dialect(context.dialect).ddl, context.dialect


def _run(operations: Operations, steps: Steps) -> None:
    """Run the statements a backend's DDL facet wrote, outside the transaction if they must."""
    if not steps.statements:
        return
    if not steps.outside_transaction:
        for statement in steps.statements:
            operations.execute(statement)
        return
    with operations.get_context().autocommit_block():
        for statement in steps.statements:
            operations.execute(statement)


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
    ddl, dialect = _ddl(operations)
    index = operations.schema_obj.index(
        op.index_name, op.table_name, op.columns, schema=op.schema, unique=op.unique, **op.kw
    )
    steps = ddl.create_index_online(index, dialect)
    if steps is None:
        operations.create_index(
            op.index_name, op.table_name, op.columns, unique=op.unique, schema=op.schema, **op.kw
        )
    else:
        _run(operations, steps)


@Operations.implementation_for(DropIndexConcurrentlyOp)
def _drop_index_concurrently(operations: Operations, op: DropIndexConcurrentlyOp) -> None:
    ddl, dialect = _ddl(operations)
    index = operations.schema_obj.index(op.index_name, op.table_name, [], schema=op.schema)
    steps = ddl.drop_index_online(index, dialect)
    if steps is None:
        operations.drop_index(op.index_name, op.table_name, schema=op.schema)
    else:
        _run(operations, steps)


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
    ddl, dialect = _ddl(operations)
    if ddl.rebuilds_tables:
        with operations.batch_alter_table(op.source_table) as batch:
            batch.create_foreign_key(
                op.constraint_name, op.referent_table, op.local_cols, op.remote_cols, **op.kw
            )
        return
    constraint = operations.schema_obj.foreign_key_constraint(
        op.constraint_name,
        op.source_table,
        op.referent_table,
        op.local_cols,
        op.remote_cols,
        **op.kw,
    )
    steps = ddl.add_foreign_key_unchecked(constraint, dialect)
    if steps is None:
        operations.create_foreign_key(
            op.constraint_name,
            op.source_table,
            op.referent_table,
            op.local_cols,
            op.remote_cols,
            **op.kw,
        )
    else:
        _run(operations, steps)


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
    ddl, dialect = _ddl(operations)
    _run(operations, ddl.validate_constraint(op.table_name, op.constraint_name, op.schema, dialect))


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
    ddl, dialect = _ddl(operations)
    if not ddl.rebuilds_tables:
        steps = ddl.set_not_null_online(
            op.table_name,
            op.column_name,
            existing_type=op.existing_type,
            existing_server_default=op.existing_server_default,
            schema=op.schema,
            dialect=dialect,
        )
        if steps is not None:
            _run(operations, steps)
            return
    if op.existing_type is None:
        raise TypeError(
            "set_not_null needs existing_type= on this database: it redefines the column"
        )
    if ddl.rebuilds_tables:
        with operations.batch_alter_table(op.table_name, schema=op.schema) as batch:
            batch.alter_column(op.column_name, nullable=False, existing_type=op.existing_type)
        return
    operations.alter_column(
        op.table_name,
        op.column_name,
        nullable=False,
        existing_type=op.existing_type,
        schema=op.schema,
    )


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
    ddl, dialect = _ddl(operations)
    steps = ddl.add_enum_value(
        op.enum_name, op.value, before=op.before, after=op.after, schema=op.schema, dialect=dialect
    )
    _run(operations, steps)


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
    ddl, dialect = _ddl(operations)
    _run(operations, ddl.drop_enum(op.enum_name, op.schema, dialect))
