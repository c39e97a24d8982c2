"""Causality tokens: the primary's replication position after a write, so later reads see it.

Every committed write on a database with replicas yields a `CausalityToken`; it follows the
caller in a context variable, and a read carrying one waits until its replica has replayed that
position. Across HTTP requests the token travels signed (HMAC-SHA256), so a client can hand back
only a position the server gave it: it can make its own reads fresher, never point them elsewhere.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from stanchion.engine.backends.replication import Replication


@dataclass(frozen=True, slots=True)
class CausalityToken:
    """A primary's replication position: a WAL LSN (``kind="pg"``) or a GTID list (``"gtid"``)."""

    kind: str
    position: str

    def sign(self, secret: bytes) -> str:
        """The token as text for a header or cookie: ``kind.position.signature``, URL-safe."""
        body = f"{self.kind}.{_b64(self.position.encode())}"
        return f"{body}.{_b64(_mac(secret, body))}"

    @classmethod
    def verify(cls, text: str, secret: bytes) -> CausalityToken | None:
        """The token in `text` if it is well-formed and signed with `secret`, else None."""
        parts = text.strip().split(".")
        if len(parts) != 3 or len(text) > 1024:
            return None
        kind, encoded, signature = parts
        body = f"{kind}.{encoded}"
        try:
            expected = _unb64(signature)
            position = _unb64(encoded).decode("ascii")
        except (ValueError, UnicodeDecodeError):
            return None
        if not hmac.compare_digest(expected, _mac(secret, body)):
            return None
        return cls(kind, position)


def _mac(secret: bytes, body: str) -> bytes:
    return hmac.new(secret, body.encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as error:
        raise ValueError("not base64") from error


class CausalityScope:
    """The token of one logical caller (a request, a job); mutable so that a write made in a
    copied context (a FastAPI dependency) is seen by the code that opened the scope."""

    __slots__ = ("changed", "token")

    def __init__(self, token: CausalityToken | None = None) -> None:
        self.token = token
        #: True once a write in this scope advanced the token.
        self.changed = False


_SCOPE: ContextVar[CausalityScope | None] = ContextVar("stanchion_causality", default=None)


def current_token() -> CausalityToken | None:
    """The token reads in this context must respect, or None."""
    scope = _SCOPE.get()
    return None if scope is None else scope.token


def current_scope() -> CausalityScope:
    """This context's scope, made (and set in this context) on first use."""
    scope = _SCOPE.get()
    if scope is None:
        scope = CausalityScope()
        _SCOPE.set(scope)
    return scope


@contextmanager
def causality_scope(token: CausalityToken | None = None) -> Iterator[CausalityScope]:
    """A fresh scope for the block (one HTTP request, one job), starting from `token`."""
    scope = CausalityScope(token)
    reset = _SCOPE.set(scope)
    try:
        yield scope
    finally:
        _SCOPE.reset(reset)


def advance(token: CausalityToken, replication: Replication) -> None:
    """Record a committed write's position: the scope keeps the later of it and what it had."""
    scope = current_scope()
    held = scope.token
    if held is not None and held.kind == token.kind:
        token = CausalityToken(token.kind, replication.newer(held.position, token.position))
    scope.token = token
    scope.changed = True


def usable(token: CausalityToken | None, replication: Replication) -> CausalityToken | None:
    """`token` if it is of this database's kind and well-formed, else None (ignored)."""
    if token is None or token.kind != replication.kind or not replication.valid(token.position):
        return None
    return token
