"""Database settings: one validated object, read from arguments or the environment.

``DATABASE_URL`` (and ``DATABASE_POOL_SIZE`` etc.) configure a service without code changes.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_URL = "sqlite:///./stanchion.db"


class DatabaseSettings(BaseSettings):
    """Everything a `Database` needs; the defaults are production defaults."""

    model_config = SettingsConfigDict(
        env_prefix="DATABASE_",
        env_file=".env",
        extra="ignore",
        frozen=True,
        env_ignore_empty=True,  # ``DATABASE_URL=`` in a shell or .env means "not set"
    )

    url: SecretStr = Field(default=SecretStr(DEFAULT_URL), description="SQLAlchemy URL")
    echo: bool = False
    pool_size: int = Field(default=5, ge=1)
    max_overflow: int = Field(default=10, ge=0)
    pool_timeout: float = Field(default=10.0, gt=0, description="seconds to wait for a connection")
    pool_recycle: int = Field(default=1800, ge=-1, description="seconds; -1 disables")
    pool_use_lifo: bool = True
    pool_pre_ping: bool = True
    pool_pre_ping_idle: float = Field(
        default=10.0,
        ge=0,
        description="seconds idle before a connection is pinged at checkout; 0: every checkout",
    )
    connect_timeout: float = Field(default=10.0, gt=0)
    application_name: str = "stanchion"
    statement_timeout_ms: int | None = Field(default=None, ge=0)
    lock_timeout_ms: int | None = Field(default=None, ge=0)
    idle_in_transaction_session_timeout_ms: int | None = Field(default=60_000, ge=0)
    sqlite_busy_timeout_ms: int = Field(default=10_000, ge=0)
    #: The longest any call waits on a server that stops answering (a dead host, a hung proxy)
    #: before it fails with ConnectionLost; raised to statement_timeout_ms + 5 s when that is
    #: longer, so a statement the server may still be running is never cut. 0: no bound.
    peer_timeout_s: float = Field(default=300.0, ge=0)
    raise_on_lazy_load: bool = True
    #: A transaction-mode pooler between stanchion and PostgreSQL (docs/scale-out.md#pgbouncer):
    #: no server-side prepared statements, settings per transaction, session features refused.
    pooler: Literal["pgbouncer"] | None = None
    #: The server itself, past the pooler: what needs a session (migrations, LISTEN) uses it.
    direct_url: SecretStr | None = Field(default=None, description="SQLAlchemy URL, no pooler")
    observability: str = Field(
        default="off",
        pattern=r"(?i)^\s*(off|metrics|on)\s*$",
        description="off, metrics, or on (traces, metrics, slow-query log too)",
    )
    cursor_secrets: Annotated[tuple[SecretStr, ...], NoDecode] = Field(
        default=(),
        description="keys that sign keyset cursors: the first signs, all verify (rotation); "
        "none: cursors are unsigned but still checked",
    )

    # ----- read replicas (docs/scale-out.md) -----
    #: ``DATABASE_REPLICA_URLS=url1,url2``: read-only units of work go to these servers.
    replica_urls: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    #: Lag beyond which a replica leaves rotation: WAL bytes (PostgreSQL) or transactions
    #: (MariaDB GTID sequence numbers); None takes the backend's default. Never a timestamp.
    replica_max_lag: int | None = Field(default=None, ge=0)
    replica_check_interval_s: float = Field(default=1.0, gt=0)
    #: How long a read carrying a causality token waits for a replica to replay it.
    replica_wait_ms: int = Field(default=200, ge=0)
    #: With no usable replica: read from the primary, or fail with `DatabaseUnavailable`.
    replica_fallback: Literal["primary", "fail"] = "primary"
    #: Key that signs causality tokens handed to HTTP clients (random per process if unset).
    causality_secret: SecretStr | None = None

    def peer_bound(self) -> float | None:
        """Seconds a call may wait for the server before it is failed (None: unbounded)."""
        if not self.peer_timeout_s:
            return None
        statement_s = (self.statement_timeout_ms or 0) / 1000
        return max(self.peer_timeout_s, statement_s + 5) if statement_s else self.peer_timeout_s

    @field_validator("replica_urls", mode="before")
    @classmethod
    def _split_replica_urls(cls, value: Any) -> Any:
        """``DATABASE_REPLICA_URLS`` is a comma-separated list; blanks are dropped."""
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("url", mode="before")
    @classmethod
    def _blank_url_means_default(cls, value: Any) -> Any:
        """A blank URL (``DATABASE_URL=" "``, ``url=""``) is the default, not a parse error."""
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if isinstance(text, str) and not text.strip():
            return SecretStr(DEFAULT_URL)
        return value

    @field_validator("cursor_secrets", mode="before")
    @classmethod
    def _one_or_a_list_of_secrets(cls, value: Any) -> Any:
        """``DATABASE_CURSOR_SECRETS=key`` is one key, ``'["new", "old"]'`` a JSON list."""
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return (text,) if text else ()
        return value

    @field_validator("cursor_secrets")
    @classmethod
    def _no_empty_secret(cls, value: tuple[SecretStr, ...]) -> tuple[SecretStr, ...]:
        if any(not secret.get_secret_value() for secret in value):
            raise ValueError("a cursor secret must not be empty")
        return value
