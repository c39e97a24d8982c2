"""The runner: every workload through every contender, interleaved, warmed up, medians kept.

For each workload and repetition, all contenders run the same arguments one after the other,
in an order rotated each repetition (so none always runs first or last on a noisy machine).
Repetition 0 is a warm-up and is not recorded. Each batch's checksum must match the others'.
"""

from __future__ import annotations

import asyncio
import gc
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.contenders import Contender
from bench.context import Context
from bench.data import seed
from bench.workloads import Workload


@dataclass
class Cell:
    """One contender on one workload: seconds per operation for each recorded repetition."""

    times: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # this process's CPU seconds per operation
    error: str | None = None

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) if self.times else None

    @property
    def cpu_median(self) -> float | None:
        return statistics.median(self.cpu) if self.cpu else None


@dataclass
class RunResult:
    ctx: Context
    contenders: list[Contender]
    workloads: list[Workload]
    cells: dict[str, dict[str, Cell]] = field(default_factory=dict)
    mismatches: list[str] = field(default_factory=list)
    started: float = 0.0
    seconds: float = 0.0


def _rotate(items: Sequence[Contender], k: int) -> list[Contender]:
    k %= max(1, len(items))
    return [*items[k:], *items[:k]]


Timing = tuple[float, float, Any]  # wall seconds, CPU seconds, the batch's checksum


def _timed_sync(contender: Contender, op: str, args: list[Any]) -> Timing:
    method = getattr(contender, op)
    cpu, started = time.process_time(), time.perf_counter()
    result = method(args)
    return time.perf_counter() - started, time.process_time() - cpu, result


async def _async_timed(contender: Contender, op: str, args: list[Any]) -> Timing:
    method = getattr(contender, op)
    cpu, started = time.process_time(), time.perf_counter()
    result = await method(args)
    return time.perf_counter() - started, time.process_time() - cpu, result


def run(
    ctx: Context,
    contender_classes: Sequence[type[Contender]],
    workloads: Sequence[Workload],
    *,
    progress: Callable[[str], None] = print,
) -> RunResult:
    """Seed, open every contender, run every workload, close everything; never raises on a
    contender's failure (it is recorded in its cell)."""
    seed(ctx)
    result = RunResult(ctx, [cls(ctx) for cls in contender_classes], list(workloads))
    result.started = time.time()
    with asyncio.Runner() as loop:
        for c in result.contenders:
            loop.run(c.aopen()) if c.is_async else c.open()
        gc.collect()
        gc.freeze()  # long-lived objects out of the collector's way: per-batch collects stay cheap
        try:
            for family in _families(workloads):
                _run_family(result, family, loop, progress)
        finally:
            for c in result.contenders:
                loop.run(c.aclose()) if c.is_async else c.close()
            gc.unfreeze()
    result.seconds = time.time() - result.started
    return result


def _families(workloads: Sequence[Workload]) -> list[list[Workload]]:
    """Consecutive workloads of one `family` run together, batch after batch per contender."""
    groups: list[list[Workload]] = []
    for w in workloads:
        if groups and w.family is not None and groups[-1][0].family == w.family:
            groups[-1].append(w)
        else:
            groups.append([w])
    return groups


def _run_family(
    result: RunResult,
    family: list[Workload],
    loop: asyncio.Runner,
    progress: Callable[[str], None],
) -> None:
    """Run `family`'s workloads interleaved: in each repetition every contender runs each of
    them back to back, so their times pair up (page 1 against the deep page, say)."""
    ctx = result.ctx
    reps = min(ctx.sizes.reps, *(w.max_reps or ctx.sizes.reps for w in family))
    actives = {w.name: [c for c in result.contenders if c.supports(w.op)] for w in family}
    for w in family:
        result.cells[w.name] = {c.name: Cell() for c in actives[w.name]}
    rngs = {w.name: random.Random(w.name) for w in family}
    everyone = [c for c in result.contenders if any(c in a for a in actives.values())]
    started = time.perf_counter()
    for rep in range(-1, reps):  # -1: warm-up
        args = {w.name: w.make_args(ctx, rngs[w.name], w.batch_size(ctx)) for w in family}
        checks: dict[str, dict[str, Any]] = {w.name: {} for w in family}
        for c in _rotate(everyone, rep + 1):
            for w in family:
                cell = result.cells[w.name].get(c.name)
                if cell is None or cell.error is not None:
                    continue
                _run_batch(result, w, c, cell, args[w.name], rep, checks[w.name], loop, progress)
        for w in family:
            if len(set(checks[w.name].values())) > 1:
                result.mismatches.append(f"{w.name} rep {rep}: {checks[w.name]}")
                progress(f"  ! {w.name} rep {rep}: results differ: {checks[w.name]}")
    names = ", ".join(f"{w.name} ({w.batch_size(ctx)} op)" for w in family)
    progress(f"  {names} x {reps} rep(s), {time.perf_counter() - started:.1f}s")


def _run_batch(
    result: RunResult,
    w: Workload,
    c: Contender,
    cell: Cell,
    args: list[Any],
    rep: int,
    checks: dict[str, Any],
    loop: asyncio.Runner,
    progress: Callable[[str], None],
) -> None:
    ctx = result.ctx
    n = len(args)
    if w.reset is not None:
        w.reset(ctx)
    gc.collect()
    try:
        if c.is_async:
            seconds, cpu, value = loop.run(_async_timed(c, w.op, args))
        else:
            seconds, cpu, value = _timed_sync(c, w.op, args)
    except Exception as error:  # recorded, reported, and the run goes on
        cell.error = f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"
        progress(f"  ! {w.name} / {c.name}: {cell.error}")
        return
    checks[c.name] = w.verify(ctx) if w.verify is not None else value
    if rep >= 0:
        cell.times.append(seconds / n)
        cell.cpu.append(cpu / n)
