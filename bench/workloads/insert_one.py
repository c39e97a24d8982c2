"""Insert one item and learn its key, many times in one transaction (committed at the end)."""

from __future__ import annotations

import random

from bench.context import Context
from bench.data import item_row, items_checksum, reset_items
from bench.workloads.base import Workload


def _rows(ctx: Context, rng: random.Random, n: int) -> list[dict[str, object]]:
    return [item_row(i) for i in range(1, n + 1)]


WORKLOAD = Workload(
    name="insert_one",
    title="single insert",
    op="insert_one",
    ops=300,
    make_args=_rows,
    verify=items_checksum,
    reset=reset_items,
)
