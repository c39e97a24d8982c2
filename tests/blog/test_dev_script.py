"""``python3 dev.py up``, run for real: it serves where it is told and stops when it is told."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from blog.cli import cli
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.commits, pytest.mark.skipif(os.name == "nt", reason="POSIX signals")]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code < 500
    except httpx.HTTPError:
        return False


def _wait_until(predicate: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def _serving(process: subprocess.Popen[bytes], port: int) -> bool:
    _wait_until(lambda: process.poll() is not None or _answers(port), 90)
    return process.poll() is None and _answers(port)


@pytest.fixture
def seeded_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A small, already seeded blog database, so ``dev.py up`` only has to serve it."""
    url = f"sqlite:///{tmp_path}/blog.db"
    monkeypatch.setenv("DATABASE_URL", url)
    runner = CliRunner()
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    assert runner.invoke(cli, ["seed", "--users", "2", "--posts", "2"]).exit_code == 0
    return url


@pytest.fixture
def dev_up(seeded_url: str) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "dev.py"), "up", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": seeded_url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        yield process, port
    finally:
        # Whatever it started (a server it may have left behind) goes too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def test_dev_up_serves_on_the_port_it_is_given(
    dev_up: tuple[subprocess.Popen[bytes], int],
) -> None:
    process, port = dev_up
    assert _serving(process, port), "nothing answered on --port"


def test_sigterm_to_dev_up_stops_the_server(dev_up: tuple[subprocess.Popen[bytes], int]) -> None:
    process, port = dev_up
    assert _serving(process, port)
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)
    assert _wait_until(lambda: not _answers(port), 15), "the server outlived dev.py"
