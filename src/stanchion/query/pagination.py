"""Pages: offset pages with a total, and keyset pages with opaque cursors.

A keyset page continues after the last row's sort values, so it costs the same at any depth
and does not skip or repeat rows when others are inserted meanwhile.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import decimal
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, and_, literal, or_, tuple_

from stanchion.errors import InvalidQuery
from stanchion.query.ordering import SortKey

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class OffsetPage(Generic[T]):
    """One page by position: the items, the total count, and where the page starts."""

    items: list[T]
    total: int
    limit: int
    offset: int

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.items) < self.total


@dataclass(frozen=True, slots=True)
class KeysetPage(Generic[T]):
    """One page by key: the items and the cursor that continues after the last one (or None)."""

    items: list[T]
    limit: int
    next_cursor: str | None = None
    sort: list[str] = field(default_factory=list)


# ----- cursors: the last row's sort values, tagged with their types, base64url JSON -----

_PARSERS: dict[str, Callable[[str], Any]] = {
    "dt": dt.datetime.fromisoformat,
    "d": dt.date.fromisoformat,
    "u": uuid.UUID,
    "n": decimal.Decimal,
}


def _pack(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return {"dt" if isinstance(value, dt.datetime) else "d": value.isoformat()}
    if isinstance(value, (uuid.UUID, decimal.Decimal)):
        return {"u" if isinstance(value, uuid.UUID) else "n": str(value)}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise InvalidQuery(f"cannot page by a value of type {type(value).__name__}")


def _unpack(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        ((tag, text),) = value.items()
        parse = _PARSERS.get(tag)
        if parse is not None and isinstance(text, str):
            return parse(text)
        raise ValueError("unknown cursor value")
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise ValueError("unknown cursor value")


def encode_cursor(keys: Sequence[SortKey], values: Sequence[Any]) -> str:
    """An opaque cursor for the row with `values` under sort `keys`."""
    payload = {"s": [str(k) for k in keys], "v": [_pack(v) for v in values]}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str, keys: Sequence[SortKey]) -> list[Any]:
    """The sort values inside `cursor`; `InvalidQuery` if it is malformed or for another sort."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        values = [_unpack(v) for v in payload["v"]]
        sort = payload["s"]
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InvalidQuery("malformed page cursor", field="cursor") from None
    if sort != [str(k) for k in keys] or len(values) != len(keys):
        raise InvalidQuery("the cursor belongs to a different sort order", field="cursor")
    if any(v is None for v in values):
        raise InvalidQuery("cannot continue a keyset page past a null sort value", field="cursor")
    return values


def after(
    columns: Sequence[Any], keys: Sequence[SortKey], values: Sequence[Any]
) -> ColumnElement[bool]:
    """Rows strictly after `values` in the order `keys`.

    One direction: a row-value comparison ``(a, b) > (x, y)``, which an index on (a, b) serves
    directly. Mixed directions: ``(a > x) OR (a = x AND b < y) ...``, led by ``a >= x`` so the
    planner can still range-scan the first column.
    """
    if len({k.descending for k in keys}) == 1:
        # Bind each value with its column's type (time zones, UUID storage, ...).
        row = tuple_(*columns)
        bound = tuple_(
            *(
                v if isinstance(v, ColumnElement) else literal(v, c.type)
                for c, v in zip(columns, values, strict=True)
            )
        )
        return row < bound if keys[0].descending else row > bound
    terms: list[ColumnElement[bool]] = []
    for i, (column, key) in enumerate(zip(columns, keys, strict=True)):
        beyond = column < values[i] if key.descending else column > values[i]
        equal = [columns[j] == values[j] for j in range(i)]
        terms.append(and_(*equal, beyond) if equal else beyond)
    lead = columns[0] <= values[0] if keys[0].descending else columns[0] >= values[0]
    return and_(lead, or_(*terms))
