"""The import rules of docs/architecture.md, checked by walking the source's syntax trees.

Every import counts, including those under ``TYPE_CHECKING``: a type-only import still ties the
layers together. The checker is run over a planted tree too, so a rule that cannot fail is caught.
"""

from __future__ import annotations

import ast
from pathlib import Path

import stanchion

#: Top-level subpackages from the bottom up; a package may import only its own layer or lower ones.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"_exports"}),  # the root's helper that makes reprs say stanchion.X; imports nothing
    frozenset({"errors"}),
    frozenset({"models", "query"}),
    frozenset({"engine"}),
    frozenset({"repository"}),
    frozenset({"transactions"}),
    # Observes the engine and the units of work; `Database` wires it in when it is turned on.
    frozenset({"observability"}),
    frozenset({"database"}),
    frozenset({"migrations", "testing", "fastapi"}),
    frozenset({"cli"}),
)


def _rank(package: str) -> int | None:
    for index, layer in enumerate(LAYERS):
        if package in layer:
            return index
    return None


def _imports(path: Path, module: str) -> list[str]:
    """The absolute names of the stanchion modules that `module` (at `path`) imports."""
    tree = ast.parse(path.read_text(), filename=str(path))
    is_package = path.name == "__init__.py"
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = module.split(".")
                base = parts if is_package else parts[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            names.append(target)
            # ``from stanchion import errors`` imports the module ``stanchion.errors``.
            names.extend(f"{target}.{alias.name}" for alias in node.names)
    return [name for name in names if name == "stanchion" or name.startswith("stanchion.")]


def check(root: Path) -> list[str]:
    """Every violation of the import rules in the package at `root` (named ``stanchion``)."""
    problems: list[str] = []
    edges: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root.parent).with_suffix("")
        parts = list(relative.parts)
        if parts[-1] == "__init__":
            parts.pop()
        module = ".".join(parts)
        if len(parts) < 2:
            continue  # stanchion/__init__.py: the public surface re-exports every layer
        package = parts[1]
        for target in _imports(path, module):
            target_parts = target.split(".")
            if len(target_parts) < 2 or target_parts[1] == package:
                continue
            other = target_parts[1]
            if not (root / other).exists() and not (root / f"{other}.py").exists():
                continue  # an imported name (``from stanchion import Database``), not a module
            edges.setdefault(package, set()).add(other)
            private = [i for i, p in enumerate(target_parts) if i >= 2 and p.startswith("_")]
            if private:
                name = ".".join(target_parts[: private[0] + 1])
                problems.append(f"{module} imports private module {name}")
            mine, theirs = _rank(package), _rank(other)
            if mine is None or theirs is None:
                problems.append(f"{module} -> stanchion.{other}: package not in LAYERS")
            elif theirs > mine:
                problems.append(f"{module} imports stanchion.{other}, a higher layer")
    problems = list(dict.fromkeys(problems))
    problems.extend(_cycles(edges))
    return problems


def _cycles(edges: dict[str, set[str]]) -> list[str]:
    found: list[str] = []
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> None:
        if node in path:
            found.append("import cycle: " + " -> ".join([*path[path.index(node) :], node]))
            return
        if node in done:
            return
        for nxt in sorted(edges.get(node, ())):
            visit(nxt, [*path, node])
        done.add(node)

    for start in sorted(edges):
        visit(start, [])
    return found


SOURCE = Path(stanchion.__file__).parent


def test_the_source_follows_the_import_rules() -> None:
    assert check(SOURCE) == []


def _plant(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "stanchion"
    for name in ("errors.py", "engine/__init__.py", "engine/_private.py", "database/__init__.py"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("")
    for name, text in files.items():
        (root / name).write_text(text)
    return root


def test_an_upward_import_is_caught(tmp_path: Path) -> None:
    root = _plant(tmp_path, {"engine/spec.py": "from stanchion.database import Database\n"})
    assert check(root) == ["stanchion.engine.spec imports stanchion.database, a higher layer"]


def test_a_type_checking_upward_import_is_caught(tmp_path: Path) -> None:
    text = (
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from stanchion import database\n"
    )
    root = _plant(tmp_path, {"engine/spec.py": text})
    assert "stanchion.engine.spec imports stanchion.database, a higher layer" in check(root)


def test_a_cycle_is_caught(tmp_path: Path) -> None:
    root = _plant(
        tmp_path,
        {
            "engine/spec.py": "import stanchion.database\n",
            "database/root.py": "from stanchion.engine import spec\n",
        },
    )
    assert "import cycle: database -> engine -> database" in check(root)


def test_a_private_import_across_packages_is_caught(tmp_path: Path) -> None:
    root = _plant(tmp_path, {"database/root.py": "from stanchion.engine._private import x\n"})
    assert check(root) == [
        "stanchion.database.root imports private module stanchion.engine._private"
    ]


def test_a_private_import_inside_its_package_is_allowed(tmp_path: Path) -> None:
    root = _plant(tmp_path, {"engine/spec.py": "from ._private import x\n"})
    assert check(root) == []
