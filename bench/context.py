"""What every contender and workload reads: the backend, its URLs, table sizes and seeded facts."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import URL, make_url

DEFAULT_URLS = {
    "postgresql": "postgresql://postgres@127.0.0.1:5432/st_bench",
    "sqlite": "",  # a file in the temp directory, see `sqlite_url`
}
SYNC_DRIVERS = {"postgresql": "psycopg", "sqlite": "pysqlite"}
ASYNC_DRIVERS = {"postgresql": "asyncpg", "sqlite": "aiosqlite"}


@dataclass(frozen=True, slots=True)
class Sizes:
    """How big the run is: seeded rows, operations per timed batch, repetitions."""

    posts: int
    authors: int
    bulk_rows: int
    upsert_rows: int
    reps: int
    scale: float  # multiplies each workload's operations per batch
    keyset_depth: int  # the deep page's number (pages of 50)

    @classmethod
    def full(cls) -> Sizes:
        return cls(1_000_000, 1_000, 100_000, 10_000, reps=11, scale=0.6, keyset_depth=10_000)

    @classmethod
    def quick(cls) -> Sizes:
        return cls(5_000, 100, 2_000, 500, reps=2, scale=0.05, keyset_depth=50)


@dataclass
class Context:
    """One run on one backend. `facts` holds values read back after seeding (cursor keys...)."""

    backend: str
    url: URL  # without driver: postgresql://... or sqlite:///...
    sizes: Sizes
    quick: bool
    facts: dict[str, int] = field(default_factory=dict)

    def sqlalchemy_url(self, *, is_async: bool) -> URL:
        drivers = ASYNC_DRIVERS if is_async else SYNC_DRIVERS
        return self.url.set(drivername=f"{self.backend}+{drivers[self.backend]}")

    @property
    def dsn(self) -> str:
        """The URL for raw drivers (libpq URI for psycopg and asyncpg)."""
        return self.url.render_as_string(hide_password=False)

    @property
    def sqlite_path(self) -> str:
        return self.url.database or ""


def sqlite_url(quick: bool) -> URL:
    folder = Path(os.environ.get("STANCHION_BENCH_DIR", tempfile.gettempdir())) / "stanchion-bench"
    folder.mkdir(parents=True, exist_ok=True)
    return make_url(f"sqlite:///{folder / ('quick.db' if quick else 'bench.db')}")


def with_driver(backend: str, given: str | None, quick: bool) -> URL:
    """The database to run on: `given`, $STANCHION_BENCH_<BACKEND>_URL, or the default."""
    text = given or os.environ.get(f"STANCHION_BENCH_{backend.upper()}_URL")
    if not text:
        if backend == "sqlite":
            return sqlite_url(quick)
        text = DEFAULT_URLS[backend]
        if quick:
            text += "_quick"
    url = make_url(text)
    return url.set(drivername=url.get_backend_name())
