"""A database that does not exist, a wrong password and a server that is down read differently.

Each is a `DatabaseUnavailable` (callers that catch that keep working) of its own type, with a
message that names the database and server but never the password; sync and async, on the real
servers.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL

from stanchion import (
    AsyncDatabase,
    AuthenticationFailed,
    Database,
    DatabaseNotFound,
    DatabaseUnavailable,
    ServerUnreachable,
)
from tests.backends import async_url
from tests.conftest import backend_url

pytestmark = pytest.mark.backends("postgresql", "mysql")

PASSWORD = "Corr3ct-h0rse-" + uuid.uuid4().hex[:8]
WRONG = "wr0ng-" + uuid.uuid4().hex[:8]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # nobody listens once the probe is closed


@pytest.fixture
def server(backend: str) -> URL:
    url: URL = backend_url(backend)
    return url


@pytest.fixture(scope="module")
def _password_postgresql() -> Iterator[URL]:
    """A private PostgreSQL cluster with scram-sha-256 logins (the shared one trusts everyone)."""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.skip("initdb / pg_ctl not installed")
    home = Path(tempfile.mkdtemp(prefix="st_fhb_pg_"))  # pytest's tmp dirs are root-only
    (home / "pw").write_text(PASSWORD)
    as_owner: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        shutil.chown(home, "postgres")
        as_owner = ["runuser", "-u", "postgres", "--"]
    data, port = home / "data", _closed_port()
    subprocess.run(
        [*as_owner, initdb, "-D", str(data), "-A", "scram-sha-256", "-U", "postgres",
         f"--pwfile={home / 'pw'}"],
        check=True, capture_output=True,
    )  # fmt: skip
    options = f"-p {port} -k {home} -c listen_addresses=127.0.0.1"
    subprocess.run(
        [*as_owner, pg_ctl, "-D", str(data), "-o", options, "-l", str(home / "log"), "-w", "start"],
        check=True, capture_output=True,
    )  # fmt: skip
    try:
        yield URL.create("postgresql+psycopg", "postgres", PASSWORD, "127.0.0.1", port, "postgres")
    finally:
        subprocess.run(
            [*as_owner, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True
        )
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def password_login(backend: str, server: URL, request: pytest.FixtureRequest) -> Iterator[URL]:
    """A URL with the right password, on a server that checks passwords."""
    if backend == "postgresql":
        yield request.getfixturevalue("_password_postgresql")
        return
    name = f"st_fhb_{uuid.uuid4().hex[:8]}"
    admin = Database(server)
    try:
        with admin.engine.connect() as connection:
            connection.execute(text(f"CREATE USER '{name}'@'%' IDENTIFIED BY '{PASSWORD}'"))
            connection.execute(text(f"GRANT ALL ON `{server.database}`.* TO '{name}'@'%'"))
            connection.commit()
        yield server.set(username=name, password=PASSWORD)
    finally:
        with admin.engine.connect() as connection:
            connection.execute(text(f"DROP USER IF EXISTS '{name}'@'%'"))
            connection.commit()
        admin.dispose()


def _cases(server: URL, login: URL) -> dict[str, tuple[URL, type[DatabaseUnavailable], str]]:
    return {
        "missing database": (
            server.set(database=f"st_fhb_missing_{uuid.uuid4().hex[:6]}"),
            DatabaseNotFound,
            "does not exist",
        ),
        "wrong password": (
            login.set(password=WRONG),
            AuthenticationFailed,
            str(login.username),
        ),
        "server down": (
            server.set(host="127.0.0.1", port=_closed_port(), password=WRONG),
            ServerUnreachable,
            "127.0.0.1",
        ),
    }


def _check(error: DatabaseUnavailable, kind: type[DatabaseUnavailable], words: str) -> None:
    assert type(error) is kind, repr(error)
    text_ = f"{error} {error!r} {error.hint}"
    assert words in str(error)
    assert WRONG not in text_ and PASSWORD not in text_
    assert error.hint


@pytest.mark.parametrize("case", ["missing database", "wrong password", "server down"])
def test_each_connect_failure_says_which_it_is(server: URL, password_login: URL, case: str) -> None:
    url, kind, words = _cases(server, password_login)[case]
    db = Database(url, connect_timeout=3)
    try:
        with pytest.raises(DatabaseUnavailable) as caught:
            _connect(db)
        _check(caught.value, kind, words)
    finally:
        db.dispose()


def _connect(db: Database) -> None:
    with db.engine.connect() as connection:
        connection.execute(text("SELECT 1"))


@pytest.mark.anyio
@pytest.mark.parametrize("case", ["missing database", "wrong password", "server down"])
async def test_each_connect_failure_says_which_it_is_async(
    server: URL, password_login: URL, case: str
) -> None:
    url, kind, words = _cases(server, password_login)[case]
    db = AsyncDatabase(async_url(url), connect_timeout=3)
    try:
        with pytest.raises(DatabaseUnavailable) as caught:
            async with db.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        _check(caught.value, kind, words)
    finally:
        await db.dispose()


def test_the_right_password_still_connects(server: URL, password_login: URL) -> None:
    db = Database(password_login, connect_timeout=3)
    try:
        _connect(db)
    finally:
        db.dispose()
