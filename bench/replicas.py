"""Read replicas: the cost of routing and of a causality-token wait against a direct read, and
read throughput on the primary alone against primary + replicas.

    python -m bench.replicas [--backend postgresql|mysql] [--seconds 3] [--threads 8]

Needs the servers of .ci/servers/replicas.sh (or STANCHION_TEST_REPLICA_<BACKEND>_URLS:
primary, replica, second replica). Prints a Markdown table; docs/scale-out.md quotes one run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
from collections.abc import Callable

from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url

from stanchion import CausalityToken, Database, causality_scope

DEFAULTS = {
    "postgresql": [
        f"postgresql+psycopg://postgres@127.0.0.1:{p}/stanchion_bench" for p in (5433, 5434, 5435)
    ],
    "mysql": [f"mysql+pymysql://root@127.0.0.1:{p}/stanchion_bench" for p in (3307, 3308, 3309)],
}
READ = text("SELECT v FROM bench_replica_items WHERE id = :id")
WRITE = text("UPDATE bench_replica_items SET v = v + 1 WHERE id = 1")
ROWS = 1000


def _urls(backend: str) -> list[URL]:
    configured = os.environ.get(f"STANCHION_TEST_REPLICA_{backend.upper()}_URLS")
    urls = configured.split(",") if configured else DEFAULTS[backend]
    return [make_url(u.strip()) for u in urls]


def _prepare(primary: URL, replicas: list[URL]) -> None:
    admin = Database(primary).backend.admin
    if not admin.database_exists(primary):
        admin.create_database(primary)
    db = Database(primary)
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS bench_replica_items"))
        connection.execute(
            text("CREATE TABLE bench_replica_items (id INTEGER PRIMARY KEY, v INTEGER)")
        )
        connection.execute(
            text("INSERT INTO bench_replica_items (id, v) VALUES (:id, 0)"),
            [{"id": i} for i in range(1, ROWS + 1)],
        )
    db.dispose()
    for url in replicas:  # until the table has replicated
        replica = Database(url)
        for _ in range(300):
            try:
                with replica.engine.connect() as connection:
                    if (
                        connection.execute(
                            text("SELECT COUNT(*) FROM bench_replica_items")
                        ).scalar()
                        == ROWS
                    ):
                        break
            except Exception:  # not there yet
                pass
            time.sleep(0.05)
        replica.dispose()


def _time_us(fn: Callable[[int], object], count: int) -> float:
    started = time.perf_counter()
    for i in range(count):
        fn(i)
    return (time.perf_counter() - started) / count * 1e6


def _read(db: Database) -> Callable[[int], object]:
    def read(i: int) -> object:
        with db.transaction(read_only=True) as tx:
            return tx.session.execute(READ, {"id": i % ROWS + 1}).scalar()

    return read


def _write(db: Database) -> Callable[[int], object]:
    def write(i: int) -> object:
        with db.transaction() as tx:
            return tx.session.execute(WRITE)

    return write


class _Trips:
    """Statements and connection checkouts, on every engine of a database (load-independent)."""

    def __init__(self, db: Database) -> None:
        self.count = 0
        for engine in (db.engine, *db.replica_engines):
            event.listen(engine, "before_cursor_execute", self._one)
            event.listen(engine, "checkout", self._one)

    def _one(self, *args: object) -> None:
        self.count += 1


def latency(
    primary: URL, replicas: list[URL], count: int, rounds: int
) -> list[tuple[str, float, float]]:
    """(operation, median µs per call over interleaved rounds, statements + checkouts per call)."""
    direct = Database(replicas[0])  # no routing: the replica as the only database
    routed = Database(primary, replicas=replicas[:1], replica_wait_ms=1000)
    plain = Database(primary)
    replayed_token = routed_token(routed)
    time.sleep(0.2)  # the replica replays it long before it is used
    read_direct, read_routed = _read(direct), _read(routed)
    write_routed, write_plain = _write(routed), _write(plain)

    def read_replayed(i: int) -> object:
        with causality_scope(replayed_token):
            return read_routed(i)

    def write_then_read(i: int) -> object:
        with causality_scope():
            write_routed(i)
            return read_routed(i)

    def session_direct(i: int) -> object:
        direct.unit_session(read_only=True).close()
        return None

    def session_routed(i: int) -> object:
        routed.unit_session(read_only=True).close()
        return None

    variants: list[tuple[str, Database, Callable[[int], object]]] = [
        ("the session of a read-only unit, no replicas (no I/O)", direct, session_direct),
        (
            "the same with the routing decision (no I/O unless a check is due)",
            routed,
            session_routed,
        ),
        (
            "read-only unit of work on the replica as the only database (direct)",
            direct,
            read_direct,
        ),
        ("the same read, routed to the replica (no token)", routed, read_routed),
        ("routed read with a token the replica has replayed", routed, read_replayed),
        ("write on a database without replicas", plain, write_plain),
        ("write on a database with replicas (+ commit token)", routed, write_routed),
        ("write, then read it back with its token", routed, write_then_read),
    ]
    trips = {id(db): _Trips(db) for db in (direct, routed, plain)}
    per_call = []
    for _, db, fn in variants:
        counter = trips[id(db)]
        before = counter.count
        for i in range(20):
            fn(i)
        per_call.append((counter.count - before) / 20)
    timings: list[list[float]] = [[] for _ in variants]
    for _ in range(rounds):  # interleaved, so a busy moment hits every variant alike
        for k, (name, _, fn) in enumerate(variants):
            timings[k].append(_time_us(fn, count * 10 if "no I/O" in name else count))
    for db in (direct, routed, plain):
        db.dispose()
    return [
        (name, statistics.median(times), trip)
        for (name, _, _), times, trip in zip(variants, timings, per_call, strict=True)
    ]


def routed_token(db: Database) -> CausalityToken | None:
    with causality_scope(), db.transaction() as tx:
        tx.session.execute(WRITE)
    return tx.commit_token


def throughput(db: Database, threads: int, seconds: float) -> float:
    """Read-only units of work per second from `threads` threads."""
    stop = time.monotonic() + seconds
    done = [0] * threads
    read = _read(db)

    def worker(n: int) -> None:
        i = n
        while time.monotonic() < stop:
            read(i)
            i += threads
            done[n] += 1

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return sum(done) / seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.replicas", description=__doc__)
    parser.add_argument("--backend", choices=sorted(DEFAULTS), default="postgresql")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--count", type=int, default=100, help="calls per latency batch")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved batches per operation")
    args = parser.parse_args(argv)
    primary, *replicas = _urls(args.backend)
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    print(f"{os.cpu_count()} CPUs, load average {load} (the servers share this machine)")
    _prepare(primary, replicas)
    print(
        f"\n{args.backend}: per call, median of {args.rounds} interleaved batches of {args.count}\n"
    )
    print("| operation | µs | statements + checkouts |\n|---|---:|---:|")
    for name, value, trips in latency(primary, replicas, args.count, args.rounds):
        print(f"| {name} | {value:.0f} | {trips:g} |")
    print(
        f"\n{args.backend}: read-only units of work per second,"
        f" {args.threads} threads, {args.seconds:g} s\n"
    )
    print("| servers | reads/s |\n|---|---:|")
    settings = {"pool_size": args.threads}
    for name, db in (
        ("primary only", Database(primary, **settings)),
        (
            "primary + 1 replica (reads on the replica)",
            Database(primary, replicas=replicas[:1], **settings),
        ),
        ("primary + 2 replicas (round robin)", Database(primary, replicas=replicas, **settings)),
    ):
        print(f"| {name} | {throughput(db, args.threads, args.seconds):.0f} |")
        db.dispose()


if __name__ == "__main__":
    main()
