"""The workloads: what one timed batch does, with which arguments, and what to reset before it.

Each module defines one workload (or a small family, like keyset vs offset pages) as `Workload`
values; `ALL` lists them in the order the report shows them.
"""

from __future__ import annotations

from bench.workloads import (
    bulk_insert,
    count,
    get,
    insert_one,
    keyset,
    page,
    update,
    upsert,
)
from bench.workloads.base import Workload

ALL: list[Workload] = [
    get.WORKLOAD,
    page.WORKLOAD,
    count.WORKLOAD,
    *keyset.WORKLOADS,
    insert_one.WORKLOAD,
    bulk_insert.WORKLOAD,
    upsert.WORKLOAD,
    update.WORKLOAD,
]

__all__ = ["ALL", "Workload"]
