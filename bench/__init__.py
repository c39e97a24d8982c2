"""stanchion's benchmark suite: every workload through every contender, interleaved in one run.

Run ``python -m bench`` from the repository root (``--quick`` for CI, ``--report`` to rewrite
docs/performance.md). Nothing here is part of the library.
"""
