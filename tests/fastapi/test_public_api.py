"""``stanchion.fastapi`` exports exactly its intended names, sorted, and nothing by accident."""

from __future__ import annotations

import stanchion.fastapi as integration

INTENDED = {
    "IF_MATCH_RESPONSES",
    "PROBLEM_JSON",
    "PROBLEM_RESPONSES",
    "BigInt",
    "CausalityMiddleware",
    "DatabaseDep",
    "IfMatchDep",
    "ListQuery",
    "NumberedPage",
    "OptionalIfMatchDep",
    "Page",
    "Problem",
    "ProblemItem",
    "ProblemResponse",
    "ReadOnlyUnitOfWorkDep",
    "SessionDep",
    "StorableStr",
    "UnitOfWorkDep",
    "database_lifespan",
    "etag",
    "expected_version",
    "document_problems",
    "get_database",
    "get_read_only_unit_of_work",
    "get_session",
    "get_unit_of_work",
    "if_match",
    "install_problem_handlers",
    "list_query",
    "problem",
    "set_database",
    "set_etag",
}


def test_all_is_the_intended_public_surface() -> None:
    assert set(integration.__all__) == INTENDED
    assert integration.__all__ == sorted(integration.__all__, key=lambda n: (not n.isupper(), n))
    public = {n for n in vars(integration) if not n.startswith("_")}
    modules = {"causality", "dependencies", "etags", "lifespan", "pages", "params", "problems"}
    assert public - modules == INTENDED
