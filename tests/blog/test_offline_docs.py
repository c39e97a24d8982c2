"""The blog's /docs and /redoc pages load every asset from the app itself: no CDN needed."""

from __future__ import annotations

import re

import httpx
import pytest
from blog.app import create_app

pytestmark = pytest.mark.anyio


async def test_the_docs_pages_need_no_network() -> None:
    transport = httpx.ASGITransport(app=create_app())  # no lifespan: docs need no database
    async with httpx.AsyncClient(transport=transport, base_url="http://blog") as client:
        for page in ("/docs", "/redoc"):
            html = await client.get(page)
            assert html.status_code == 200
            linked = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html.text)
            assert any(a.endswith(".js") for a in linked), html.text
            assert not [a for a in linked if a.startswith(("http:", "https:", "//"))], linked
            for asset in linked:
                assert (await client.get(asset)).status_code == 200, asset
