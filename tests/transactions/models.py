"""Tables for the transaction tests: a bank, doctors on call, counters and versioned notes."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from stanchion import IntegerPK, Versioned
from tests.models import TestModel


class TxAccount(TestModel, IntegerPK):
    __tablename__ = "tx_accounts"
    balance: Mapped[int] = mapped_column(BigInteger, nullable=False)


class TxLedger(TestModel, IntegerPK):
    __tablename__ = "tx_ledger"
    source_id: Mapped[int] = mapped_column(BigInteger)
    target_id: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(Integer)


class TxDoctor(TestModel, IntegerPK):
    __tablename__ = "tx_doctors"
    name: Mapped[str] = mapped_column(String(40), unique=True)
    shift: Mapped[int] = mapped_column(Integer)
    on_call: Mapped[bool] = mapped_column(default=True)


class TxCounter(TestModel, IntegerPK):
    __tablename__ = "tx_counters"
    name: Mapped[str] = mapped_column(String(40), unique=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class TxNote(TestModel, IntegerPK, Versioned):
    __tablename__ = "tx_notes"
    body: Mapped[str] = mapped_column(String(200))
