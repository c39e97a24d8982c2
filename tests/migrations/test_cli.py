"""`stanchion db` end to end: a user adds a column and is told what is safe to deploy."""

from __future__ import annotations

import json
import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stanchion.cli import app
from stanchion.migrations.exit_codes import ExitCode

pytestmark = pytest.mark.commits

MODELS = """
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from stanchion.models import NAMING_CONVENTION, IntegerPK
from stanchion.models.base import TYPE_MAP


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = TYPE_MAP


class Note(Base, IntegerPK):
    __tablename__ = "notes"
    body: Mapped[str]
{extra}
"""

runner = CliRunner()


def stanchion(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, str]]:
    module = f"notes_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{module}.py").write_text(MODELS.format(extra=""))
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "notes"\nversion = "0"\n')
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'app.db'}")
    yield tmp_path, module
    sys.modules.pop(module, None)


def test_add_a_column_then_revision_check_and_lint(project: tuple[Path, str]) -> None:
    root, module = project
    pyproject = str(root / "pyproject.toml")
    code, out = stanchion(
        "db", "init", "--pyproject", pyproject, "--metadata", f"{module}:Base.metadata"
    )
    assert code == 0, out
    assert (root / "migrations" / "env.py").exists()
    assert f'metadata = "{module}:Base.metadata"' in (root / "pyproject.toml").read_text()

    code, out = stanchion("db", "revision", "--autogenerate", "-m", "create notes", "-c", pyproject)
    assert code == 0, out
    assert stanchion("db", "upgrade", "-c", pyproject)[0] == 0

    # The user adds a NOT NULL column to the model.
    extra = "    priority: Mapped[int] = mapped_column(index=True)"
    (root / f"{module}.py").write_text(MODELS.format(extra=extra))
    sys.modules.pop(module, None)
    code, out = stanchion("db", "check", "-c", pyproject)
    assert code == ExitCode.DRIFT, out
    assert "op.add_column('notes', sa.Column('priority'" in out

    code, out = stanchion("db", "revision", "--autogenerate", "-m", "add priority", "-c", pyproject)
    assert code == 0, out
    (written,) = (root / "migrations" / "versions").glob("*add_priority.py")
    source = written.read_text()
    assert (
        "op.create_index_concurrently(op.f('ix_notes_priority'), 'notes', ['priority'])" in source
    )
    assert "op.drop_index_concurrently(op.f('ix_notes_priority'), 'notes')" in source
    code, out = stanchion("db", "check", "-c", pyproject, "--format", "json")
    assert code == ExitCode.OK
    assert [c["name"] for c in json.loads(out)["checks"] if c["ok"]] == [
        "single-head",
        "upgrade",
        "drift",
        "round-trip",
    ]

    code, out = stanchion("db", "lint", "-c", pyproject, "--format", "json")
    assert code == ExitCode.LINT_FINDINGS
    report = json.loads(out)
    assert {(f["rule"], f["dialect"]) for f in report["findings"]} == {
        ("add-not-null-column", "postgresql"),
        ("add-not-null-column", "mysql"),
    }
    assert "server_default" in report["findings"][0]["safe"]

    code, out = stanchion("db", "current", "--check", "-c", pyproject, "--format", "json")
    assert code == ExitCode.NOT_AT_HEAD
    assert json.loads(out)["is_at_head"] is False


def test_history_heads_and_sql_read_the_revisions(project: tuple[Path, str]) -> None:
    sample = str(Path(__file__).parent / "sample" / "pyproject.toml")
    code, out = stanchion("db", "history", "-c", sample, "--format", "json")
    assert code == 0
    assert [r["revision"] for r in json.loads(out)] == ["0003", "0002", "0001"]
    code, out = stanchion("db", "heads", "-c", sample, "--format", "json")
    assert json.loads(out) == ["0003"]
    code, out = stanchion("db", "sql", "0002:0003", "--dialect", "postgresql", "-c", sample)
    assert code == 0
    assert "CREATE INDEX CONCURRENTLY ix_posts_published_at" in out


def test_missing_configuration_exits_with_the_config_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.stanchion]\nmetadata = "nowhere:metadata"\n')
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    code, _ = stanchion("db", "check", "-c", str(tmp_path / "pyproject.toml"))
    assert code == ExitCode.CONFIG


def test_health_reports_reachability(tmp_path: Path) -> None:
    code, out = stanchion("health", "--url", f"sqlite:///{tmp_path / 'h.db'}", "--format", "json")
    assert code == 0 and json.loads(out)["ok"] is True
    code, out = stanchion("health", "--url", "postgresql://nobody@127.0.0.1:1/none")
    assert code == ExitCode.CONFIG
    assert "unreachable" in out


def test_merge_writes_one_head_through_the_python_api(tmp_path: Path) -> None:
    from tests.migrations.test_api import BRANCH

    root = tmp_path / "sample"
    shutil.copytree(
        Path(__file__).parent / "sample", root, ignore=shutil.ignore_patterns("__pycache__")
    )
    (root / "migrations" / "versions" / "0003b_branch.py").write_text(BRANCH)
    pyproject = str(root / "pyproject.toml")
    code, out = stanchion("db", "heads", "-c", pyproject, "--format", "json")
    assert sorted(json.loads(out)) == ["0003", "0003b"]

    code, out = stanchion("db", "merge", "-m", "join", "-c", pyproject)
    assert code == 0, out
    assert "wrote merge revision" in out
    code, out = stanchion("db", "heads", "-c", pyproject, "--format", "json")
    (head,) = json.loads(out)
    assert head not in ("0003", "0003b")

    code, out = stanchion("db", "merge", "-c", pyproject)
    assert code == ExitCode.ERROR
    assert "nothing to merge" in out


def test_upgrade_shows_each_revision_as_it_is_applied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sample = Path(__file__).resolve().parent / "sample"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'steps.db'}")
    monkeypatch.syspath_prepend(str(sample))
    code, out = stanchion("db", "upgrade", "-c", str(sample / "pyproject.toml"))
    assert code == 0, out
    applied = [line.strip() for line in out.splitlines() if line.strip().startswith("applied ")]
    assert [line.split()[1] for line in applied] == ["0001", "0002", "0003"], out


def test_plain_alembic_works_with_the_two_line_ini_the_docs_show(tmp_path: Path) -> None:
    """docs/migrations.md: the plain ``alembic`` command runs a stanchion project's env.py."""
    import re
    import shutil
    import subprocess

    page = (Path(__file__).resolve().parents[2] / "docs" / "migrations.md").read_text()
    found = re.search(r"```ini\n(\[alembic\]\n.*?)```", page, re.S)
    assert found, "docs/migrations.md shows no alembic.ini"
    project = tmp_path / "project"
    shutil.copytree(Path(__file__).resolve().parent / "sample", project)
    (project / "alembic.ini").write_text(found.group(1))
    alembic = Path(sys.executable).parent / "alembic"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'plain.db'}", "PYTHONPATH": "."}
    for args in (["upgrade", "head"], ["current"]):
        done = subprocess.run(
            [str(alembic), *args], cwd=project, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
    assert "0003 (head)" in done.stdout
