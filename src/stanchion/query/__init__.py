"""Query building, pure and free of I/O: filters, ordering, offset and keyset pagination."""

from stanchion._exports import present_as_public as _present_as_public
from stanchion.query.filters import (
    OPERATORS,
    FilterField,
    FilterPlan,
    Operator,
    build_filters,
    escape_like,
    plan_filters,
)
from stanchion.query.ordering import SortKey, parse_sort, resolve_sort
from stanchion.query.pagination import (
    CursorSigner,
    KeysetPage,
    OffsetPage,
    decode_cursor,
    encode_cursor,
)

__all__ = [
    "OPERATORS",
    "CursorSigner",
    "FilterField",
    "FilterPlan",
    "KeysetPage",
    "OffsetPage",
    "Operator",
    "SortKey",
    "build_filters",
    "decode_cursor",
    "encode_cursor",
    "escape_like",
    "parse_sort",
    "plan_filters",
    "resolve_sort",
]

_present_as_public(__name__, globals(), __all__)
