"""`EngineSpec`: the resolved URL, backend profile and engine options, made once per database.

`Database` and `AsyncDatabase` both build their engine from one, so sync and async share every
production default; a `URL` object passed in is used as given, never rendered and parsed again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import URL, Engine

from stanchion.engine._ping import install_idle_ping
from stanchion.engine._silence import install_peer_timeout
from stanchion.engine._translate import (
    TranslatingAsyncQueuePool,
    TranslatingQueuePool,
    install_translation,
)
from stanchion.engine.backends import Backend, backend_for
from stanchion.engine.settings import DatabaseSettings
from stanchion.engine.url import with_driver
from stanchion.errors import ConfigurationError


@dataclass(frozen=True, slots=True)
class EngineSpec:
    """Everything needed to create an engine: resolved URL, backend profile and options."""

    url: URL
    backend: Backend
    options: dict[str, Any]
    settings: DatabaseSettings

    @classmethod
    def build(
        cls, settings: DatabaseSettings, *, is_async: bool, url: URL | None = None
    ) -> EngineSpec:
        """The spec for `settings`; `url`, when given, replaces ``settings.url`` as it is."""
        source: str | URL = url if url is not None else settings.url.get_secret_value()
        resolved = with_driver(source, is_async=is_async)
        backend = backend_for(resolved)
        if settings.pooler is not None and not backend.accepts_pooler(settings.pooler):
            raise ConfigurationError(
                f"pooler={settings.pooler!r} is for PostgreSQL, not {backend.name}"
            )
        options = backend.engine_options(resolved, settings)
        if "poolclass" not in options:
            options["poolclass"] = TranslatingAsyncQueuePool if is_async else TranslatingQueuePool
        options["echo"] = settings.echo
        options["hide_parameters"] = True
        return cls(resolved, backend, options, settings)

    @classmethod
    def from_arguments(
        cls,
        url: str | URL | None,
        settings: DatabaseSettings | None,
        *,
        is_async: bool,
        **overrides: Any,
    ) -> EngineSpec:
        """The spec for what `Database(url, settings=..., **options)` was given."""
        if settings is not None:
            if url is not None or overrides:
                raise TypeError("pass either settings or url/options, not both")
            return cls.build(settings, is_async=is_async)
        if isinstance(url, str):
            overrides["url"] = url
            return cls.build(DatabaseSettings(**overrides), is_async=is_async)
        if url is not None:  # kept (secret) in the settings for reading; the engine uses `url`
            overrides["url"] = url.render_as_string(hide_password=False)
        return cls.build(DatabaseSettings(**overrides), is_async=is_async, url=url)

    def install(self, engine: Engine) -> None:
        """Attach the backend's connect-time settings, the error translation, the idle ping and
        the bound on a silent server to `engine`."""
        settings = self.settings
        self.backend.install(engine, settings)
        install_translation(engine, self.backend)
        idle = settings.pool_pre_ping_idle
        if settings.pool_pre_ping and idle > 0 and self.backend.pings_connections():
            install_idle_ping(engine, idle)
        bound = settings.peer_bound()
        socket_of = self.backend.peer_socket(engine.dialect)
        if bound is not None and socket_of is not None:
            install_peer_timeout(engine, bound, socket_of)
