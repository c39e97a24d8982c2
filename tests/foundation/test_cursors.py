"""Keyset cursors a client forged or edited: each is `InvalidQuery` (``field == "cursor"``)
before any SQL, the same on every backend, sync and async — a value inside a cursor is checked
exactly as the same value in a filter is. Signed cursors (``cursor_secrets``) cannot be edited
at all, and a rotated key keeps the cursors clients hold working.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import pytest

from stanchion import Database, DatabaseSettings, InvalidQuery
from stanchion.engine.session import CURSOR_SIGNER
from stanchion.query import CursorSigner, SortKey, encode_cursor
from stanchion.query.pagination import CURSOR_VERSION, MAX_CURSOR_LENGTH
from tests.foundation.harness import Side, Sides
from tests.models import Book, Writer

pytestmark = pytest.mark.anyio


async def seed(side: Side) -> None:
    writer: Writer = await side.repo(Writer).add(Writer(name="Ada"))
    books = [Book(title=f"b{i}", pages=i, writer_id=writer.id) for i in range(3)]
    await side.repo(Book).add_many(books)
    await side.commit()


def forged(sort: list[str], values: list[Any], version: Any = CURSOR_VERSION) -> str:
    """A cursor written by hand, as a client could: any JSON at all in the payload."""
    document = {"c": version, "s": sort, "v": values}
    raw = json.dumps(document, ensure_ascii=False).encode("utf-8", "surrogatepass")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def packed(raw: bytes) -> str:
    """A cursor whose payload is `raw`, JSON or not."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


#: (sort, cursor, what it carries): the issue's three 500s first, then the rest of the edges.
FORGED: list[tuple[str, str, str]] = [
    ("created_at", forged(["created_at", "id"], [{"dt": "0001-01-01T00:00:00+14:00"}, 1]), "utc"),
    ("created_at", forged(["created_at", "id"], [{"dt": "9999-12-31T23:59:59-14:00"}, 1]), "utc"),
    ("title", forged(["title", "id"], ["\udcff", 1]), "surrogate"),
    ("title", forged(["title", "id"], ["a\x00b", 1]), "nul"),
    ("pages", forged(["pages", "id"], [2**63, 1]), "64-bit"),
    ("pages", forged(["pages", "id"], [1, -(2**63) - 1]), "64-bit key"),
    ("pages", forged(["pages", "id"], [True, 1]), "bool for int"),
    ("pages", forged(["pages", "id"], [1.5, 1]), "float for int"),
    ("pages", forged(["pages", "id"], ["1", 1]), "text for int"),
    ("title", forged(["title", "id"], [5, 1]), "int for text"),
    ("created_at", forged(["created_at", "id"], [{"d": "2024-01-01"}, 1]), "date for datetime"),
    ("created_at", forged(["created_at", "id"], ["2024-01-01T00:00:00Z", 1]), "text for datetime"),
    ("created_at", forged(["created_at", "id"], [{"dt": "yesterday"}, 1]), "bad datetime"),
    ("pages", forged(["pages", "id"], [{"n": "abc"}, 1]), "bad decimal"),
    ("pages", forged(["pages", "id"], [{"x": "1"}, 1]), "unknown tag"),
    ("pages", forged(["pages", "id"], [[1], 1]), "a list"),
    ("pages", forged(["pages", "id"], [1, None]), "null"),
    ("pages", forged(["pages", "id"], [1]), "too few values"),
    ("pages", forged(["-pages", "-id"], [1, 1]), "another sort"),
    ("pages", forged(["pages", "id"], [1, 1], version=0), "old version"),
    ("pages", forged(["pages", "id"], [1, 1], version=True), "bool version"),
    ("pages", packed(b'{"c":1,"s":["pages","id"],"v":{"a":1}}'), "values not a list"),
    ("pages", packed(b"[" * 1500 + b"]" * 1500), "deep JSON"),
    ("pages", packed(b'{"c":1,"s":["pages","id"],"v":[NaN,1]}'), "NaN"),
    ("pages", "A" * (MAX_CURSOR_LENGTH + 1), "too long"),
    ("pages", "e30.c2ln", "signed, no key configured"),
    ("pages", "\udcff", "not base64"),
]


async def test_a_forged_cursor_is_invalid_query_on_every_backend(sides: Sides) -> None:
    side = sides.open()
    await seed(side)
    books = side.repo(Book)
    for sort, cursor, carries in FORGED:
        with pytest.raises(InvalidQuery) as caught:
            await books.keyset_page(sort=sort, limit=2, cursor=cursor)
        assert caught.value.field == "cursor", carries
    assert await books.count() == 3  # the session is still usable: nothing reached the driver


