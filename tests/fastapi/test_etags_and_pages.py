"""`stanchion.fastapi`'s ETag helpers and page models, without a database."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

from stanchion.fastapi import (
    IfMatchDep,
    NumberedPage,
    OptionalIfMatchDep,
    Page,
    etag,
    expected_version,
    install_problem_handlers,
)
from stanchion.query.pagination import KeysetPage, OffsetPage

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("value", "version"), [('"3"', 3), (' "3" ', 3), ("*", None), (etag(42), 42)]
)
def test_expected_version_reads_strong_version_tags(value: str, version: int | None) -> None:
    assert expected_version(value) == version


@pytest.mark.parametrize(
    ("value", "status"),
    [
        (None, 428),
        ("abc", 400),
        ("3", 400),
        ('"²"', 400),
        ('"³"', 400),
        ('"٣"', 400),  # an Arabic-Indic digit: isdigit() and int() accept it, we do not
        ('"3', 400),
        ('"1", "2"', 400),
        ('"1234567890123456789"', 400),
        ("", 400),
        ('W/"3"', 412),
    ],
)
def test_expected_version_refuses_with_a_client_status(value: str | None, status: int) -> None:
    with pytest.raises(HTTPException) as raised:
        expected_version(value)
    assert raised.value.status_code == status


def test_an_absent_optional_if_match_means_any_version() -> None:
    assert expected_version(None, required=False) is None


async def test_the_dependencies_answer_problem_json_never_500() -> None:
    app = FastAPI()
    install_problem_handlers(app)

    @app.put("/required")
    async def required(version: IfMatchDep) -> dict[str, int | None]:
        return {"version": version}

    @app.put("/optional")
    async def optional(version: OptionalIfMatchDep) -> dict[str, int | None]:
        return {"version": version}

    transport = httpx.ASGITransport(app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.put("/required")).status_code == 428
        assert (await client.put("/optional")).json() == {"version": None}
        ok = await client.put("/required", headers={"If-Match": '"5"'})
        assert ok.json() == {"version": 5}
        for bad in ("abc", '"²"'.encode(), b'"\xff"', "x" * 300):
            raw = bad if isinstance(bad, bytes) else bad.encode()
            answer = await client.put("/required", headers={b"If-Match": raw})
            assert answer.status_code in (400, 422), (bad, answer.text)
            assert answer.headers["content-type"] == "application/problem+json"
        spec = app.openapi()
        parameters = spec["paths"]["/required"]["put"]["parameters"]
        assert [p["name"] for p in parameters] == ["If-Match"]


class Item(BaseModel):
    name: str


def test_page_of_converts_rows_with_the_item_type() -> None:
    page = Page[Item].of(KeysetPage([{"name": "a"}, {"name": "b"}], 2, "c2"))
    assert page.model_dump() == {
        "items": [{"name": "a"}, {"name": "b"}],
        "next_cursor": "c2",
        "limit": 2,
    }
    numbered = NumberedPage[Item].of(OffsetPage([{"name": "a"}], 7, 1, 3))
    assert (numbered.total, numbered.offset, numbered.items[0].name) == (7, 3, "a")
    with pytest.raises(TypeError, match="item type"):
        Page.of(KeysetPage([], 1))
