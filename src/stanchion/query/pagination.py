"""Pages: offset pages with a total, and keyset pages with opaque cursors.

A keyset page continues after the last row's sort values, so it costs the same at any depth
and does not skip or repeat rows when others are inserted meanwhile.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import decimal
import enum
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, and_, literal, or_, tuple_

from stanchion.errors import InvalidQuery
from stanchion.query.ordering import SortKey
from stanchion.query.values import Kind, ValueType

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
#
# A cursor is ``<payload>`` or, signed, ``<payload>.<signature>``: the payload is base64url
# JSON ``{"c": CURSOR_VERSION, "s": [sort keys], "v": [tagged values]}``, the signature a
# base64url HMAC-SHA256 of the payload's text. Decoding checks, in this order: length, form,
# signature, version, sort, then each value against its column like any filter value.

#: The cursor format; a cursor of another version is refused (clients start from page one).
CURSOR_VERSION = 1
#: The longest cursor accepted: a real one is far shorter (a few values), and the limit keeps a
#: forged megabyte (or JSON nested a million deep) away from the decoder.
MAX_CURSOR_LENGTH = 2048
_SIGNATURE = "."

_PARSERS: dict[str, Callable[[str], Any]] = {
    "dt": dt.datetime.fromisoformat,
    "d": dt.date.fromisoformat,
    "t": dt.time.fromisoformat,
    "u": uuid.UUID,
    "n": decimal.Decimal,
}


class CursorSigner:
    """Signs keyset cursors with HMAC-SHA256 so a client cannot forge or edit one.

    The first key signs; every key verifies, so a key can be rotated without breaking the
    cursors clients hold: put the new key first, keep the old one until its cursors expire.
    """

    __slots__ = ("_keys",)

    def __init__(self, keys: Sequence[str | bytes]) -> None:
        encoded = [k.encode() if isinstance(k, str) else bytes(k) for k in keys]
        if not encoded or not all(encoded):
            raise ValueError("a cursor signer needs at least one non-empty key")
        self._keys = tuple(encoded)

    def __repr__(self) -> str:  # never the keys themselves
        return f"CursorSigner(<{len(self._keys)} key(s)>)"

    def sign(self, payload: str) -> str:
        """The signature of `payload` under the signing (first) key."""
        return _b64(hmac.digest(self._keys[0], payload.encode(), hashlib.sha256))

    def verify(self, payload: str, signature: str) -> bool:
        """Whether `signature` is `payload`'s under any of the keys (constant-time compare)."""
        given = signature.encode()
        return any(
            hmac.compare_digest(
                given, _b64(hmac.digest(key, payload.encode(), hashlib.sha256)).encode()
            )
            for key in self._keys
        )


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _pack(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        tag = "dt" if isinstance(value, dt.datetime) else "d" if isinstance(value, dt.date) else "t"
        return {tag: value.isoformat()}
    if isinstance(value, (uuid.UUID, decimal.Decimal)):
        return {"u" if isinstance(value, uuid.UUID) else "n": str(value)}
    if isinstance(value, enum.Enum):
        return _pack(value.value)
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


def encode_cursor(
    keys: Sequence[SortKey], values: Sequence[Any], *, signer: CursorSigner | None = None
) -> str:
    """An opaque cursor for the row with `values` under sort `keys`, signed by `signer`."""
    document = {"c": CURSOR_VERSION, "s": [str(k) for k in keys], "v": [_pack(v) for v in values]}
    payload = _b64(json.dumps(document, separators=(",", ":")).encode())
    return payload if signer is None else f"{payload}{_SIGNATURE}{signer.sign(payload)}"


def _malformed() -> InvalidQuery:
    return InvalidQuery("malformed page cursor", field="cursor")


def decode_cursor(
    cursor: str,
    keys: Sequence[SortKey],
    value_types: Sequence[ValueType] | None = None,
    *,
    signer: CursorSigner | None = None,
) -> list[Any]:
    """The sort values inside `cursor`, each checked as its column's filter values are
    (`value_types`, one per key); `InvalidQuery` (``field == "cursor"``) when the cursor is
    malformed, unsigned or badly signed where `signer` is set, signed where it is not, of
    another version or sort, or carries a value its column cannot take."""
    if not isinstance(cursor, str) or len(cursor) > MAX_CURSOR_LENGTH:
        raise _malformed()
    payload, dot, signature = cursor.partition(_SIGNATURE)
    if signer is None and dot:
        raise InvalidQuery("the cursor is signed, but no cursor key is configured", field="cursor")
    if signer is not None and not (dot and signer.verify(payload, signature)):
        raise InvalidQuery("the cursor's signature does not match", field="cursor")
    try:
        padded = payload + "=" * (-len(payload) % 4)
        document = json.loads(base64.urlsafe_b64decode(padded.encode()))
        version, sort, packed = document["c"], document["s"], document["v"]
        if not isinstance(packed, list):
            raise TypeError
        values = [_unpack(v) for v in packed]
    # ArithmeticError: decimal's refusal of a non-number; RecursionError: JSON nested deep
    except (ValueError, KeyError, TypeError, ArithmeticError, RecursionError, binascii.Error):
        raise _malformed() from None
    if version != CURSOR_VERSION or isinstance(version, bool):
        raise InvalidQuery(
            "the cursor is of another version: start from the first page", field="cursor"
        )
    if sort != [str(k) for k in keys] or len(values) != len(keys):
        raise InvalidQuery("the cursor belongs to a different sort order", field="cursor")
    if any(v is None for v in values):
        raise InvalidQuery("cannot continue a keyset page past a null sort value", field="cursor")
    if value_types is None:
        return values
    return [_checked(v, t, k) for v, t, k in zip(values, value_types, keys, strict=True)]


def _checked(value: Any, value_type: ValueType, key: SortKey) -> Any:
    """A cursor value of exactly its column's type, held to what the column takes."""
    target = value_type.python_type
    if isinstance(value, dt.datetime) and value.tzinfo is None and value_type.timezone:
        value = value.replace(tzinfo=dt.UTC)  # written by a driver that returns naive UTC
    if value_type.kind is Kind.ENUM:
        accepted: tuple[type, ...] = (str, int)
    elif target is float:
        accepted = (int, float)
    else:
        accepted = (target,)
    wrong_type = target is not object and (
        isinstance(value, bool) != issubclass(target, bool) or not isinstance(value, accepted)
    )
    if wrong_type or (target is dt.date and isinstance(value, dt.datetime)):
        raise InvalidQuery(
            f"the cursor's value for {key.field!r} is not of its type", field="cursor"
        )
    try:
        return value_type.check(value, key.field)
    except InvalidQuery as error:
        raise InvalidQuery(f"the cursor's value: {error}", field="cursor") from None


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
