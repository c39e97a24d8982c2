"""Values checked before they reach SQL: converted to the column's Python type, then held to
what every backend can store and compare.

One path for every value a caller sends to a filter, whether it comes from a query string
(text) or a mapping (Python objects): a value that does not convert, an integer beyond 64 bits,
a datetime that overflows when converted to UTC, text with a NUL or a lone surrogate, a NaN —
each is an `InvalidQuery` naming the field, the same on SQLite, PostgreSQL and MariaDB, instead
of a driver error that differs per backend.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import math
import uuid
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Mapper
from sqlalchemy.types import (
    BigInteger,
    Float,
    Integer,
    Numeric,
    SmallInteger,
    TypeDecorator,
    TypeEngine,
)

from stanchion.errors import InvalidQuery

#: The range of a 64-bit signed integer column, the widest integer every backend stores.
MIN_BIGINT, MAX_BIGINT = -(2**63), 2**63 - 1
#: Most significant digits of a decimal value (MySQL/MariaDB's DECIMAL holds 65).
MAX_DECIMAL_DIGITS = 65


class Kind(enum.StrEnum):
    """What a column holds, as far as filtering cares: which operators fit, which checks apply."""

    BOOL = "bool"
    TEXT = "text"
    INTEGER = "integer"
    NUMBER = "number"
    DATETIME = "datetime"
    DATE = "date"
    TIME = "time"
    UUID = "uuid"
    ENUM = "enum"
    OTHER = "other"


def kind_of(python_type: type) -> Kind:
    """The `Kind` of a column whose values are `python_type`."""
    if issubclass(python_type, enum.Enum):
        return Kind.ENUM
    if issubclass(python_type, bool):
        return Kind.BOOL
    if issubclass(python_type, str):
        return Kind.TEXT
    if issubclass(python_type, int):
        return Kind.INTEGER
    if issubclass(python_type, (float, decimal.Decimal)):
        return Kind.NUMBER
    if issubclass(python_type, dt.datetime):  # before date: a datetime is a date
        return Kind.DATETIME
    if issubclass(python_type, dt.date):
        return Kind.DATE
    if issubclass(python_type, dt.time):
        return Kind.TIME
    if issubclass(python_type, uuid.UUID):
        return Kind.UUID
    return Kind.OTHER


def python_type_of(column_type: TypeEngine[Any]) -> type:
    """The Python type of a column type's values (`object` when the type does not say)."""
    try:
        found: type = column_type.python_type
        if found is object and isinstance(column_type, TypeDecorator):
            found = column_type.impl_instance.python_type
    except NotImplementedError:
        return object
    return found


def _needs_timezone(column_type: TypeEngine[Any]) -> bool:
    if isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    return bool(getattr(column_type, "timezone", False))


def shown_name(name: str) -> str | None:
    """`name` if it can be echoed in an error (a plain identifier, at most 64 characters),
    else None: a caller's unknown field name is never sent back as it came (it may be SQL,
    markup or a megabyte)."""
    if len(name) <= 64 and name.isascii() and name.isidentifier():
        return name
    return None


def quoted_name(name: str) -> str:
    """`name` quoted for a message, or ``a field that does not exist`` when not `shown_name`."""
    shown = shown_name(name)
    return "a field that does not exist" if shown is None else repr(shown)


_ADAPTERS: dict[type, TypeAdapter[Any]] = {}


def coerce(value: Any, target: type, field: str) -> Any:
    """Convert `value` (often a query-string text) to `target`, or raise `InvalidQuery`."""
    if target is object or type(value) is target:
        return value
    adapter = _ADAPTERS.get(target)
    if adapter is None:
        adapter = _ADAPTERS.setdefault(target, TypeAdapter(target))
    try:
        converted = adapter.validate_python(value, strict=False)
    except ValidationError:
        converted = None
    # pydantic's lax mode hands some inputs back unconverted (an enum member of another type)
    if not isinstance(converted, target):
        raise InvalidQuery(f"invalid value for {field!r}: expected {target.__name__}", field=field)
    return converted


