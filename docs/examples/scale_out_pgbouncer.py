"""PgBouncer in transaction mode: one setting, DATABASE_POOLER=pgbouncer, and no code change.

Without DATABASE_URL it runs on the default SQLite file, as every example does; the tests also
run it through a real PgBouncer.
"""

from sqlalchemy import text

from stanchion import Database, UnsupportedByPooler

# DATABASE_URL=postgresql://app@pgbouncer:6432/app    PgBouncer, transaction mode
# DATABASE_POOLER=pgbouncer                             no prepares, settings per transaction
# DATABASE_DIRECT_URL=postgresql://app@db:5432/app      the server itself: migrations, LISTEN
db = Database(statement_timeout_ms=5_000)

with db.transaction() as tx:  # behind PgBouncer the timeout holds for this transaction only
    assert tx.session.execute(text("SELECT 1")).scalar_one() == 1

if db.settings.pooler == "pgbouncer":
    try:
        with db.transaction() as tx:
            tx.session.execute(text("SELECT pg_advisory_lock(1)"))  # would outlive it
    except UnsupportedByPooler as error:
        print(error.hint)  # use the direct URL (DATABASE_DIRECT_URL) for work that needs ...

db.dispose()
