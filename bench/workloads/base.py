"""`Workload`: one operation measured across contenders, with its arguments and reset step."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.context import Context


@dataclass(frozen=True)
class Workload:
    """`op` names the contender method; `make_args` gives one argument per operation.

    `reset` runs (untimed) before every contender's batch, so writes start from the same state.
    `rows_per_op` turns per-operation time into throughput for bulk workloads.
    """

    name: str
    title: str
    op: str
    ops: int  # operations per batch in a full run (scaled down in --quick)
    make_args: Callable[[Context, random.Random, int], list[Any]]
    reset: Callable[[Context], None] | None = None
    rows_per_op: Callable[[Context], int] | None = None
    verify: Callable[[Context], int] | None = None  # checksum read from the database after
    max_reps: int | None = None  # fewer repetitions for long batches (bulk writes, deep offsets)
    family: str | None = None  # workloads of one family run interleaved, for paired ratios

    def batch_size(self, ctx: Context) -> int:
        return max(1, round(self.ops * ctx.sizes.scale)) if self.ops > 1 else 1


def distinct_ids(ctx: Context, rng: random.Random, n: int) -> list[int]:
    """`n` distinct post ids, so no contender answers from an identity map."""
    return rng.sample(range(1, ctx.facts["max_post_id"] + 1), n)


def author_ids(ctx: Context, rng: random.Random, n: int) -> list[int]:
    return [rng.randint(1, ctx.sizes.authors) for _ in range(n)]
