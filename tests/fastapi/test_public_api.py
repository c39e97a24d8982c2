"""``stanchion.fastapi`` exports exactly its intended names, sorted, and nothing by accident."""

from __future__ import annotations

import stanchion.fastapi as integration

INTENDED = {
    "PROBLEM_JSON",
    "PROBLEM_RESPONSES",
    "BigInt",
    "DatabaseDep",
    "ListQuery",
    "ProblemResponse",
    "ReadOnlyUnitOfWorkDep",
    "SessionDep",
    "StorableStr",
    "UnitOfWorkDep",
    "database_lifespan",
    "get_database",
    "get_read_only_unit_of_work",
    "get_session",
    "get_unit_of_work",
    "install_problem_handlers",
    "list_query",
    "problem",
    "set_database",
}


def test_all_is_the_intended_public_surface() -> None:
    assert set(integration.__all__) == INTENDED
    assert integration.__all__ == sorted(integration.__all__, key=lambda n: (not n.isupper(), n))
    public = {n for n in vars(integration) if not n.startswith("_")}
    modules = {"dependencies", "lifespan", "params", "problems"}
    assert public - modules == INTENDED
