"""The documented commands: ``conduit migrate`` (idempotent, its own default SQLite file) and
``conduit up``, which migrates and serves the API in one go."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from conduit.cli import cli
from typer.testing import CliRunner


def test_migrate_uses_its_own_sqlite_file_by_default_and_can_run_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    runner = CliRunner()
    for _ in range(2):
        result = runner.invoke(cli, ["migrate"])
        assert result.exit_code == 0, result.output
        assert "schema up to date" in result.output
    assert (tmp_path / "conduit.db").exists() and not (tmp_path / "stanchion.db").exists()


def test_up_migrates_and_serves_the_api(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "CONDUIT_"))}
    tool = Path(sys.executable).with_name("conduit")
    server = subprocess.Popen(
        [str(tool), "up", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/api/tags", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "conduit up did not serve within 60 s"
                time.sleep(0.2)
        assert response.status_code == 200 and response.json() == {"tags": []}
        name = f"cli{port}"
        user = {"username": name, "email": f"{name}@example.com", "password": "password123"}
        registered = httpx.post(
            f"http://127.0.0.1:{port}/api/users", json={"user": user}, timeout=10
        )
        token = registered.json()["user"]["token"]
        me = httpx.get(
            f"http://127.0.0.1:{port}/api/user", headers={"Authorization": f"Token {token}"}
        )
        assert me.status_code == 200  # the generated signing key works
    finally:
        server.terminate()
        server.wait(timeout=20)
        if server.stderr:
            server.stderr.close()
    assert (tmp_path / "conduit.db").exists()
