"""Read replicas with read-your-writes: one setting, DATABASE_REPLICA_URLS, and no code change.

Without replicas configured every unit of work runs on the one database, as before.
"""

import os

from sqlalchemy.orm import Mapped

from stanchion import Database, IntegerPK, Model, causality_scope


class Note(Model, IntegerPK):
    __tablename__ = "ex_scale_out_notes"
    text: Mapped[str]


# DATABASE_URL=postgresql://primary/app DATABASE_REPLICA_URLS=postgresql://replica1/app,...
db = Database(os.environ.get("DATABASE_URL") or "sqlite:///./examples.db")
created = db.create_all(Model.metadata, tables=[Note.__table__])

with causality_scope():  # one caller: a request, a job (stanchion.fastapi opens one per request)
    with db.transaction() as tx:  # writes go to the primary
        tx.repository(Note).add(Note(text="hello"))
    token = tx.commit_token  # the primary's WAL / GTID position after COMMIT (None: no replicas)

    with db.transaction(read_only=True) as tx:  # a replica that has replayed `token`
        assert [n.text for n in tx.repository(Note).list()] == ["hello"]  # never stale

for replica in db.health().replicas:  # state and lag of each replica, measured now
    print(replica.url, replica.state.value, replica.lag, replica.lag_unit)
print("read back: hello", "(with a causality token)" if token else "(one database)")

db.drop_all(Model.metadata, tables=created)  # only what this run created
db.dispose()
