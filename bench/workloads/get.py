"""Get one post by primary key (a fresh id each time: no identity-map hits)."""

from bench.workloads.base import Workload, distinct_ids

WORKLOAD = Workload(
    name="get",
    title="get by primary key",
    op="get",
    ops=400,
    make_args=distinct_ids,
)
