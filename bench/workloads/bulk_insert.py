"""Insert 100,000 items in one call (COPY where the contender has it), then commit."""

from __future__ import annotations

import random

from bench.context import Context
from bench.data import item_row, items_checksum, reset_items
from bench.workloads.base import Workload


def _rows(ctx: Context, rng: random.Random, n: int) -> list[list[dict[str, object]]]:
    return [[item_row(i) for i in range(1, ctx.sizes.bulk_rows + 1)]]


WORKLOAD = Workload(
    name="bulk_insert",
    title="bulk insert",
    op="bulk_insert",
    ops=1,
    make_args=_rows,
    verify=items_checksum,
    reset=reset_items,
    rows_per_op=lambda ctx: ctx.sizes.bulk_rows,
    max_reps=4,
)
