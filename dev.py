#!/usr/bin/env python3
"""The two commands: ``python3 dev.py up`` (set up, serve the blog) and ``python3 dev.py test``.

Needs only Python 3.11+. Creates ``.venv``, installs the locked dependencies with uv, then runs.
``up`` passes its options on to ``blog up`` (``--host``, ``--port``); both commands replace this
process with the one they start, so Ctrl-C and SIGTERM reach the server or pytest directly.
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


def become(*args: str | os.PathLike[str]) -> None:
    """Run `args` in place of this process (signals go straight to it); a child on Windows."""
    argv = [str(a) for a in args]
    sys.stdout.flush()
    if os.name == "nt":
        sys.exit(subprocess.run(argv, cwd=ROOT).returncode)
    os.chdir(ROOT)
    os.execv(argv[0], argv)


def up(options: list[str]) -> None:
    setup()
    become(BIN / "blog", "up", *options)


def test(extra: list[str]) -> None:
    setup()
    # Both cores by default (pytest-xdist); `-n 0` or `-p no:xdist` runs in one process.
    parallel = [] if any(a.startswith("-n") or a == "no:xdist" for a in extra) else ["-n", "auto"]
    become(BIN / "python", "-m", "pytest", *parallel, *extra)


USAGE = "usage: python3 dev.py [up [--host H] [--port N] | test [pytest args] | setup]"


def main() -> None:
    command, *rest = sys.argv[1:] or ["up"]
    if command == "up":
        up(rest)
    elif command == "test":
        test(rest)
    elif command == "setup" and not rest:
        setup()
    else:
        sys.exit(USAGE)


if __name__ == "__main__":
    main()