def text_problem(value: str) -> str | None:
    """Why no backend can take `value` as text (a NUL, a lone surrogate), or None."""
    if "\x00" in value:
        return "must not contain NUL characters"
    if value.isascii():
        return None  # no surrogate can hide in ASCII: the common case costs no encoding
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode (no lone surrogates)"
    return None


def text_columns(mapper: Mapper[Any]) -> tuple[str, ...]:
    """The attribute keys of `mapper`'s text columns (the values `check_written_text` checks)."""
    found = _TEXT_COLUMNS.get(mapper)
    if found is None:
        found = tuple(
            attr.key
            for attr in mapper.column_attrs
            if ValueType.of(attr.columns[0].type).kind is Kind.TEXT
        )
        _TEXT_COLUMNS[mapper] = found
    return found


def check_written_text(model: str, field: str, value: Any) -> None:
    """`InvalidQuery` when `value`, about to be written to text column `field`, is text no
    backend stores alike (a NUL: refused by PostgreSQL, kept by the others; a lone surrogate:
    no driver can encode it). Anything but a `str` (None, a SQL expression) passes."""
    if type(value) is str:
        problem = text_problem(value)
        if problem is not None:
            raise InvalidQuery(f"{model}.{field} {problem}", field=field)


_TEXT_COLUMNS: weakref.WeakKeyDictionary[Mapper[Any], tuple[str, ...]] = weakref.WeakKeyDictionary()


def check_text(value: Any, field: str) -> str:
    """`value` as text every backend can store and compare, or `InvalidQuery`."""
    text: str = coerce(value, str, field)
    problem = text_problem(text)
    if problem is not None:
        raise InvalidQuery(f"{field!r} {problem}", field=field)
    return text


def check_integer(value: int, field: str, bits: int = 64) -> int:
    """`value` if it fits a signed integer column of `bits`, else `InvalidQuery`.

    The column's declared width, not the backend's: a 32-bit column compared with 2**40 is
    an error on asyncpg (which types the parameter as the column) and an answer elsewhere.
    """
    limit = 2 ** (bits - 1)
    if not -limit <= value < limit:
        raise InvalidQuery(f"{field!r} is beyond the {bits}-bit integer range", field=field)
    return value


def check_datetime(value: dt.datetime, field: str, *, timezone: bool) -> dt.datetime:
    """`value` if it has the offset its column needs and converts to UTC, else `InvalidQuery`."""
    if value.tzinfo is None:
        if timezone:
            raise InvalidQuery(f"{field!r} needs a datetime with a timezone", field=field)
        return value
    try:
        value.astimezone(dt.UTC)  # year 1 at +14:00 has no UTC time
    except OverflowError:
        raise InvalidQuery(f"{field!r} is beyond the datetime range in UTC", field=field) from None
    return value


def _check_number(
    value: float | decimal.Decimal, field: str, digits: int | None, scale: int | None
) -> float | decimal.Decimal:
    if isinstance(value, decimal.Decimal):
        finite = value.is_finite()
        if finite and len(value.as_tuple().digits) > MAX_DECIMAL_DIGITS:
            raise InvalidQuery(f"{field!r} has too many digits", field=field)
        if finite and abs(value.adjusted()) > MAX_DECIMAL_DIGITS:
            raise InvalidQuery(f"{field!r} is beyond the decimal range", field=field)
        if finite and digits is not None and value.adjusted() >= digits:
            raise InvalidQuery(f"{field!r} has more integer digits than the column", field=field)
        exponent = value.normalize().as_tuple().exponent  # 1.500 has one place
        if finite and scale is not None and isinstance(exponent, int) and -exponent > scale:
            raise InvalidQuery(f"{field!r} has more decimal places than the column", field=field)
    else:
        finite = math.isfinite(value)
    if not finite:
        raise InvalidQuery(f"{field!r} must be a finite number", field=field)
    return value


