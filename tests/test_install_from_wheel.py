"""A new user's install: the wheel built from this repo installs into a clean venv and runs the
README's quickstart there; the install line the docs print names extras that exist."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
UV = Path(sys.executable).parent / "uv"
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
INSTALL_PAGES = [ROOT / "README.md", ROOT / "docs" / "index.md"]


def _uv(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(UV), *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=600
    )


@pytest.mark.parametrize("page", INSTALL_PAGES, ids=lambda p: p.name)
def test_docs_say_how_to_install_with_extras_that_exist(page: Path) -> None:
    text = page.read_text()
    extras = set(PROJECT["optional-dependencies"])
    lines = re.findall(r'(?:pip install|uv add) "stanchion\[([a-z,]+)\]"', text)
    assert lines, f"{page.name} never says how to install stanchion"
    for line in lines:
        assert set(line.split(",")) <= extras, line
    for extra in extras - {"all"}:
        assert f"`{extra}`" in text, f"{page.name} does not say what the {extra} extra is for"


def test_testing_extra_declares_what_the_pytest_plugin_needs() -> None:
    testing = {re.split(r"[<>=\[ ]", r)[0] for r in PROJECT["optional-dependencies"]["testing"]}
    assert {"pytest", "anyio", "httpx"} <= testing


@pytest.mark.slow
def test_wheel_installs_into_a_clean_venv_and_runs_the_quickstart(tmp_path: Path) -> None:
    assert UV.exists(), "uv is installed by dev.py setup"
    built = _uv("build", "--wheel", "--out-dir", tmp_path / "dist", ROOT)
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "dist").glob("stanchion-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        metadata = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        assert "Provides-Extra: testing" in archive.read(metadata).decode()

    venv = tmp_path / "venv"
    made = _uv("venv", "--python", sys.executable, venv)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    install: list[str | Path] = ["pip", "install", "--python", python]
    install += ["--find-links", wheel.parent, wheel]
    # The shared uv cache usually has every dependency; go online only when it does not.
    installed = _uv(*install, "--offline")
    if installed.returncode != 0:
        installed = _uv(*install)
    assert installed.returncode == 0, installed.stderr

    quickstart = ROOT / "docs" / "examples" / "quickstart.py"
    where = subprocess.run(
        [python, "-W", "error", "-c", "import stanchion; print(stanchion.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(venv), "stanchion came from the repo"
    ran = subprocess.run(
        [python, "-W", "error", quickstart], cwd=tmp_path, capture_output=True, text=True
    )
    assert ran.returncode == 0, ran.stderr
