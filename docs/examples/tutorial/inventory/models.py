"""The inventory's table: one model, its columns typed with ``Mapped[...]``."""

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from stanchion import IntegerPK, Model, Timestamps, Versioned


class Item(Model, IntegerPK, Timestamps, Versioned):
    """A stock line: how many of one SKU a warehouse holds, and its price."""

    __tablename__ = "items"

    sku: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    warehouse: Mapped[str] = mapped_column(String(40), index=True)
    quantity: Mapped[int] = mapped_column(default=0)
    price_cents: Mapped[int]
