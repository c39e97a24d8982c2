"""Read-your-writes across HTTP requests: the causality token travels to the client and back.

`CausalityMiddleware` (pure ASGI) reads a signed token from the ``X-Stanchion-Causality``
request header or the ``stanchion_causality`` cookie, so this request's replica reads wait for
that position, and after a write returns the new token in the same header and cookie. A token
that is malformed or not signed with the secret is ignored (the request runs without one).
"""

from __future__ import annotations

import secrets
from collections.abc import MutableMapping
from http.cookies import SimpleCookie
from typing import Any

from stanchion.engine.causality import CausalityToken, causality_scope
from stanchion.fastapi.lifespan import STATE_KEY

HEADER = "x-stanchion-causality"
COOKIE = "stanchion_causality"
#: The cookie only has to outlive replica lag; a stale token is harmless (already replayed).
COOKIE_MAX_AGE_S = 300

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]

_PROCESS_SECRET = secrets.token_bytes(32)


class CausalityMiddleware:
    """``app.add_middleware(CausalityMiddleware)``: reads after a client's own writes see them.

    The signing key is `secret`, else the database's ``DATABASE_CAUSALITY_SECRET``, else a random
    key of this process (set the setting when several processes serve one client).
    """

    def __init__(
        self, app: Any, *, secret: str | bytes | None = None, secure: bool = False
    ) -> None:
        self.app = app
        self._secret = secret.encode() if isinstance(secret, str) else secret
        self._cookie_flags = "; Secure" if secure else ""

    def _key(self, scope: Scope) -> bytes:
        if self._secret is not None:
            return self._secret
        app = scope.get("app")
        db = getattr(getattr(app, "state", None), STATE_KEY, None)
        configured = getattr(getattr(db, "settings", None), "causality_secret", None)
        if configured is not None:
            return str(configured.get_secret_value()).encode()
        return _PROCESS_SECRET

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        key = self._key(scope)
        with causality_scope(_incoming(scope, key)) as held:

            async def send_with_token(message: Message) -> None:
                if message["type"] == "http.response.start" and held.changed and held.token:
                    value = held.token.sign(key)
                    headers = list(message.get("headers", []))
                    headers.append((HEADER.encode(), value.encode()))
                    cookie = (
                        f"{COOKIE}={value}; Max-Age={COOKIE_MAX_AGE_S}; Path=/; HttpOnly;"
                        f" SameSite=Lax{self._cookie_flags}"
                    )
                    headers.append((b"set-cookie", cookie.encode()))
                    message["headers"] = headers
                await send(message)

            await self.app(scope, receive, send_with_token)


def _incoming(scope: Scope, key: bytes) -> CausalityToken | None:
    """The verified token of the request (the header wins over the cookie), or None."""
    header: str | None = None
    cookies: list[str] = []
    for name, value in scope.get("headers", ()):
        if name == HEADER.encode():
            header = value.decode("latin-1")
        elif name == b"cookie":
            cookies.append(value.decode("latin-1"))
    if header is not None:
        return CausalityToken.verify(header, key)
    for text in cookies:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(text)
        except Exception:  # a malformed Cookie header means no token, never a 500
            continue
        if COOKIE in jar:
            return CausalityToken.verify(jar[COOKIE].value, key)
    return None
