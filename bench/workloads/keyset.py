"""Keyset pages vs offset pages of 50 posts by id: page 1 and page `keyset_depth` (10,000).

A keyset page continues after the previous page's last id and costs the same at any depth; an
offset page makes the database walk past every earlier row.
"""

from __future__ import annotations

import random

from bench.context import Context
from bench.workloads.base import Workload

PAGE = 50


def _deep_after(ctx: Context) -> int:
    """The last id of the page before the deep one (ids are dense, 1..N)."""
    return (ctx.sizes.keyset_depth - 1) * PAGE


def _first(ctx: Context, rng: random.Random, n: int) -> list[int | None]:
    return [None] * n


def _deep_keyset(ctx: Context, rng: random.Random, n: int) -> list[int | None]:
    return [_deep_after(ctx)] * n


def _deep_offset(ctx: Context, rng: random.Random, n: int) -> list[int]:
    return [_deep_after(ctx)] * n


def _zero(ctx: Context, rng: random.Random, n: int) -> list[int]:
    return [0] * n


WORKLOADS = [
    Workload("keyset_1", "keyset page 1", "keyset", 100, _first, family="keyset"),
    Workload("keyset_deep", "keyset page at depth", "keyset", 100, _deep_keyset, family="keyset"),
    Workload("offset_1", "offset page 1", "offset", 100, _zero, family="offset"),
    Workload(
        "offset_deep",
        "offset page at depth",
        "offset",
        4,
        _deep_offset,
        max_reps=5,
        family="offset",
    ),
]
