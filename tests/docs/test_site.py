"""The documentation site builds with warnings as errors, and works in a real browser.

`mkdocs build --strict` fails on a broken link or anchor, a missing snippet file, a public name
without a reference entry, and a code block typed into a task page (docs/_hooks/site.py). The
built site is then served on 127.0.0.1 and loaded in headless Chromium (Debian's package, driven
by Playwright): the home page, the tutorial, the reference and the search must work with no
console error, and the mermaid pictures must render.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PORT = 8780  # this project's docs port; any free one if it is taken
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# The flags keep a headless run quiet and offline: no updates, no sync, no QUIC, a fresh profile.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def test_site_builds_strictly_with_the_reference_and_the_cli_from_the_code(site: Path) -> None:
    reference = (site / "reference" / "stanchion" / "index.html").read_text()
    assert 'id="stanchion.Database"' in reference and 'id="stanchion.RetryPolicy"' in reference
    cli = (site / "reference" / "cli" / "index.html").read_text()
    assert "stanchion db upgrade" in cli and "Exit 4 when the database is not at head" in cli
    tutorial = (site / "tutorial" / "04-repository" / "index.html").read_text()
    assert "low_stock" in tutorial and "--8&lt;--" not in tutorial  # included, not left as is
    assert (site / "search" / "search_index.json").exists()


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(site))
    try:
        server = ThreadingHTTPServer(("127.0.0.1", PORT), handler)
    except OSError:
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def _chromium() -> str:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (.ci/servers/docsite.sh installs it)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return CHROMIUM


def test_site_works_in_headless_chromium(served: str, tmp_path: Path) -> None:
    from playwright.sync_api import ConsoleMessage, sync_playwright

    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=_chromium(), args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page()

            def console(message: ConsoleMessage) -> None:
                if message.type == "error":
                    problems.append(message.text)

            page.on("console", console)
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))

            page.goto(f"{served}/")
            tabs = page.locator(".md-tabs__link").all_inner_texts()
            assert [t.strip() for t in tabs] == [
                "Home",
                "Tutorial",
                "How-to",
                "Concepts",
                "Reference",
                "Operations",
                "Migrating",
            ]
            # The search, as a person uses it: wait for its index, press "s", type a word.
            page.wait_for_function(
                "() => document.querySelector('.md-search-result__meta')"
                ".textContent.includes('Type to start')",
                timeout=60_000,
            )
            page.keyboard.press("s")
            page.keyboard.type("keyset", delay=20)
            page.wait_for_selector(".md-search-result__item", state="attached", timeout=20_000)
            assert "matching document" in page.locator(".md-search-result__meta").inner_text()

            page.goto(f"{served}/tutorial/04-repository/")
            assert "class ItemRepository(Repository[Item])" in page.locator("article").inner_text()

            page.goto(f"{served}/reference/stanchion/")
            assert page.locator('[id="stanchion.UnitOfWork"]').count() == 1

            for path in ("architecture/", "transactions/", "howto/retries/"):
                page.goto(f"{served}/{path}")  # Material renders mermaid into a closed shadow root
                page.wait_for_function(
                    "() => [...document.querySelectorAll('div.mermaid')].every("
                    "d => d.getBoundingClientRect().height > 100)",
                    timeout=20_000,
                )
        finally:
            browser.close()
    assert problems == []
