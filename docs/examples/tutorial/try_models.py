"""Step 2: the model, tried on an in-memory database (create_all is for trying; step 3 migrates)."""

from inventory.models import Item

from stanchion import Database, Model

db = Database("sqlite://")
db.create_all(Model.metadata)

with db.transaction() as tx:  # commits when the block ends, rolls back on any error
    bolt = Item(sku="BOLT-M6", name="M6 bolt", warehouse="north", price_cents=12)
    item = tx.repository(Item).add(bolt)  # INSERTed now: the id, version and timestamps are set
    print(f"stored item {item.id}: {item.sku}, version {item.version}, created {item.created_at}")

with db.transaction(read_only=True) as tx:
    assert tx.repository(Item).get_one(item.id).name == "M6 bolt"
db.dispose()
