"""Build-time checks and helpers for the documentation site (mkdocs.yml `hooks:`).

Warnings here fail `mkdocs build --strict`: a public name missing from the reference, or a code
block on a task page typed into the page instead of quoted from a tested example file.
"""

from __future__ import annotations

import importlib
import logging
import re
from typing import Any

log = logging.getLogger("mkdocs.hooks.stanchion")

#: Reference page (path under docs/) -> the package whose `__all__` it must document.
REFERENCE = {
    "reference/stanchion.md": "stanchion",
    "reference/fastapi.md": "stanchion.fastapi",
    "reference/testing.md": "stanchion.testing",
}
#: Pages written for the site: their code comes only from files under docs/examples (snippets).
QUOTING_PAGES = ("tutorial/", "howto/", "migrating/")
_FENCE = re.compile(r"^(```+|~~~+)[ \t]*(\S*)[^\n]*\n(.*?)^\1[ \t]*$", re.MULTILINE | re.DOTALL)
_UNQUOTED_LANGUAGES = {"mermaid", "text", "console", "sh", "bash"}


CLI_MARKER = "<!-- stanchion-cli-help -->"


def _cli_help() -> str:
    """The `stanchion` command's help as Markdown, from Typer's own docs generator."""
    import typer.cli
    import typer.main

    from stanchion.cli import app

    command = typer.main.get_command(app)
    context = command.context_class(command)  # the Context class of typer's own click
    text = typer.cli.get_docs_for_click(obj=command, ctx=context, name="stanchion")
    # One heading level down (the page has its own title); completion options are the shell's.
    text = re.sub(r"^(#+) ", r"#\1 ", text, flags=re.MULTILINE)
    return "\n".join(line for line in text.splitlines() if "-completion`" not in line)


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    """Render the CLI page; refuse code typed into a task page (blocks must be `--8<--`)."""
    path = page.file.src_uri
    if CLI_MARKER in markdown:
        markdown = markdown.replace(CLI_MARKER, _cli_help())
    if path.startswith(QUOTING_PAGES):
        for match in _FENCE.finditer(markdown):
            language, body = match.group(2).lower(), match.group(3)
            if language in _UNQUOTED_LANGUAGES:
                continue
            lines = [line for line in body.splitlines() if line.strip()]
            if not lines or not all(line.lstrip().startswith("--8<--") for line in lines):
                log.warning("%s: a %s block is not quoted from docs/examples", path, language)
    return markdown


def on_page_content(html: str, page: Any, **_: Any) -> str:
    """Fail the build when a public name has no entry (so no docstring) in its reference page."""
    module_name = REFERENCE.get(page.file.src_uri)
    if module_name is not None:
        module = importlib.import_module(module_name)
        anchors = set(re.findall(r'id="([\w.]+)"', html))
        missing = [n for n in module.__all__ if f"{module_name}.{n}" not in anchors]
        if missing:
            log.warning("%s documents no %s (a docstring?)", page.file.src_uri, missing)
    return html
