"""FastAPI integration: lifespan, request dependencies, problem responses, list query helpers.

app = FastAPI(lifespan=database_lifespan())
install_problem_handlers(app)

@app.post("/posts")
async def create(data: PostIn, tx: UnitOfWorkDep) -> PostOut: ...
"""

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
from stanchion.fastapi.lifespan import database_lifespan, set_database
from stanchion.fastapi.params import BigInt, ListQuery, StorableStr, list_query
from stanchion.fastapi.problems import (
    PROBLEM_JSON,
    PROBLEM_RESPONSES,
    ProblemResponse,
    install_problem_handlers,
    problem,
)

__all__ = [
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
]