def _integer_bits(column_type: TypeEngine[Any]) -> int:
    if isinstance(column_type, SmallInteger):
        return 16
    if isinstance(column_type, BigInteger) or not isinstance(column_type, Integer):
        return 64
    return 32


def _decimal_places(column_type: TypeEngine[Any]) -> tuple[int | None, int | None]:
    """Integer digits and decimal places a fixed-point column holds (None: not fixed)."""
    if not isinstance(column_type, Numeric) or isinstance(column_type, Float):
        return None, None
    precision, scale = column_type.precision, column_type.scale
    if precision is None:
        return None, None
    places = scale or 0
    return precision - places, places


@dataclass(frozen=True, slots=True)
class ValueType:
    """The values one column takes: its Python type and `Kind`, whether it needs a timezone,
    and the width a value must fit (integer bits; a fixed-point column's digits and places)."""

    python_type: type
    kind: Kind
    timezone: bool = False
    bits: int = 64
    digits: int | None = None
    scale: int | None = None

    @classmethod
    def of(cls, column_type: TypeEngine[Any]) -> ValueType:
        """The value type of a column of `column_type`."""
        found = python_type_of(column_type)
        impl = column_type.impl_instance if isinstance(column_type, TypeDecorator) else column_type
        digits, scale = _decimal_places(impl)
        return cls(
            found, kind_of(found), _needs_timezone(column_type), _integer_bits(impl), digits, scale
        )

    def check(self, value: Any, field: str) -> Any:
        """`value` converted to this type and checked, or `InvalidQuery` naming `field`."""
        kind = self.kind
        if kind is Kind.TEXT:
            return check_text(value, field)
        if kind is Kind.OTHER:
            return value
        converted = coerce(value, self.python_type, field)
        if kind is Kind.INTEGER:
            return check_integer(converted, field, self.bits)
        if kind is Kind.NUMBER:
            return _check_number(converted, field, self.digits, self.scale)
        if kind is Kind.DATETIME:
            return check_datetime(converted, field, timezone=self.timezone)
        return converted


def check_key(
    value_types: Sequence[ValueType], names: Sequence[str], ident: Any, model: str
) -> tuple[Any, ...] | None:
    """A primary key `ident` (a value, a tuple for a composite key, or a mapping by name)
    converted to its columns' types, or None when no row can have it (an integer beyond its
    column, text with a NUL...): such a key is simply not there, on every backend alike.

    A key of the wrong shape or type (``"abc"`` for an integer key) is `InvalidQuery`.
    """
    if isinstance(ident, Mapping):
        if set(ident) != set(names):
            raise InvalidQuery(f"{model}'s key is {', '.join(names)}")
        ident = tuple(ident[name] for name in names)
    values = ident if isinstance(ident, tuple) else (ident,)
    if len(values) != len(value_types):
        raise InvalidQuery(f"{model} has a {len(value_types)}-column key")
    checked: list[Any] = []
    for value_type, value, name in zip(value_types, values, names, strict=True):
        converted = value
        if value_type.kind is not Kind.OTHER:
            converted = coerce(value, value_type.python_type, name)
        try:
            checked.append(value_type.check(converted, name))
        except InvalidQuery:
            return None
    return tuple(checked)


def check_window(limit: Any, offset: Any, *, max_limit: int | None) -> None:
    """`InvalidQuery` unless `limit` (None: no limit) is a whole number from 1 to `max_limit`
    and `offset` one from 0 to the 64-bit maximum, the widest every backend takes."""
    if limit is not None:
        top = MAX_BIGINT if max_limit is None else min(max_limit, MAX_BIGINT)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= top:
            raise InvalidQuery(f"limit must be a whole number from 1 to {top}", field="limit")
    if isinstance(offset, bool) or not isinstance(offset, int) or not 0 <= offset <= MAX_BIGINT:
        raise InvalidQuery(f"offset must be a whole number from 0 to {MAX_BIGINT}", field="offset")
