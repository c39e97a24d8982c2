"""`AsyncRepository`'s forwarders are generated from `Repository` and cannot drift: the
generator's ``--check`` passes on the tree and fails on a planted edit."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

from stanchion import AsyncRepository, Repository

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "generate_async.py"
TARGET = ROOT / "src" / "stanchion" / "repository" / "_async.py"


def check(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--check", *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


def test_the_generated_forwarders_are_up_to_date() -> None:
    done = check()
    assert done.returncode == 0, done.stdout + done.stderr


def test_check_fails_when_a_forwarder_was_edited_by_hand(tmp_path: Path) -> None:
    planted = tmp_path / "_async.py"
    text = TARGET.read_text()
    edited = text.replace("limit: int = 20", "limit: int = 50", 1)
    assert edited != text
    planted.write_text(edited)
    done = check("--target", str(planted))
    assert done.returncode == 1
    assert "out of date" in done.stdout and "limit: int = 50" in done.stdout


def test_every_public_repository_method_has_an_async_twin_with_its_parameters() -> None:
    for name, method in inspect.getmembers(Repository, inspect.isfunction):
        if name.startswith("_"):
            continue
        twin = getattr(AsyncRepository, name)
        sync_parameters = list(inspect.signature(method).parameters)
        assert list(inspect.signature(twin).parameters) == sync_parameters, name
        assert inspect.iscoroutinefunction(twin) or name == "select", name
