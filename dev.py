#!/usr/bin/env python3
"""The two commands: ``python3 dev.py up`` (set up, serve the blog) and ``python3 dev.py test``.

Needs only Python 3.11+. Creates ``.venv``, installs the locked dependencies with uv, then runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def run(*args: str | os.PathLike[str], env: dict[str, str] | None = None) -> None:
    completed = subprocess.run([str(a) for a in args], cwd=ROOT, env=env)
    if completed.returncode:
        sys.exit(completed.returncode)


def setup() -> None:
    """Create the virtualenv and install stanchion with every extra, exactly as locked."""
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py runs on whatever python3 the user has
        sys.exit("stanchion needs Python 3.11 or newer")
    if not (BIN / "python").exists():
        print("creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    if not (BIN / "uv").exists():
        has_pip = subprocess.run([BIN / "python", "-m", "pip", "--version"], capture_output=True)
        if has_pip.returncode:  # a .venv made by uv comes without pip
            run(BIN / "python", "-m", "ensurepip", "--upgrade")
        run(BIN / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "uv")
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(VENV)}
    run(BIN / "uv", "sync", "--frozen", "--all-extras", "--quiet", env=env)


def up() -> None:
    setup()
    run(BIN / "blog", "up")


def test(extra: list[str]) -> None:
    setup()
    run(BIN / "python", "-m", "pytest", *extra)


def main() -> None:
    command, *rest = sys.argv[1:] or ["up"]
    if command == "up":
        up()
    elif command == "test":
        test(rest)
    elif command == "setup":
        setup()
    else:
        sys.exit("usage: python3 dev.py [up | test [pytest args] | setup]")


if __name__ == "__main__":
    main()
