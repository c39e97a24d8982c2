"""Change one post's view count by key (read it, set the field, flush), then commit."""

from __future__ import annotations

import random

from bench.context import Context
from bench.workloads.base import Workload, distinct_ids


def _args(ctx: Context, rng: random.Random, n: int) -> list[tuple[int, int]]:
    return [(i, rng.randint(0, 9_999)) for i in distinct_ids(ctx, rng, n)]


WORKLOAD = Workload(
    name="update",
    title="update by key",
    op="update",
    ops=200,
    make_args=_args,
)
