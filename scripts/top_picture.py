"""Draw docs/img/stanchion-top.svg: ``stanchion top``'s screen for a real observed database.

Runs a small workload (reads, writes, one retried transaction) on an SQLite file in a temp
directory, with metrics exported to a Prometheus registry, and records the view rich draws.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from prometheus_client import CollectorRegistry
from rich.console import Console
from sqlalchemy import Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from stanchion import Database, RetryPolicy, SerializationFailure, UnitOfWork
from stanchion.cli.top import parse, render, summarize
from stanchion.observability import Observability, prometheus_meter_provider, prometheus_text

OUT = Path(__file__).resolve().parent.parent / "docs" / "img" / "stanchion-top.svg"


class Base(DeclarativeBase):
    pass


class Book(Base):
    __tablename__ = "books"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(100))


def main() -> None:
    registry = CollectorRegistry()
    provider = prometheus_meter_provider(registry)
    with tempfile.TemporaryDirectory() as folder:
        db = Database(
            f"sqlite:///{folder}/shop.db",
            observability=Observability(traces=False, meter_provider=provider, pool_name="shop"),
        )
        db.create_all(Base.metadata)

        def add(tx: UnitOfWork) -> None:
            tx.repository(Book).add(Book(title=f"book {tx.attempt}"))
            if tx.attempt == 1:
                raise SerializationFailure("a concurrent writer")

        db.run(add, retry=RetryPolicy(base_delay=0.0))
        before = parse(prometheus_text(registry)[0].decode())
        for _ in range(50):
            with db.transaction(read_only=True) as tx:
                tx.repository(Book).list(limit=10)
                tx.repository(Book).count()
        after = parse(prometheus_text(registry)[0].decode())
        db.dispose()
    console = Console(record=True, width=100, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(render(summarize(after, before, 2.0), "http://127.0.0.1:8000/metrics"))
    OUT.write_text(console.export_svg(title="stanchion top"))
    provider.shutdown()


if __name__ == "__main__":
    main()
