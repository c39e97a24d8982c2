"""A read-only error is a lost primary (PostgreSQL 25006, MariaDB 1792), unless the caller
asked for a read-only transaction: then it is the caller's own write, and nothing is dropped.

On the suite's own servers: the transaction is made read-only from inside, as a demoted
primary would make it, and the error must be `PrimaryLost` with the pool invalidated.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from stanchion import Database, PrimaryLost
from tests.transactions.models import TxCounter

pytestmark = [pytest.mark.backends("postgresql", "mysql"), pytest.mark.commits]

READ_ONLY_FROM_INSIDE = {
    "postgresql": "SET TRANSACTION READ ONLY",
    "mysql": "SET SESSION TRANSACTION READ ONLY",
}


def test_a_write_refused_as_read_only_is_a_lost_primary_and_drops_the_pool(
    backend: str, db: Database
) -> None:
    fresh = Database(db.engine.url, pool_size=2)
    try:
        with fresh.engine.connect() as connection:
            if backend == "mysql":  # applies to the next transaction on this connection
                connection.exec_driver_sql(READ_ONLY_FROM_INSIDE[backend])
                connection.rollback()
            else:
                connection.exec_driver_sql(READ_ONLY_FROM_INSIDE[backend])
            with pytest.raises(PrimaryLost):
                connection.execute(TxCounter.__table__.insert().values(name="refused", value=0))
            assert connection.invalidated
        # The pool was told to drop every connection made before: the next one is new and
        # writable (no read-only session setting survives).
        with fresh.transaction() as tx:
            assert tx.session.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        fresh.dispose()


def test_a_write_in_a_read_only_transaction_is_the_callers_error(
    backend: str, db: Database
) -> None:
    if backend == "mysql":
        pytest.skip("stanchion does not begin MariaDB transactions READ ONLY")
    with pytest.raises(DBAPIError) as caught, db.transaction(read_only=True) as tx:
        tx.repository(TxCounter).add(TxCounter(name="mine", value=0))
    assert not isinstance(caught.value, PrimaryLost)


@pytest.mark.parametrize(
    ("message", "lost"),
    [
        ("The MariaDB server is running with the --read-only option so it cannot execute", True),
        ("The MariaDB server is running with the --secure-file-priv option so it cannot", False),
    ],
    ids=["read-only", "another option"],
)
def test_mariadb_1290_is_a_lost_primary_only_for_the_read_only_option(
    message: str, lost: bool
) -> None:
    # 1290 names the option that refused the statement; only --read-only means a demoted
    # primary (a MariaDB replica). Made from the driver's own error class, as it raises it.
    import pymysql

    from stanchion.engine.backends import backend_for

    info = backend_for(make_url("mysql://")).errors.classify(
        pymysql.err.OperationalError(1290, message)
    )
    assert (info is not None and info.kind is PrimaryLost) is lost
