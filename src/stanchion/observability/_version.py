"""stanchion's version, as the instrumentation scope reports it."""

from importlib.metadata import PackageNotFoundError, version

try:
    VERSION = version("stanchion")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    VERSION = "0"
