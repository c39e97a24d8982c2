"""Passwords (argon2, hashed off the event loop) and tokens (JWT, ``Authorization: Token ...``).

`Auth` holds the signing secret and the hasher; the app keeps one on ``app.state``. The
dependencies `ViewerId` (optional: who is reading, or None) and `CurrentUserId` (required: 401
without a valid token) only decode the token: no query is spent on who is asking.
"""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated

import anyio.to_thread
import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, Request

from conduit.errors import unauthorized

log = logging.getLogger("conduit.auth")
_ALGORITHM = "HS256"
_MIN_SECRET_BYTES = 32


def _secret_from_environment() -> str:
    secret = os.environ.get("CONDUIT_JWT_SECRET")
    if secret:
        return secret
    log.warning(
        "CONDUIT_JWT_SECRET is not set: tokens are signed with a random key and stop "
        "working when the process restarts"
    )
    return secrets.token_urlsafe(32)


@dataclass
class Auth:
    """How the app signs tokens and hashes passwords (see `default_auth`)."""

    secret: str = field(default_factory=_secret_from_environment, repr=False)
    hasher: PasswordHasher = field(default_factory=PasswordHasher)
    token_lifetime: timedelta = timedelta(days=30)

    def __post_init__(self) -> None:
        if len(self.secret.encode()) < _MIN_SECRET_BYTES:  # RFC 7518 3.2, for HS256
            raise ValueError(f"the token secret needs at least {_MIN_SECRET_BYTES} bytes")

    def token_for(self, user_id: int) -> str:
        now = datetime.now(UTC)
        claims = {"sub": str(user_id), "iat": now, "exp": now + self.token_lifetime}
        return jwt.encode(claims, self.secret, algorithm=_ALGORITHM)

    def user_id_of(self, token: str) -> int:
        """The user a token names; 401 when it is forged, expired or malformed."""
        try:
            claims = jwt.decode(
                token, self.secret, algorithms=[_ALGORITHM], options={"require": ["exp", "sub"]}
            )
            return int(claims["sub"])
        except (jwt.InvalidTokenError, ValueError) as error:
            raise unauthorized(message="is invalid") from error

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(self.hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        def check() -> bool:
            try:
                return self.hasher.verify(password_hash, password)
            except (VerificationError, InvalidHashError):
                return False

        return await anyio.to_thread.run_sync(check)


def auth_of(request: Request) -> Auth:
    """The app's `Auth`; made from the environment on first use when the app was given none."""
    auth: Auth | None = request.app.state.conduit_auth
    if auth is None:
        auth = request.app.state.conduit_auth = Auth()
    return auth


AuthDep = Annotated[Auth, Depends(auth_of)]


def _token(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "token" or not token.strip():
        raise unauthorized(message="is invalid")
    return token.strip()


async def viewer_id(request: Request, auth: AuthDep) -> int | None:
    """The reader's user id when a token came, else None (anonymous)."""
    token = _token(request)
    return None if token is None else auth.user_id_of(token)


async def current_user_id(request: Request, auth: AuthDep) -> int:
    """The caller's user id; 401 ``{"errors": {"token": ["is missing"]}}`` without a token."""
    token = _token(request)
    if token is None:
        raise unauthorized()
    return auth.user_id_of(token)


ViewerId = Annotated[int | None, Depends(viewer_id)]
CurrentUserId = Annotated[int, Depends(current_user_id)]
