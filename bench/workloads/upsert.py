"""Upsert 10,000 items by primary key: half update existing rows, half are new.

By primary key because that is the conflict target every contender supports (FastCRUD's
`upsert_multi` only matches on the key).
"""

from __future__ import annotations

import random

from bench.context import Context
from bench.data import item_row, items_checksum, reset_items
from bench.workloads.base import Workload


def _reset(ctx: Context) -> None:
    reset_items(ctx, keep=ctx.sizes.upsert_rows // 2)


def _rows(ctx: Context, rng: random.Random, n: int) -> list[list[dict[str, object]]]:
    rows = []
    for i in range(1, ctx.sizes.upsert_rows + 1):
        row = {"id": i, **item_row(i)}
        row["qty"] = int(row["qty"]) + 1
        row["name"] = f"Item {i} (v2)"
        rows.append(row)
    return [rows]


WORKLOAD = Workload(
    name="upsert",
    title="upsert",
    op="upsert",
    ops=1,
    make_args=_rows,
    verify=items_checksum,
    reset=_reset,
    rows_per_op=lambda ctx: ctx.sizes.upsert_rows,
    max_reps=5,
)
