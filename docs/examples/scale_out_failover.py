"""Failover: a multi-host URL that connects to whichever host is read-write, and `db.run`
riding out the seconds between the primary's death and the standby's promotion.

Without DATABASE_URL it runs on the default SQLite file, as every example does.
"""

from sqlalchemy import text

from stanchion import Database, RetryPolicy, UnitOfWork

# DATABASE_URL=postgresql://app@/app?host=db1:5432&host=db2:5432&target_session_attrs=read-write
db = Database()

# Connections lost before COMMIT are re-run by default; retry_unreachable also re-runs while no
# host accepts a read-write connection yet. A commit whose outcome is unknown is never re-run.
ride_out = RetryPolicy(deadline=30.0, max_delay=0.5, retry_unreachable=True)


def write(tx: UnitOfWork) -> int:
    return int(tx.session.execute(text("SELECT 1")).scalar_one())


assert db.run(write, retry=ride_out) == 1
db.dispose()
