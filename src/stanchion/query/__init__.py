"""Query building, pure and free of I/O: filters, ordering, offset and keyset pagination."""

from stanchion.query.filters import OPERATORS, build_filters, escape_like
from stanchion.query.ordering import SortKey, parse_sort, resolve_sort
from stanchion.query.pagination import KeysetPage, OffsetPage, decode_cursor, encode_cursor

__all__ = [
    "OPERATORS",
    "KeysetPage",
    "OffsetPage",
    "SortKey",
    "build_filters",
    "decode_cursor",
    "encode_cursor",
    "escape_like",
    "parse_sort",
    "resolve_sort",
]
