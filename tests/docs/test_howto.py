"""The how-to recipes' own example files (docs/examples/howto) run as the pages say.

The other recipes quote examples that tests already run (the foundation, transactions and
tutorial examples); these are the files written for the recipes alone.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from tests.docs.test_tutorial import BIN, TUTORIAL, _run

ROOT = Path(__file__).resolve().parents[2]
HOWTO = ROOT / "docs" / "examples" / "howto"


def test_multiple_databases_example_runs_twice_and_writes_nothing(tmp_path: Path) -> None:
    script = HOWTO / "multiple_databases.py"
    for _ in range(2):
        out = _run([sys.executable, "-W", "error", str(script)], tmp_path)
        assert "['order 1 placed by ada']" in out  # the rolled-back order left no audit row
    assert not list(tmp_path.iterdir())


def test_deploy_script_checks_lints_and_upgrades_the_tutorial_project(tmp_path: Path) -> None:
    project = tmp_path / "inventory"
    shutil.copytree(TUTORIAL, project, ignore=shutil.ignore_patterns("__pycache__"))
    url = f"sqlite:///{project / 'inventory.db'}"
    out = _run(["sh", str(HOWTO / "deploy.sh")], project, DATABASE_URL=url)
    assert "drift: the models match the migrations" in out and "0 findings" in out
    assert "upgraded to head" in out and "at head" in out
    assert (BIN / "stanchion").exists()


MIGRATING = ROOT / "docs" / "examples" / "migrating"
# One interpreter runs each "before" example once (their models would clash on a second run in
# the same process); they keep their databases in memory, so a second run is the same as a first.
ONCE = """
import runpy, sys
for path in sys.argv[1:]:
    runpy.run_path(path, run_name="__main__")
"""


def test_migrating_before_examples_run_as_the_guides_say(tmp_path: Path) -> None:
    scripts = sorted(str(p) for p in MIGRATING.glob("*.py"))
    assert len(scripts) == 4
    # advanced-alchemy (a benchmark peer) still calls SQLAlchemy's deprecated declarative_mixin.
    allow = "ignore:The declarative_mixin decorator:DeprecationWarning"
    out = _run([sys.executable, "-W", "error", "-W", allow, "-c", ONCE, *scripts], tmp_path)
    assert out.count("duplicate SKU: 500") == 2  # get_db and SQLModel: a taken key is a 500
    assert "DuplicateKeyError" in out and "IntegrityError" in out
    assert out.count("10 ['SKU-006', 'SKU-007', 'SKU-008', 'SKU-009', 'SKU-010']") == 2
    assert not list(tmp_path.iterdir())
