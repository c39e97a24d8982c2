"""Step 4: filters, offset pages and keyset pages through the repository."""

from inventory.models import Item
from inventory.store import ItemRepository

from stanchion import Database, InvalidQuery, Model

db = Database("sqlite://")
db.create_all(Model.metadata)
with db.transaction() as tx:
    tx.repository(ItemRepository).add_many(
        [
            Item(sku=f"SKU-{n:03}", name=f"Part {n:03}", warehouse="north" if n % 2 else "south",
                 quantity=n % 7, price_cents=100 + n)
            for n in range(1, 51)
        ]
    )

# --8<-- [start:queries]
with db.transaction(read_only=True) as tx:
    items = tx.repository(ItemRepository)

    cheap = items.list({"warehouse": "north", "price_cents__lte": 110}, sort="-price_cents")
    print([i.sku for i in cheap])  # ['SKU-009', 'SKU-007', 'SKU-005', 'SKU-003', 'SKU-001']

    page = items.page({"name__icontains": "part 0"}, limit=10, offset=10)  # page 2 and a COUNT
    print(page.total, [i.sku for i in page.items][:2])  # 50 ['SKU-011', 'SKU-012']

    south = {"warehouse": "south"}
    first = items.keyset_page(south, sort="name", limit=10)  # no COUNT, no OFFSET
    second = items.keyset_page(south, sort="name", limit=10, cursor=first.next_cursor)
    print(second.items[0].sku)  # SKU-022

    print([i.quantity for i in items.low_stock("north", below=2)])  # [0, 0, 0, 0, 1, 1, 1, 1]

    try:
        items.list({"created_at__lte": "2024-01-01T00:00:00Z"})  # not in filter_fields
    except InvalidQuery as error:
        print(error.field)  # created_at
# --8<-- [end:queries]
    assert [i.sku for i in cheap] == ["SKU-009", "SKU-007", "SKU-005", "SKU-003", "SKU-001"]
    assert page.total == 50 and [i.sku for i in page.items][:2] == ["SKU-011", "SKU-012"]
    assert second.items[0].sku == "SKU-022"
    assert [i.quantity for i in items.low_stock("north", below=2)] == [0, 0, 0, 0, 1, 1, 1, 1]
db.dispose()
