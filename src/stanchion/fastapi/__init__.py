"""FastAPI integration: lifespan, request dependencies, problem responses, list query helpers,
page response models and ETag / If-Match helpers.

app = FastAPI(lifespan=database_lifespan())
install_problem_handlers(app)

@app.post("/posts")
async def create(data: PostIn, tx: UnitOfWorkDep) -> PostOut: ...
"""

from stanchion._exports import present_as_public as _present_as_public
from stanchion.fastapi.causality import CausalityMiddleware
from stanchion.fastapi.dependencies import (
    DatabaseDep,
    ReadOnlyUnitOfWorkDep,
    SessionDep,
    UnitOfWorkDep,
    get_database,
    get_read_only_unit_of_work,
    get_session,
    get_unit_of_work,
)
from stanchion.fastapi.etags import (
    IF_MATCH_RESPONSES,
    IfMatchDep,
    OptionalIfMatchDep,
    etag,
    expected_version,
    if_match,
    set_etag,
)
from stanchion.fastapi.lifespan import database_lifespan, set_database
from stanchion.fastapi.pages import NumberedPage, Page
from stanchion.fastapi.params import BigInt, ListQuery, StorableStr, list_query
from stanchion.fastapi.problems import (
    PROBLEM_JSON,
    PROBLEM_RESPONSES,
    Problem,
    ProblemItem,
    ProblemResponse,
    document_problems,
    install_problem_handlers,
    problem,
)

__all__ = [
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
    "document_problems",
    "etag",
    "expected_version",
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
]

_present_as_public(__name__, globals(), __all__)
