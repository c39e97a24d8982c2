"""Database settings: one validated object, read from arguments or the environment.

``DATABASE_URL`` (and ``DATABASE_POOL_SIZE`` etc.) configure a service without code changes.
"""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_URL = "sqlite:///./stanchion.db"


class DatabaseSettings(BaseSettings):
    """Everything a `Database` needs; the defaults are production defaults."""

    model_config = SettingsConfigDict(
        env_prefix="DATABASE_", env_file=".env", extra="ignore", frozen=True
    )

    url: SecretStr = Field(default=SecretStr(DEFAULT_URL), description="SQLAlchemy URL")
    echo: bool = False
    pool_size: int = Field(default=5, ge=1)
    max_overflow: int = Field(default=10, ge=0)
    pool_timeout: float = Field(default=10.0, gt=0, description="seconds to wait for a connection")
    pool_recycle: int = Field(default=1800, ge=-1, description="seconds; -1 disables")
    pool_use_lifo: bool = True
    pool_pre_ping: bool = True
    connect_timeout: float = Field(default=10.0, gt=0)
    application_name: str = "stanchion"
    statement_timeout_ms: int | None = Field(default=None, ge=0)
    lock_timeout_ms: int | None = Field(default=None, ge=0)
    idle_in_transaction_session_timeout_ms: int | None = Field(default=60_000, ge=0)
    sqlite_busy_timeout_ms: int = Field(default=10_000, ge=0)
    raise_on_lazy_load: bool = True
