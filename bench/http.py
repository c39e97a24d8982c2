"""The reference app under HTTP load: the blog API (examples/blog) served by uvicorn on
127.0.0.1:8102 over PostgreSQL, driven by 32 concurrent clients in a bounded loop.

A mix of its main endpoints (lists, reads by key, comments, a write); reports requests per
second and latency percentiles per endpoint. Load goes to this machine's loopback only.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg

from bench.context import Context
from stanchion.engine.backends import backend_for

HOST, PORT = "127.0.0.1", 8102
CLIENTS = 32
TIME_LIMIT = 60.0  # seconds: the loop stops by itself even if the server is slow


def blog_url(ctx: Context) -> str:
    return ctx.url.set(database=f"{ctx.url.database}_blog").render_as_string(hide_password=False)


def _blog(args: list[str], env: dict[str, str], **kw: Any) -> Any:
    tool = Path(sys.executable).with_name("blog")
    return subprocess.run([str(tool), *args], env=env, check=True, capture_output=True, **kw)


def prepare(ctx: Context, env: dict[str, str]) -> dict[str, Any]:
    """Create, migrate and seed the blog database; return the id ranges to request."""
    url = blog_url(ctx)
    blog = ctx.sqlalchemy_url(is_async=False).set(database=f"{ctx.url.database}_blog")
    admin = backend_for(blog).admin
    if not admin.database_exists(blog):
        admin.create_database(blog)
    _blog(["migrate"], env)
    users, posts = (20, 200) if ctx.quick else (200, 3_000)
    _blog(["seed", "--users", str(users), "--posts", str(posts)], env)
    with psycopg.connect(url) as conn:
        active = [r[0] for r in conn.execute("SELECT id FROM users WHERE is_active ORDER BY id")]
        row = conn.execute("SELECT min(id), max(id) FROM posts").fetchone()
    assert row is not None and active
    return {"users": active, "post_min": row[0], "post_max": row[1]}


def _requests(ids: dict[str, Any], rng: random.Random) -> tuple[str, str, str, Any]:
    """One request of the mix: (endpoint label, method, path, json body)."""
    post = rng.randint(ids["post_min"], ids["post_max"])
    user = rng.choice(ids["users"])  # active users: inactive ones may not write (401)
    pick = rng.random()
    if pick < 0.30:
        return "GET /posts/{id}", "GET", f"/posts/{post}", None
    if pick < 0.55:
        return "GET /posts (page of 20)", "GET", "/posts?limit=20", None
    if pick < 0.70:
        return "GET /posts?author_id=", "GET", f"/posts?author_id={user}&limit=20", None
    if pick < 0.85:
        return "GET /posts/{id}/comments", "GET", f"/posts/{post}/comments", None
    if pick < 0.95:
        return "GET /users/{id}", "GET", f"/users/{user}", None
    body = {"title": f"bench {rng.random():.6f}", "body": "load test", "published": True}
    return "POST /posts", "POST", "/posts", (body, user)


async def load(
    ids: dict[str, Any], total: int, limit: float = TIME_LIMIT, port: int = PORT
) -> dict[str, Any]:
    latencies: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    statuses: dict[str, int] = {}
    counter = iter(range(total))
    deadline = time.monotonic() + limit
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)

    async def client(seed: int, http: httpx.AsyncClient) -> None:
        rng = random.Random(seed)
        for _ in counter:
            if time.monotonic() > deadline:
                return
            label, method, path, payload = _requests(ids, rng)
            headers, body = {}, None
            if payload is not None:
                body, user = payload
                headers["X-User-Id"] = str(user)
            started = time.perf_counter()
            response = await http.request(method, path, json=body, headers=headers)
            latencies.setdefault(label, []).append(time.perf_counter() - started)
            if response.status_code >= 400:
                errors[label] = errors.get(label, 0) + 1
                key = f"{label} -> {response.status_code}"
                statuses[key] = statuses.get(key, 0) + 1

    base = f"http://{HOST}:{port}"
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client(i, http) for i in range(CLIENTS)))
        seconds = time.perf_counter() - started
    done = sum(len(v) for v in latencies.values())
    return {
        "requests": done,
        "seconds": seconds,
        "rps": done / seconds if seconds else 0.0,
        "errors": sum(errors.values()),
        "error_statuses": statuses,
        "endpoints": {
            label: {
                "count": len(values),
                "p50": statistics.median(values),
                "p99": sorted(values)[max(0, int(len(values) * 0.99) - 1)],
                "errors": errors.get(label, 0),
            }
            for label, values in sorted(latencies.items())
        },
    }


def run(ctx: Context) -> dict[str, Any]:
    """Serve the blog, warm it up, load it, stop it; the result as data."""
    env = {**os.environ, "DATABASE_URL": blog_url(ctx)}
    ids = prepare(ctx, env)
    tool = Path(sys.executable).with_name("blog")
    server = subprocess.Popen(
        [str(tool), "serve", "--host", HOST, "--port", str(PORT)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up()
        total = 150 if ctx.quick else 5_000
        asyncio.run(load(ids, CLIENTS * 4, 20.0))  # warm-up: pools, caches, prepared statements
        result = asyncio.run(load(ids, total))
    finally:
        stop(server)
    result["clients"] = CLIENTS
    return result


def stop(server: subprocess.Popen[bytes]) -> None:
    """Stop a server process: politely, then for good after 10 s."""
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def wait_until_up(timeout: float = 30.0, port: int = PORT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://{HOST}:{port}/health", timeout=1).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server did not start on {HOST}:{port}")
