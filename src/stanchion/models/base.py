"""`Model`: the declarative base with a constraint naming convention and a portable type map."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import JSON, BigInteger, Integer, MetaData, Numeric, String, Table, Uuid
from sqlalchemy.orm import DeclarativeBase, declared_attr

from stanchion.models.types import UTCDateTime

#: Deterministic constraint names, so migrations can alter and drop them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: Python annotations to column types: tz-aware datetimes, bounded strings, 64-bit integers.
TYPE_MAP: dict[Any, Any] = {
    datetime: UTCDateTime(),
    str: String(255),
    int: BigInteger().with_variant(Integer(), "sqlite"),
    uuid.UUID: Uuid(),
    Decimal: Numeric(18, 6),
    dict[str, Any]: JSON(),
    list[Any]: JSON(),
}


class ModelBase:
    """stanchion's model configuration, for any declarative base that mixes it in.

    ``Model`` is the base most applications need. A second, separate registry (its own
    metadata, its own class names) is ``class Archive(ModelBase, DeclarativeBase): pass``.
    Writes fetch server-generated values eagerly (RETURNING where the database has it), so an
    object is complete after flush and never triggers I/O on attribute access under asyncio.
    """

    type_annotation_map = TYPE_MAP

    def __init_subclass__(cls, **kwargs: Any) -> None:
        if DeclarativeBase in cls.__bases__ and "metadata" not in cls.__dict__:
            cls.metadata = MetaData(naming_convention=NAMING_CONVENTION)  # type: ignore[attr-defined]
        super().__init_subclass__(**kwargs)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        args: dict[str, Any] = {"eager_defaults": True}
        version = getattr(cls, "__version_column__", None)
        if version is not None and "__table__" in cls.__dict__:
            args["version_id_col"] = cls.__table__.c[version]  # type: ignore[attr-defined]
        return args

    def __repr__(self) -> str:
        mapper = self.__mapper__  # type: ignore[attr-defined]
        state = self.__dict__
        keys = ", ".join(f"{c.key}={state[c.key]!r}" for c in mapper.primary_key if c.key in state)
        return f"{type(self).__name__}({keys})"


class Model(ModelBase, DeclarativeBase):
    """The base class for your models: ``class User(Model, IntegerPK): ...``.

    One registry and one ``Model.metadata`` for the application's tables.
    """

    if TYPE_CHECKING:
        # A model with a __tablename__ maps a Table; SQLAlchemy types __table__ as any
        # FromClause (a model may map a join or a select), which hides .constraints, .indexes
        # and the update(User.__table__) overloads from type checkers.
        __table__: ClassVar[Table]
