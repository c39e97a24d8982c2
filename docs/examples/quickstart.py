"""The README's first ten lines, exactly as printed there (plus a check that they worked)."""

from sqlalchemy.orm import Mapped, mapped_column

from stanchion import Database, IntegerPK, Model, Timestamps


class User(Model, IntegerPK, Timestamps):
    __tablename__ = "users"
    email: Mapped[str] = mapped_column(unique=True)


db = Database()  # DATABASE_URL, or an embedded SQLite file
db.create_all(Model.metadata)  # in a real service, `stanchion db upgrade` creates the tables
with db.transaction() as tx:  # commits when the block ends, rolls back on any error
    tx.repository(User).add(User(email="ada@example.com"))

with db.transaction(read_only=True) as tx:
    assert tx.repository(User).count(email="ada@example.com") == 1
db.dispose()