async def test_a_cursor_at_the_edges_of_what_fits_still_continues(sides: Sides) -> None:
    side = sides.open()
    await seed(side)
    books = side.repo(Book)
    early = forged(["created_at", "id"], [{"dt": "0001-01-01T14:00:00+14:00"}, 0])
    assert len((await books.keyset_page(sort="created_at", limit=5, cursor=early)).items) == 3
    low = forged(["pages", "id"], [-(2**63), -(2**63)])
    assert len((await books.keyset_page(sort="pages", limit=5, cursor=low)).items) == 3
    high = forged(["-pages", "-id"], [2**63 - 1, 2**63 - 1])
    assert len((await books.keyset_page(sort="-pages", limit=5, cursor=high)).items) == 3
    text = forged(["title", "id"], ["é😀", 0])
    assert (await books.keyset_page(sort="title", limit=5, cursor=text)).items == []


# ----- signed cursors -----


def signed_side(sides: Sides, *keys: str) -> Side:
    return sides.open(info={CURSOR_SIGNER: CursorSigner(keys)})


async def test_signed_cursors_continue_and_an_edited_one_is_refused(sides: Sides) -> None:
    side = signed_side(sides, "k1")
    await seed(side)
    books = side.repo(Book)
    first = await books.keyset_page(sort="pages", limit=1)
    assert first.next_cursor is not None and "." in first.next_cursor
    second = await books.keyset_page(sort="pages", limit=1, cursor=first.next_cursor)
    assert [b.title for b in second.items] == ["b1"]
    payload, _, signature = first.next_cursor.partition(".")
    edited = forged(["pages", "id"], [1, 2])  # a well-formed payload the key never signed
    refused = {
        "edited payload": f"{edited}.{signature}",
        "unsigned": payload,
        "signature cut": f"{payload}.{signature[:-2]}",
        "no signature": f"{payload}.",
        "another key": encode_cursor(
            [SortKey("pages"), SortKey("id")], [0, 1], signer=CursorSigner(["other"])
        ),
    }
    for name, cursor in refused.items():
        with pytest.raises(InvalidQuery) as caught:
            await books.keyset_page(sort="pages", limit=1, cursor=cursor)
        assert caught.value.field == "cursor", name


async def test_a_rotated_key_keeps_old_cursors_working_until_it_is_dropped(sides: Sides) -> None:
    side = signed_side(sides, "old")
    await seed(side)
    books = side.repo(Book)
    cursor = (await books.keyset_page(sort="pages", limit=1)).next_cursor
    side.sync_session.info[CURSOR_SIGNER] = CursorSigner(["new", "old"])  # rotated
    page = await books.keyset_page(sort="pages", limit=1, cursor=cursor)
    assert [b.title for b in page.items] == ["b1"]
    assert page.next_cursor is not None
    side.sync_session.info[CURSOR_SIGNER] = CursorSigner(["new"])  # the old key dropped
    # the new key signed the rotated page's cursor: it verifies without the old key
    assert (await books.keyset_page(sort="pages", limit=1, cursor=page.next_cursor)).items
    with pytest.raises(InvalidQuery, match="signature"):
        await books.keyset_page(sort="pages", limit=1, cursor=cursor)


def test_database_settings_read_one_key_or_a_list_and_never_show_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_CURSOR_SECRETS", "s3cret-one")
    assert [s.get_secret_value() for s in DatabaseSettings().cursor_secrets] == ["s3cret-one"]
    monkeypatch.setenv("DATABASE_CURSOR_SECRETS", '["new-key", "old-key"]')
    settings = DatabaseSettings()
    assert [s.get_secret_value() for s in settings.cursor_secrets] == ["new-key", "old-key"]
    assert "new-key" not in repr(settings)
    monkeypatch.delenv("DATABASE_CURSOR_SECRETS")
    assert DatabaseSettings().cursor_secrets == ()
    with pytest.raises(ValueError, match="must not be empty"):
        DatabaseSettings(cursor_secrets=["ok", ""])
    db = Database("sqlite://", cursor_secrets=["new-key", "old-key"])
    try:
        with db.session() as session:
            signer = session.info[CURSOR_SIGNER]
        assert isinstance(signer, CursorSigner) and "new-key" not in repr(signer)
        with Database("sqlite://").session() as unsigned:
            assert CURSOR_SIGNER not in unsigned.info
    finally:
        db.dispose()


def test_the_signature_covers_the_whole_payload() -> None:
    signer = CursorSigner(["k"])
    keys = [SortKey("created_at"), SortKey("id")]
    moment = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    a = encode_cursor(keys, [moment, 1], signer=signer)
    b = encode_cursor(keys, [moment, 2], signer=signer)
    assert a.partition(".")[2] != b.partition(".")[2]
    assert signer.verify(*a.split(".")) and not signer.verify(a.split(".")[0], b.split(".")[1])
    with pytest.raises(ValueError):
        CursorSigner([])
