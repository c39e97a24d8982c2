"""The Conduit app (examples/conduit) under HTTP load, side by side with a hand-written
FastAPI + SQLAlchemy async peer (bench/conduit_peer.py) over the same PostgreSQL database.

Each runs in one uvicorn process on loopback; 32 concurrent clients drive one endpoint at a
time, and one server at a time, in turns (stanchion, peer, peer, stanchion) so that other load
on the machine falls on both alike: the article list and the feed with per-viewer fields, one
article, and the writes (create an article, favorite, comment).
Reports requests per second and p50/p99 latency per endpoint and the stanchion/peer ratios.

    python -m bench.conduit [--quick] [--url postgresql://postgres@127.0.0.1:5432/st_bench]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, text
from sqlalchemy.engine import URL, make_url

from stanchion import Database
from stanchion.engine.backends import backend_for

HOST, PORTS = "127.0.0.1", {"stanchion": 8767, "peer": 8768}
CLIENTS = 32
SECRET = "bench-only-secret-of-thirty-two-bytes!"
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/st_bench"
ROOT = Path(__file__).resolve().parents[1]

#: One client request: (method, path, JSON body or None).
Request = tuple[str, str, Any]


def _prepare(url: URL, quick: bool) -> dict[str, Any]:
    """Create, migrate and seed the database; return the slugs and tokens to request with."""
    from conduit.auth import Auth
    from conduit.migrate import upgrade_to_head
    from conduit.models import Article, ArticleTag, Comment, Favorite, Follow, Tag, User, metadata

    sync = url.set(drivername="postgresql+psycopg")
    admin = backend_for(sync).admin
    if admin.database_exists(sync):
        admin.drop_database(sync)
    admin.create_database(sync)
    db = Database(sync)
    users, articles = (30, 300) if quick else (300, 5_000)
    rng = random.Random(15)
    try:
        upgrade_to_head(db)
        with db.engine.begin() as conn:
            conn.execute(
                insert(User),
                [
                    {"username": f"u{i}", "email": f"u{i}@bench.test", "password_hash": "-"}
                    for i in range(1, users + 1)
                ],
            )
            conn.execute(insert(Tag), [{"name": f"tag{i}"} for i in range(1, 21)])
            conn.execute(
                insert(Follow),
                [
                    {"follower_id": u, "followee_id": f}
                    for u in range(1, users + 1)
                    for f in rng.sample(range(1, users + 1), 10)
                    if f != u
                ],
            )
            conn.execute(
                insert(Article),
                [
                    {
                        "slug": f"article-{i}",
                        "title": f"Article {i}",
                        "description": "bench",
                        "body": "text " * 50,
                        "author_id": rng.randint(1, users),
                    }
                    for i in range(1, articles + 1)
                ],
            )
            conn.execute(
                insert(ArticleTag),
                [
                    {"article_id": a, "tag_id": t, "position": p}
                    for a in range(1, articles + 1)
                    for p, t in enumerate(rng.sample(range(1, 21), 2))
                ],
            )
            pairs = {(rng.randint(1, users), rng.randint(1, articles)) for _ in range(articles * 3)}
            conn.execute(insert(Favorite), [{"user_id": u, "article_id": a} for u, a in pairs])
            conn.execute(
                insert(Comment),
                [
                    {"body": "nice", "article_id": a, "author_id": rng.randint(1, users)}
                    for a in range(1, articles + 1, 3)
                ],
            )
            conn.execute(text("ANALYZE"))
        assert set(metadata.tables) >= {"articles", "favorites"}
    finally:
        db.dispose()
    auth = Auth(secret=SECRET)
    return {"articles": articles, "tokens": [auth.token_for(u) for u in range(1, users + 1)]}


def _kinds(facts: dict[str, Any]) -> dict[str, Callable[[random.Random], Request]]:
    n = facts["articles"]

    def slug(rng: random.Random) -> str:
        return f"article-{rng.randint(1, n)}"

    return {
        "GET /articles (20, as a viewer)": lambda r: ("GET", "/api/articles?limit=20", None),
        "GET /articles/feed": lambda r: ("GET", "/api/articles/feed?limit=20", None),
        "GET /articles/{slug}": lambda r: ("GET", f"/api/articles/{slug(r)}", None),
        "POST /articles": lambda r: (
            "POST",
            "/api/articles",
            {
                "article": {
                    "title": f"Bench {r.random():.8f}",
                    "description": "d",
                    "body": "b",
                    "tagList": ["tag1", f"new{r.randint(1, 50)}"],
                }
            },
        ),
        "POST /articles/{slug}/favorite": lambda r: (
            "POST",
            f"/api/articles/{slug(r)}/favorite",
            None,
        ),
        "POST /articles/{slug}/comments": lambda r: (
            "POST",
            f"/api/articles/{slug(r)}/comments",
            {"comment": {"body": "bench comment"}},
        ),
    }


async def _load(
    port: int, make: Callable[[random.Random], Any], tokens: list[str], total: int
) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    counter = iter(range(total))
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)

    async def client(seed: int, http: httpx.AsyncClient) -> None:
        rng = random.Random(seed)
        headers = {"Authorization": f"Token {rng.choice(tokens)}"}
        for _ in counter:
            method, path, body = make(rng)
            started = time.perf_counter()
            response = await http.request(method, path, json=body, headers=headers)
            latencies.append(time.perf_counter() - started)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    async with httpx.AsyncClient(
        base_url=f"http://{HOST}:{port}", limits=limits, timeout=60
    ) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client(i, http) for i in range(CLIENTS)))
        seconds = time.perf_counter() - started
    return {"latencies": latencies, "seconds": seconds, "statuses": statuses}


def _serve(name: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    port = str(PORTS[name])
    if name == "stanchion":
        command = [str(Path(sys.executable).with_name("conduit")), "serve", "--port", port]
    else:
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.conduit_peer:app",
            "--port",
            port,
            "--no-access-log",
            "--log-level",
            "warning",
        ]
    return subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _wait_until_up(port: int, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://{HOST}:{port}/api/articles/none", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"no server came up on {HOST}:{port}")


def _summary(latencies: list[float], seconds: float, statuses: dict[int, int]) -> dict[str, Any]:
    ordered = sorted(latencies)
    return {
        "requests": len(ordered),
        "rps": len(ordered) / seconds,
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000,
        "errors": sum(n for status, n in statuses.items() if status >= 400),
        "statuses": {str(status): n for status, n in sorted(statuses.items())},
    }


#: Each endpoint is measured in this order, half the requests a turn, so a change in the
#: machine's other load during the run falls on both servers alike.
TURNS = ("stanchion", "peer", "peer", "stanchion")


def run(url: URL, quick: bool, requests: int | None = None) -> dict[str, Any]:
    """Seed, start both servers, then per endpoint: warm both up and load them in turns."""
    facts = _prepare(url, quick)
    env = {
        **os.environ,
        "DATABASE_URL": url.set(drivername="postgresql+asyncpg").render_as_string(
            hide_password=False
        ),
        "CONDUIT_JWT_SECRET": SECRET,
    }
    total = requests or (200 if quick else 3_000)
    results: dict[str, dict[str, Any]] = {}
    servers = [_serve(name, env) for name in PORTS]
    try:
        for port in PORTS.values():
            _wait_until_up(port)
        for label, make in _kinds(facts).items():
            collected: dict[str, tuple[list[float], float, dict[int, int]]] = {}
            for name in PORTS:
                asyncio.run(_load(PORTS[name], make, facts["tokens"], CLIENTS * 4))  # warm-up
            for name in TURNS:
                found = asyncio.run(_load(PORTS[name], make, facts["tokens"], total // 2))
                latencies, seconds, statuses = collected.get(name, ([], 0.0, {}))
                for status, n in found["statuses"].items():
                    statuses[status] = statuses.get(status, 0) + n
                collected[name] = (
                    latencies + found["latencies"],
                    seconds + found["seconds"],
                    statuses,
                )
            for name, (latencies, seconds, statuses) in collected.items():
                measured = _summary(latencies, seconds, statuses)
                results.setdefault(label, {})[name] = measured
                print(
                    f"  {name:9} {label:32} {measured['rps']:7.0f} req/s  "
                    f"p50 {measured['p50_ms']:6.1f} ms  p99 {measured['p99_ms']:6.1f} ms  "
                    f"statuses {measured['statuses']}",
                    flush=True,
                )
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)
    for row in results.values():
        s, p = row["stanchion"], row["peer"]
        row["ratios"] = {
            "rps": s["rps"] / p["rps"],
            "p50": s["p50_ms"] / p["p50_ms"],
            "p99": s["p99_ms"] / p["p99_ms"],
        }
    return {
        "clients": CLIENTS,
        "requests_per_endpoint": total,
        "load_average_after": os.getloadavg()[0],  # other work on the machine skews the figures
        "endpoints": results,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.conduit", description=__doc__)
    parser.add_argument("--url", default=os.environ.get("BENCH_POSTGRESQL_URL", DEFAULT_URL))
    parser.add_argument("--quick", action="store_true", help="small data, few requests")
    parser.add_argument("--requests", type=int, help="requests per endpoint and server")
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args(argv)
    base = make_url(args.url)
    url = base.set(database=f"{base.database}_conduit")
    data = run(url, args.quick, args.requests)
    print("\nendpoint                          stanchion/peer: req/s   p50    p99")
    for label, row in data["endpoints"].items():
        r = row["ratios"]
        print(f"{label:34} {r['rps']:18.2f} {r['p50']:6.2f} {r['p99']:6.2f}")
    if args.out:
        args.out.write_text(json.dumps(data, indent=2) + "\n")
    errors = sum(
        v["errors"] for row in data["endpoints"].values() for k, v in row.items() if k != "ratios"
    )
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
