"""docs/migrating/from-advanced-alchemy.md, before: an advanced-alchemy repository.

The same inventory as the tutorial: filters are SQLAlchemy expressions and filter objects passed
to the repository, pages are LimitOffset with a count. Runs anywhere, twice: in memory.
"""

from advanced_alchemy.base import BigIntAuditBase
from advanced_alchemy.exceptions import IntegrityError
from advanced_alchemy.filters import LimitOffset, OrderBy
from advanced_alchemy.repository import SQLAlchemySyncRepository
from sqlalchemy import String, create_engine
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker


# --8<-- [start:before]
class Item(BigIntAuditBase):  # id, created_at, updated_at
    __tablename__ = "aa_items"
    sku: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    warehouse: Mapped[str] = mapped_column(String(40))
    price_cents: Mapped[int]


class ItemRepository(SQLAlchemySyncRepository[Item]):
    model_type = Item


engine = create_engine("sqlite://")
sessions = sessionmaker(engine, expire_on_commit=False)
Item.metadata.create_all(engine)

with sessions() as session:
    items = ItemRepository(session=session)
    items.add_many(
        [Item(sku=f"SKU-{n:03}", name=f"Part {n:03}", warehouse="north", price_cents=100 + n)
         for n in range(1, 31)],
        auto_commit=True,
    )
    page, total = items.get_many_and_count(
        Item.warehouse == "north",  # any SQLAlchemy expression the caller builds
        Item.price_cents <= 110,
        OrderBy(field_name="name", sort_order="asc"),
        LimitOffset(limit=5, offset=5),
    )
    skus = [i.sku for i in page]
    try:
        items.add(Item(sku="SKU-001", name="again", warehouse="north", price_cents=1),
                  auto_commit=True)
    except IntegrityError as error:  # advanced-alchemy's own type (DuplicateKeyError)
        session.rollback()  # the session is unusable until you roll it back
        print(type(error).__name__)
# --8<-- [end:before]
    assert total == 10 and skus == [f"SKU-{n:03}" for n in range(6, 11)], skus
    print(total, skus)
Item.metadata.drop_all(engine)
engine.dispose()
