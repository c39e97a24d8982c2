"""Count one author's posts (an index-only count of ~1,000 rows in the full run)."""

from bench.workloads.base import Workload, author_ids

WORKLOAD = Workload(
    name="count",
    title="count (filtered)",
    op="count",
    ops=200,
    make_args=author_ids,
)
