"""A two-node Patroni cluster of the tests' own: etcd on 23790, Patroni REST on 8008/8009,
PostgreSQL on 5448/5449, all state under the clusters directory, removed afterwards.

Patroni (Debian's 3.0.2) bootstraps the primary with initdb, clones the replica, holds the
leader lock in etcd and, on a switchover, stops the primary, promotes the synchronous replica
and brings the old primary back as a read-only replica: the case pooled connections must survive.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pytest
from sqlalchemy.engine import URL, make_url

from tests import backends as backend_support
from tests.failover.clusters import DATABASE, _as_server_user, _root, require_binaries

ETCD_CLIENT, ETCD_PEER = 23790, 23791
NODES = (("node1", 5448, 8008), ("node2", 5449, 8009))


def require_patroni() -> None:
    missing = [tool for tool in ("patroni", "etcd") if shutil.which(tool) is None]
    if missing:
        reason = f"{' and '.join(missing)} not installed (Debian: patroni etcd-server)"
        if backend_support.required() >= {"postgresql"}:
            pytest.fail(reason)
        pytest.skip(reason)


def _config(root: Path, bin: Path, name: str, port: int, rest: int) -> str:
    data = root / name
    return f"""
scope: stanchion-pooler
name: {name}
restapi: {{listen: "127.0.0.1:{rest}", connect_address: "127.0.0.1:{rest}"}}
etcd: {{host: "127.0.0.1:{ETCD_CLIENT}"}}
bootstrap:
  dcs:
    ttl: 20
    loop_wait: 1
    retry_timeout: 5
    synchronous_mode: true
    postgresql:
      parameters: {{fsync: "off", shared_buffers: 16MB, max_connections: 40}}
  # no fsync while initdb and pg_basebackup write a fresh cluster: on a disk shared with the
  # suite's other servers, syncing every file can stall the bootstrap past its wait
  initdb: [{{encoding: UTF8}}, {{auth: trust}}, {{username: postgres}}, no-sync]
postgresql:
  listen: "127.0.0.1:{port}"
  connect_address: "127.0.0.1:{port}"
  data_dir: "{data}"
  basebackup: [{{checkpoint: fast}}, no-sync]
  bin_dir: "{bin}"
  pgpass: "{root}/{name}.pgpass"
  authentication:
    superuser: {{username: postgres}}
    replication: {{username: postgres}}
  parameters: {{unix_socket_directories: "{root}"}}
  pg_hba:
    - local all all trust
    - host all all 127.0.0.1/32 trust
    - host replication all 127.0.0.1/32 trust
"""


@dataclass
class PatroniCluster:
    root: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: list[IO[bytes]] = field(default_factory=list)

    def url(self, driver: str = "psycopg") -> URL:
        hosts = "&".join(f"host=127.0.0.1:{port}" for _, port, _ in NODES)
        return make_url(
            f"postgresql+{driver}://postgres@/{DATABASE}?{hosts}&target_session_attrs=read-write"
        )

    def status(self, rest: int) -> dict[str, object]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{rest}/patroni", timeout=2) as reply:
                found: dict[str, object] = json.load(reply)
                return found
        except OSError:
            return {}

    def leader(self) -> tuple[str, int] | None:
        for name, port, rest in NODES:
            if self.status(rest).get("role") in ("master", "primary"):
                return name, port
        return None

    def wait_until(self, seconds: float = 60.0) -> None:
        """Until a leader runs and Patroni names the other node its synchronous standby."""
        deadline = time.monotonic() + seconds
        members: object = None
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen("http://127.0.0.1:8008/cluster", timeout=2) as reply:
                    members = json.load(reply).get("members", [])
            except OSError:
                members = None
            if isinstance(members, list):
                roles = sorted(f"{m.get('role')}/{m.get('state')}" for m in members)
                if roles in (
                    ["leader/running", "sync_standby/streaming"],
                    ["leader/running", "sync_standby/running"],
                ):
                    return
            time.sleep(0.1)
        raise RuntimeError(f"Patroni did not settle: {members}\n{self.log_tails()}")

    def log_tails(self, lines: int = 30) -> str:
        """The last lines of etcd's and each node's log: why a cluster did not come up."""
        tails = []
        for name in ("etcd", *(node for node, _, _ in NODES)):
            path = self.root / f"{name}.log"
            text = path.read_text(errors="replace") if path.exists() else ""
            tails.append(f"--- {name}.log\n" + "\n".join(text.splitlines()[-lines:]))
        return "\n".join(tails)

    def switchover(self) -> None:
        """Ask the leader's REST API to hand over to the replica; returns when it is done."""
        found = self.leader()
        assert found is not None
        rest = next(r for name, _, r in NODES if name == found[0])
        request = urllib.request.Request(
            f"http://127.0.0.1:{rest}/switchover",
            data=json.dumps({"leader": found[0]}).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                reply.read()
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"switchover refused: {error.read().decode()}") from error

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.terminate()
        for process in reversed(self.processes):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in self.logs:
            log.close()
        shutil.rmtree(self.root, ignore_errors=True)


def start() -> PatroniCluster:
    """etcd, then both Patroni nodes; waits until a leader and a sync replica run."""
    bin = require_binaries()
    require_patroni()
    root = _root() / "patroni"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    cluster = PatroniCluster(root)
    try:
        etcd_dir = root / "etcd"
        log = open(root / "etcd.log", "wb")  # noqa: SIM115 - closed by stop()
        cluster.logs.append(log)
        client, peer = f"http://127.0.0.1:{ETCD_CLIENT}", f"http://127.0.0.1:{ETCD_PEER}"
        etcd = [
            "etcd", "--name", "stanchion-pooler", "--data-dir", str(etcd_dir),
            "--listen-client-urls", client, "--advertise-client-urls", client,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
            "--initial-cluster", f"stanchion-pooler={peer}", "--enable-v2=true",
        ]  # fmt: skip
        cluster.processes.append(subprocess.Popen(etcd, stdout=log, stderr=subprocess.STDOUT))
        _chown(root)
        for name, port, rest in NODES:
            config = root / f"{name}.yml"
            config.write_text(_config(root, bin, name, port, rest))
            _chown(root)
            node_log = open(root / f"{name}.log", "wb")  # noqa: SIM115 - closed by stop()
            cluster.logs.append(node_log)
            cluster.processes.append(
                subprocess.Popen(
                    _as_server_user(["patroni", str(config)]),
                    stdout=node_log,
                    stderr=subprocess.STDOUT,
                    # postgres must be able to enter its working directory (Patroni's worker
                    # processes chdir there): a checkout in a private (0700) directory is not
                    cwd=root,
                )
            )
            if name == NODES[0][0]:  # the first node bootstraps; then the second clones it
                _wait_for_leader(cluster)
        cluster.wait_until()
        leader = cluster.leader()
        assert leader is not None
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(leader[1]), "-U", "postgres", "-d", "postgres",
             "-Atqc", f"CREATE DATABASE {DATABASE}"],
            check=True, capture_output=True,
        )  # fmt: skip
    except BaseException:
        cluster.stop()
        raise
    return cluster


def _wait_for_leader(cluster: PatroniCluster) -> None:
    deadline = time.monotonic() + 60
    while cluster.leader() is None:
        if time.monotonic() > deadline:
            raise RuntimeError("no Patroni leader came up")
        time.sleep(0.1)


def _chown(root: Path) -> None:
    subprocess.run(["chown", "-R", "postgres", str(root)], check=False, capture_output=True)
