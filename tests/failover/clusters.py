"""PostgreSQL primary/standby pairs of the tests' own, on ports 5440-5449, made and removed here.

Each pair is a fresh primary (copied from a cluster made once per worker with ``initdb``) and a
streaming standby of it (``pg_basebackup -R``), with synchronous replication, so a commit the
client saw is on the standby too and a promoted standby has every acknowledged transfer. The
machine's own server (5432) is never touched. As root, the servers run as the postgres user.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.engine import URL, make_url

from stanchion.testing.databases import worker_id
from tests import backends as backend_support

#: All cluster state lives here in CI (.ci/servers/pooler.sh makes it); elsewhere, a temp dir.
CI_ROOT = Path("/var/tmp/stanchion-ci/pooler/clusters")
FIRST_PORT = 5440
DATABASE = "failover"


def bindir() -> Path | None:
    """The newest PostgreSQL server binaries (Debian's layout), or None when not installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _version(path: str) -> int:
    part = Path(path).parent.parent.name
    return int(part) if part.isdigit() else 0


def require_binaries() -> Path:
    """The binaries, or skip with the reason (a failure where every server is required)."""
    found = bindir()
    if found is None:
        reason = "PostgreSQL server binaries (initdb, pg_ctl) not found: no failover pair"
        if backend_support.required() >= {"postgresql"}:
            pytest.fail(reason)
        pytest.skip(reason)
    return found


def _as_server_user(command: list[str]) -> list[str]:
    """`command` run as postgres when we are root (initdb and postgres refuse root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


def _root() -> Path:
    if CI_ROOT.is_dir() and os.access(CI_ROOT, os.W_OK):
        return CI_ROOT
    return Path(tempfile.gettempdir()) / "stanchion-failover"


def _ports() -> tuple[int, int]:
    """Two ports per xdist worker (gw0: 5440/5441 ... gw3: 5446/5447; Patroni has 5448/5449)."""
    worker = worker_id()
    index = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0
    if index > 3:
        pytest.skip("the failover pairs have ports for four xdist workers (5440-5447)")
    base = FIRST_PORT + 2 * index
    return base, base + 1


@dataclass
class Server:
    """One PostgreSQL server of a pair: its data directory and port."""

    bin: Path
    data: Path
    port: int

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = _as_server_user([str(self.bin / args[0]), *args[1:]])
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        if check and done.returncode:
            raise RuntimeError(f"{args[0]} failed: {done.stdout}{done.stderr}")
        return done

    def start(self, *settings: str) -> None:
        options = " ".join(
            [f"-p {self.port}", f"-k {self.data}", "-c listen_addresses=127.0.0.1", *settings]
        )
        self.run("pg_ctl", "-D", str(self.data), "-l", f"{self.data}.log", "-w", "-o", options,
                 "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def promote(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-w", "promote")

    def sql(self, statement: str, database: str = "postgres") -> str:
        done = self.run(
            "psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database,
            "-Atqc", statement,
        )  # fmt: skip
        return done.stdout.strip()


@dataclass
class Pair:
    """A primary and its synchronous streaming standby; `url` lists both, read-write target."""

    primary: Server
    standby: Server

    def url(self, driver: str = "psycopg") -> URL:
        hosts = "&".join(f"host=127.0.0.1:{s.port}" for s in (self.primary, self.standby))
        return make_url(
            f"postgresql+{driver}://postgres@/{DATABASE}?{hosts}&target_session_attrs=read-write"
        )

    def remove(self) -> None:
        for server in (self.primary, self.standby):
            server.stop("immediate")
            shutil.rmtree(server.data, ignore_errors=True)
            Path(f"{server.data}.log").unlink(missing_ok=True)


def _template(bin: Path, root: Path) -> Path:
    """A stopped, configured primary cluster, made once per worker and copied for each pair."""
    template = root / f"template-{worker_id()}"
    if (template / "PG_VERSION").is_file():
        return template
    shutil.rmtree(template, ignore_errors=True)
    Server(bin, template, 0).run(
        "initdb", "-D", str(template), "-U", "postgres", "--auth=trust", "-E", "UTF8",
        "--no-sync", "--no-instructions",
    )  # fmt: skip
    with open(template / "postgresql.conf", "a", encoding="utf-8") as conf:
        conf.write(
            "\n# stanchion failover tests\n"
            "wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\n"
            "synchronous_standby_names = '*'\nsynchronous_commit = on\n"
            "fsync = off\nshared_buffers = 16MB\nmax_connections = 40\n"
        )
    return template


def make_pair() -> Pair:
    """Start a fresh primary and a synchronous standby of it, with database `DATABASE`."""
    bin = require_binaries()
    root = _root()
    root.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    template = _template(bin, root)
    first, second = _ports()
    primary = Server(bin, root / f"primary-{first}", first)
    standby = Server(bin, root / f"standby-{second}", second)
    for server in (primary, standby):  # left over by an interrupted run
        server.stop("immediate")
        shutil.rmtree(server.data, ignore_errors=True)
    subprocess.run(["cp", "-a", str(template), str(primary.data)], check=True)
    pair = Pair(primary, standby)
    try:
        primary.start()
        primary.run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(first), "-U", "postgres",
            "-D", str(standby.data), "-R", "-X", "stream", "-c", "fast", "--no-sync",
        )  # fmt: skip
        # Promoted, the standby has no standby of its own: it must not wait for one.
        standby.start("-c synchronous_standby_names=")
        primary.sql(f"CREATE DATABASE {DATABASE}")
        _wait_streaming(primary)
    except BaseException:
        pair.remove()
        raise
    return pair


def _wait_streaming(primary: Server) -> None:
    query = "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'"
    for _ in range(100):
        if primary.sql(query) == "1":
            return
        time.sleep(0.05)
    raise RuntimeError("the standby did not start streaming")
