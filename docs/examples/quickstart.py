"""The README's first ten lines, exactly as printed there (plus a check that they worked).

In memory, so it runs anywhere, any number of times, and touches no file or server.
"""

from sqlalchemy.orm import Mapped, mapped_column

from stanchion import Database, IntegerPK, Model, Timestamps


class User(Model, IntegerPK, Timestamps):
    __tablename__ = "users"
    email: Mapped[str] = mapped_column(unique=True)


db = Database("sqlite://")  # in memory; Database() alone reads DATABASE_URL
db.create_all(Model.metadata)  # in a real service, `stanchion db upgrade` creates the tables
with db.transaction() as tx:  # commits when the block ends, rolls back on any error
    tx.repository(User).add(User(email="ada@example.com"))

with db.transaction(read_only=True) as tx:
    assert tx.repository(User).count(email="ada@example.com") == 1
db.dispose()
