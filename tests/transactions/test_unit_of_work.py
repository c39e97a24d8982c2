"""`db.transaction()`: commit on success, rollback on error, repositories, hooks, savepoints."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from stanchion import (
    AlreadyExists,
    AsyncDatabase,
    AsyncRepository,
    AsyncUnitOfWork,
    Database,
    Repository,
    TransactionAlreadyOpen,
    TransactionError,
    UnitOfWork,
)
from tests.transactions.models import TxCounter


class CounterRepository(Repository[TxCounter]):
    def by_name(self, name: str) -> TxCounter | None:
        return self.session.scalars(select(TxCounter).where(TxCounter.name == name)).first()


def names(db: Database) -> list[str]:
    with db.transaction(read_only=True) as tx:
        return sorted(c.name for c in tx.repository(TxCounter).list())


async def anames(adb: AsyncDatabase) -> list[str]:
    async with adb.transaction(read_only=True) as tx:
        return sorted(c.name for c in await tx.repository(TxCounter).list())


def test_commits_when_the_block_ends_normally(db: Database) -> None:
    with db.transaction() as tx:
        tx.repository(TxCounter).add(TxCounter(name="a"))
    assert names(db) == ["a"]


def test_rolls_back_when_the_block_raises(db: Database) -> None:
    with pytest.raises(ValueError), db.transaction() as tx:
        tx.repository(TxCounter).add(TxCounter(name="a"))
        raise ValueError("boom")
    assert names(db) == []


def test_repository_accepts_a_model_or_a_repository_subclass(db: Database) -> None:
    with db.transaction() as tx:
        plain = tx.repository(TxCounter)
        custom = tx.repository(CounterRepository)
        assert type(plain) is Repository and plain.model is TxCounter
        assert isinstance(custom, CounterRepository)
        assert tx.repository(CounterRepository) is custom
        custom.add(TxCounter(name="x"))
        found = custom.by_name("x")
        assert found is not None


def test_on_commit_runs_once_after_commit_and_never_after_rollback(db: Database) -> None:
    fired: list[str] = []
    with db.transaction() as tx:
        tx.on_commit(lambda: fired.append("committed"))
        tx.repository(TxCounter).add(TxCounter(name="a"))
        assert fired == []
    assert fired == ["committed"]
    with pytest.raises(RuntimeError), db.transaction() as tx:
        tx.on_commit(lambda: fired.append("rolled back"))
        raise RuntimeError
    assert fired == ["committed"]


def test_savepoint_rolls_back_only_its_part_and_drops_its_hooks(db: Database) -> None:
    fired: list[str] = []
    with db.transaction() as tx:
        repo = tx.repository(TxCounter)
        repo.add(TxCounter(name="outer"))
        tx.on_commit(lambda: fired.append("outer"))
        with pytest.raises(AlreadyExists), tx.savepoint():
            tx.on_commit(lambda: fired.append("inner"))
            repo.add(TxCounter(name="outer"))
        with tx.savepoint():
            repo.add(TxCounter(name="kept"))
    assert names(db) == ["kept", "outer"]
    assert fired == ["outer"]


def test_run_refuses_to_start_inside_an_open_transaction(db: Database) -> None:
    with db.transaction() as tx:
        with pytest.raises(TransactionAlreadyOpen):
            db.run(lambda inner: None)
        with pytest.raises(TransactionAlreadyOpen):
            db.transaction().__enter__()
        tx.repository(TxCounter).add(TxCounter(name="still usable"))
    assert names(db) == ["still usable"]


def test_run_returns_the_function_result_and_commits(db: Database) -> None:
    def create(tx: UnitOfWork, name: str, *, value: int) -> int:
        return tx.repository(TxCounter).add(TxCounter(name=name, value=value)).value

    assert db.run(create, "r", value=3) == 3

    @db.transactional(isolation_level="SERIALIZABLE")
    def bump(tx: UnitOfWork, name: str) -> int:
        counter = tx.repository(CounterRepository).by_name(name)
        assert counter is not None
        counter.value += 1
        return counter.value

    assert bump("r") == 4
    assert names(db) == ["r"]


@pytest.mark.anyio
async def test_async_commits_on_success_and_rolls_back_on_error(adb: AsyncDatabase) -> None:
    fired: list[str] = []

    async def hook() -> None:
        fired.append("async")

    async with adb.transaction() as tx:
        repo = tx.repository(TxCounter)
        assert isinstance(repo, AsyncRepository)
        await repo.add(TxCounter(name="a"))
        tx.on_commit(hook)
        tx.on_commit(lambda: fired.append("sync"))
    with pytest.raises(ValueError):
        async with adb.transaction() as tx:
            await tx.repository(TxCounter).add(TxCounter(name="b"))
            tx.on_commit(hook)
            raise ValueError
    assert await anames(adb) == ["a"]
    assert fired == ["async", "sync"]


@pytest.mark.anyio
async def test_async_savepoint_and_custom_repository_methods(adb: AsyncDatabase) -> None:
    async with adb.transaction() as tx:
        repo = tx.repository(CounterRepository)
        await repo.add(TxCounter(name="outer"))
        with pytest.raises(AlreadyExists):
            async with tx.savepoint():
                await repo.add(TxCounter(name="outer"))
        found = await repo.run(CounterRepository.by_name, "outer")
        assert found is not None
    assert await anames(adb) == ["outer"]


@pytest.mark.anyio
async def test_async_run_and_decorator(adb: AsyncDatabase) -> None:
    @adb.transactional()
    async def create(tx: AsyncUnitOfWork, name: str) -> str:
        await tx.repository(TxCounter).add(TxCounter(name=name))
        return name

    assert await create("d") == "d"
    assert await adb.run(lambda tx: anames_in(tx)) == ["d"]
    async with adb.transaction():
        with pytest.raises(TransactionAlreadyOpen):
            await adb.run(anames_in)


async def anames_in(tx: AsyncUnitOfWork) -> list[str]:
    return sorted(c.name for c in await tx.repository(TxCounter).list())


@pytest.mark.commits  # isolation and access mode cannot change inside a test's outer transaction
@pytest.mark.backends("postgresql")
def test_a_read_only_transaction_refuses_writes_and_leaves_the_pool_writable(
    db: Database,
) -> None:
    with pytest.raises(DBAPIError) as caught, db.transaction(read_only=True) as tx:
        tx.repository(TxCounter).add(TxCounter(name="refused"))
    assert getattr(caught.value.orig, "sqlstate", None) == "25006"  # read_only_sql_transaction
    db.run(lambda tx: tx.repository(TxCounter).add(TxCounter(name="written")))
    assert names(db) == ["written"]


@pytest.mark.commits
@pytest.mark.backends("postgresql", "mysql")  # SQLite has one level: serialisable
def test_isolation_level_applies_to_one_transaction_only(backend: str, db: Database) -> None:
    def level(tx: UnitOfWork) -> str:
        query = "SHOW transaction_isolation" if backend == "postgresql" else "SELECT @@tx_isolation"
        return str(tx.session.execute(text(query)).scalar_one()).upper().replace("-", " ")

    assert db.run(level, isolation_level="SERIALIZABLE") == "SERIALIZABLE"
    assert db.run(level) != "SERIALIZABLE"


def test_a_failing_hook_is_logged_and_the_commit_stands(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    fired: list[str] = []

    def broken() -> None:
        raise RuntimeError("mail server down")

    with db.transaction() as tx:
        tx.repository(TxCounter).add(TxCounter(name="kept"))
        tx.on_commit(broken)
        tx.on_commit(lambda: fired.append("next hook"))
    assert names(db) == ["kept"]
    assert fired == ["next hook"]
    assert "on_commit callback" in caplog.text and "mail server down" in caplog.text


def test_a_finished_transaction_cannot_be_used(db: Database) -> None:
    with db.transaction() as tx:
        pass
    with pytest.raises(TransactionError):
        tx.repository(TxCounter)
    with pytest.raises(TransactionError):
        tx.on_commit(lambda: None)
    with pytest.raises(TransactionError):
        tx.__enter__()
