"""A request body size limit: a body beyond it is a 413 problem, read no further.

Pure ASGI middleware, so it sees the body as it arrives: a ``Content-Length`` above the limit
is refused before the app runs, and a body sent without one (chunked) is cut off as soon as it
passes the limit — no more than the limit is ever held in memory.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stanchion.fastapi import problem

#: The largest request body the blog accepts: a post's text (100,000 characters) with room.
MAX_BODY_BYTES = 512 * 1024


class BodySizeLimit:
    """Refuse request bodies over `max_bytes` with a 413 ``application/problem+json``."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await self._refuse(scope, receive, send)
            return
        # Read the body here, up to the limit, and hand the app what was read: an error raised
        # while the app reads would be the framework's to answer (FastAPI makes it a 400).
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break  # the client went away: the app sees that too
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        buffered = iter(messages)

        async def replay() -> Message:
            return next(buffered, None) or await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        detail = f"the request body is larger than {self.max_bytes} bytes"
        response = problem(413, "Content Too Large", detail, headers={"Connection": "close"})
        await response(scope, receive, send)
