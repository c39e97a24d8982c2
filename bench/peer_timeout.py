"""The cost of the bound on a silent server (``peer_timeout_s``): a one-statement read-only
unit of work with the bound off and on, interleaved in one process, CPU time, paired ratios.

    python -m bench.peer_timeout [--url postgresql+psycopg://...] [--ops 1000] [--reps 7]

PostgreSQL is where the bound is stanchion's own (a watchdog arms every driver call); MySQL's
drivers bound reads themselves. docs/transactions.md quotes a run.
"""

from __future__ import annotations

import argparse
import statistics
import time

from sqlalchemy import text

from stanchion import Database

SELECT_ONE = text("SELECT 1")


def _one_read(db: Database) -> None:
    with db.transaction(read_only=True) as tx:
        tx.session.execute(SELECT_ONE).scalar_one()


def _cpu_ms(db: Database, ops: int) -> float:
    started = time.process_time()
    for _ in range(ops):
        _one_read(db)
    return (time.process_time() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--ops", type=int, default=1000)
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args()
    databases = {"off": Database(args.url, peer_timeout_s=0), "on": Database(args.url)}
    try:
        for db in databases.values():
            _cpu_ms(db, args.ops // 5)  # warm-up: connections, statement caches
        runs: dict[str, list[float]] = {name: [] for name in databases}
        for rep in range(args.reps):
            order = list(databases) if rep % 2 else list(databases)[::-1]
            for name in order:
                runs[name].append(_cpu_ms(databases[name], args.ops))
        paired = statistics.median(
            on / off for on, off in zip(runs["on"], runs["off"], strict=True)
        )
        for name, values in runs.items():
            per_op = statistics.median(values) * 1000 / args.ops
            print(f"bound {name}: {per_op:.1f} µs CPU per unit of work")
        print(f"on ÷ off (paired, median of {args.reps}): {paired:.3f}")
    finally:
        for db in databases.values():
            db.dispose()


if __name__ == "__main__":
    main()
