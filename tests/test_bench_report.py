"""The benchmark report keeps its hand-written per-transaction section when regenerated."""

from __future__ import annotations

from pathlib import Path

from bench.report import COST_END, COST_START, kept_cost_section


def test_the_per_transaction_section_is_found_with_its_markers(tmp_path: Path) -> None:
    doc = tmp_path / "performance.md"
    section = f"{COST_START}\n## Per-transaction cost\n\nfigures\n{COST_END}"
    doc.write_text(f"# Performance\n\ngenerated\n\n{section}\n\n## Notes\n")
    assert kept_cost_section(doc) == section


def test_a_report_without_the_section_keeps_nothing(tmp_path: Path) -> None:
    doc = tmp_path / "performance.md"
    assert kept_cost_section(doc) is None
    doc.write_text(f"# Performance\n\n{COST_END} before {COST_START}\n")
    assert kept_cost_section(doc) is None
