"""FastAPI integration: lifespan, request dependencies, problem responses, list query helpers.

app = FastAPI(lifespan=database_lifespan())
install_problem_handlers(app)

@app.post("/posts")
async def create(data: PostIn, tx: UnitOfWorkDep) -> PostOut: ...
"""

from stanchion.fastapi.dependencies import (
    AsyncUnitOfWork,
    DatabaseDep,
    SessionDep,
    UnitOfWorkDep,
    get_database,
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
    "AsyncUnitOfWork",
    "BigInt",
    "DatabaseDep",
    "ListQuery",
    "ProblemResponse",
    "SessionDep",
    "StorableStr",
    "UnitOfWorkDep",
    "database_lifespan",
    "get_database",
    "get_session",
    "get_unit_of_work",
    "install_problem_handlers",
    "list_query",
    "problem",
    "set_database",
]
