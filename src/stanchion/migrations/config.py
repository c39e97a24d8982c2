"""`MigrationConfig`: where the migrations live, which models they track, which database they hit.

Read from ``[tool.stanchion]`` in ``pyproject.toml``; the database URL comes from ``DATABASE_URL``
(``stanchion.DatabaseSettings``) unless the section names one. One object feeds Alembic everywhere.
"""

from __future__ import annotations

import fnmatch
import importlib
import sys
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from alembic.config import Config as AlembicConfig
from sqlalchemy import MetaData
from sqlalchemy.engine import URL

from stanchion.engine.settings import DatabaseSettings
from stanchion.errors import MigrationConfigError

#: The key of ``alembic.config.Config.attributes`` under which env.py finds this configuration.
CONFIG_ATTRIBUTE = "stanchion_config"
#: Where a connection, engine or `Database` handed to the migrations is put (Alembic's convention).
CONNECTION_ATTRIBUTE = "connection"
#: Offline runs may name a dialect to render SQL for ("postgresql", "mysql") instead of the URL's.
DIALECT_ATTRIBUTE = "stanchion_dialect"
#: ``config.attributes`` key of a callable told each applied step ("0001 -> 0002, create posts").
STEP_ATTRIBUTE = "stanchion_on_step"

DEFAULT_LOCK_TIMEOUT_MS = 5_000


@dataclass(frozen=True)
class MigrationConfig:
    """Everything stanchion needs to run Alembic for one project.

    ``directory`` holds env.py and versions/; ``metadata`` is an import path such as
    ``"blog.models:Model.metadata"`` (or several); ``url`` overrides ``DATABASE_URL``.
    """

    directory: Path
    metadata: tuple[str, ...] = ()
    root: Path = field(default_factory=Path.cwd)
    url: str | URL | None = field(default=None, repr=False)
    lock_timeout_ms: int | None = DEFAULT_LOCK_TIMEOUT_MS
    version_table: str = "alembic_version"
    pyproject: Path | None = None
    #: Table names (shell patterns) the migrations ignore: another package's tables, say.
    exclude_tables: tuple[str, ...] = ()
    #: The databases `stanchion db lint` renders each revision for.
    lint_dialects: tuple[str, ...] = ("postgresql", "mysql")

    @classmethod
    def load(cls, path_or_pyproject: str | Path | None = None) -> MigrationConfig:
        """Read ``[tool.stanchion]`` from a pyproject.toml, a directory holding one, or the
        nearest one above the current directory when nothing is given."""
        pyproject = _find_pyproject(Path(path_or_pyproject or Path.cwd()))
        with pyproject.open("rb") as file:
            section = tomllib.load(file).get("tool", {}).get("stanchion", {})
        root = pyproject.parent
        metadata = section.get("metadata", ())
        lock_timeout = section.get("lock_timeout_ms", DEFAULT_LOCK_TIMEOUT_MS)
        return cls(
            directory=(root / section.get("migrations", "migrations")).resolve(),
            metadata=(metadata,) if isinstance(metadata, str) else tuple(metadata),
            root=root,
            url=section.get("url"),
            lock_timeout_ms=int(lock_timeout) if lock_timeout else None,
            version_table=section.get("version_table", "alembic_version"),
            pyproject=pyproject,
            exclude_tables=tuple(section.get("exclude_tables", ())),
            lint_dialects=tuple(section.get("lint_dialects", ("postgresql", "mysql"))),
        )

    def is_excluded(self, table_name: str) -> bool:
        """Whether `table_name` matches one of ``exclude_tables``."""
        return any(fnmatch.fnmatchcase(table_name, pattern) for pattern in self.exclude_tables)

    def with_url(self, url: str | URL | None) -> MigrationConfig:
        """A copy that talks to `url` instead (a scratch database, a test database)."""
        return replace(self, url=url)

    # -- what the migrations run against ------------------------------------------------------

    def database_settings(self) -> DatabaseSettings:
        """The `DatabaseSettings` for the migration database: ``url`` if set, else the env.

        Migrations need a session of their own (``SET lock_timeout``, work outside a
        transaction): behind a transaction-mode pooler they use ``direct_url``, or refuse."""
        if self.url is None:
            settings = DatabaseSettings()
        else:
            url = self.url
            text = url if isinstance(url, str) else url.render_as_string(hide_password=False)
            settings = DatabaseSettings(url=text)
        # DDL may rightly run for long (an index built online): lock_timeout bounds its waits
        settings = settings.model_copy(update={"peer_timeout_s": 0})
        if settings.pooler is None:
            return settings
        if settings.direct_url is None:
            raise MigrationConfigError(
                f"migrations cannot run through pooler={settings.pooler!r}: they need a session "
                "of their own; set DATABASE_DIRECT_URL to the server itself"
            )
        return settings.model_copy(update={"url": settings.direct_url, "pooler": None})

    def target_metadata(self) -> MetaData | list[MetaData] | None:
        """Import the models' metadata named by ``metadata`` (None when no models are tracked)."""
        if not self.metadata:
            return None
        found = [self._import(path) for path in self.metadata]
        return found[0] if len(found) == 1 else found

    def _import(self, path: str) -> MetaData:
        module_name, _, attribute = path.partition(":")
        root = str(self.root)
        if root not in sys.path:
            sys.path.insert(0, root)
        try:
            value: Any = importlib.import_module(module_name)
            for part in attribute.split(".") if attribute else ("metadata",):
                value = getattr(value, part)
        except (ImportError, AttributeError) as error:
            raise MigrationConfigError(
                f"cannot import the models' metadata {path!r}: {error}"
            ) from error
        if not isinstance(value, MetaData):
            raise MigrationConfigError(f"{path!r} is a {type(value).__name__}, not a MetaData")
        return value

    # -- the Alembic side ----------------------------------------------------------------------

    def alembic_config(self, connection: Any = None, **options: Any) -> AlembicConfig:
        """An ``alembic.config.Config`` for these migrations; `connection` (a Connection, Engine
        or `Database`) is what env.py will migrate instead of the configured URL. `options` go
        to ``alembic.config.Config`` (``stdout``, ``output_buffer``)."""
        config = AlembicConfig(**options)
        config.set_main_option("script_location", str(self.directory))
        config.attributes[CONFIG_ATTRIBUTE] = self
        if connection is not None:
            config.attributes[CONNECTION_ATTRIBUTE] = connection
        return config


def config_from_alembic(config: AlembicConfig) -> MigrationConfig:
    """The `MigrationConfig` behind an Alembic config: attached by stanchion, or read from the
    pyproject.toml above the migrations directory (plain ``alembic`` or another tool ran us)."""
    attached = config.attributes.get(CONFIG_ATTRIBUTE)
    if isinstance(attached, MigrationConfig):
        return attached
    location = config.get_main_option("script_location")
    start = Path(location) if location else Path.cwd()
    return MigrationConfig.load(start.resolve())


def _find_pyproject(start: Path) -> Path:
    if start.is_file():
        return start
    for directory in (start, *start.resolve().parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            return candidate
    raise MigrationConfigError(f"no pyproject.toml found in {start} or above it")


def metadata_list(metadata: MetaData | Sequence[MetaData] | None) -> list[MetaData]:
    """The target metadata as a list, whatever shape Alembic was given."""
    if metadata is None:
        return []
    return [metadata] if isinstance(metadata, MetaData) else list(metadata)
