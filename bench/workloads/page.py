"""One author's published posts, 50 per page by id, each with its author eager-loaded."""

from bench.workloads.base import Workload, author_ids

WORKLOAD = Workload(
    name="page",
    title="filtered page of 50 + eager author",
    op="page",
    ops=100,
    make_args=author_ids,
)
