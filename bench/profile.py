"""``python -m bench --profile stanchion:get``: one contender's batch under pyinstrument.

Shows where the time of one workload goes, library frames included, to find overhead worth
removing. Prints the call tree to the terminal.
"""

from __future__ import annotations

import asyncio
import random

from bench.contenders import all_contenders
from bench.context import Context
from bench.data import seed
from bench.workloads import ALL as WORKLOADS


def profile(ctx: Context, target: str, *, repeat: int = 5) -> str:
    """Profile contender:workload (e.g. ``stanchion-async:page``) over `repeat` batches."""
    from pyinstrument import Profiler

    contender_name, _, workload_name = target.partition(":")
    (cls,) = [c for c in all_contenders() if c.name == contender_name]
    (workload,) = [w for w in WORKLOADS if w.name == workload_name]
    seed(ctx)
    contender = cls(ctx)
    rng = random.Random(0)
    n = workload.batch_size(ctx)
    method = getattr(contender, workload.op)
    profiler = Profiler(interval=0.0002, async_mode="enabled")
    with asyncio.Runner() as loop:
        loop.run(contender.aopen()) if contender.is_async else contender.open()
        try:
            for i in range(repeat + 1):
                args = workload.make_args(ctx, rng, n)
                if workload.reset is not None:
                    workload.reset(ctx)
                if i == 1:
                    profiler.start()  # batch 0 warms up
                loop.run(method(args)) if contender.is_async else method(args)
            profiler.stop()
        finally:
            loop.run(contender.aclose()) if contender.is_async else contender.close()
    return str(profiler.output_text(unicode=True, color=False, show_all=False))
