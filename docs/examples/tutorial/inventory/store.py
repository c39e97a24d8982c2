"""The repository: which fields clients may filter and sort on, and one query of our own."""

from typing import ClassVar

from inventory.models import Item
from stanchion import Repository


class ItemRepository(Repository[Item]):
    # --8<-- [start:allow-lists]
    filter_fields: ClassVar[dict[str, tuple[str, ...]]] = {
        "sku": ("eq", "in"),
        "name": ("icontains",),
        "warehouse": ("eq",),
        "quantity": ("lte", "gte"),
        "price_cents": ("lte", "gte"),
    }
    sort_fields = ("name", "quantity", "price_cents")
    update_fields = ("name", "quantity", "price_cents")
    default_sort = "name"
    max_page_size = 100
    # --8<-- [end:allow-lists]

    # --8<-- [start:custom]
    def low_stock(self, warehouse: str, below: int = 5) -> list[Item]:
        """Start from self.select(): the allow-lists and loader rules still apply."""
        query = self.select({"warehouse": warehouse, "quantity__lte": below - 1})
        return list(self.session.scalars(query.order_by(Item.quantity)))
    # --8<-- [end:custom]
