"""The errors facet: what a driver error means, read from its SQLSTATE, errno or result code.

Error translation asks it to classify every driver error once; the retry policy asks it whether
re-running a transaction is known to be safe. Codes, never message text, decide the class.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import DBAPIError

from stanchion import errors


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """What a driver error means, read from its code: the stanchion class, and where the
    database says so, the constraint's name, the columns involved, or that it is the key."""

    kind: type[errors.StanchionError]
    constraint: str | None = None
    columns: tuple[str, ...] = ()
    primary_key: bool = False
    #: Set when a value does not fit its column (too long, out of range) rather than a constraint.
    value_out_of_range: bool = False


class Errors:
    """Error codes of a database stanchion does not know: none is classified."""

    def classify(self, orig: BaseException) -> ErrorInfo | None:
        """Map a driver exception to its stanchion meaning, or None when it has none."""
        return None

    def codes(self) -> Mapping[Any, type[errors.StanchionError]]:
        """Every SQLSTATE / errno / result code `classify` knows, with its stanchion error."""
        return {}

    def connect_failure(self, orig: BaseException) -> type[errors.DatabaseUnavailable]:
        """Which failure a new connection met: no such database, login refused, no server.

        By code where the driver gives one (`classify`); an OS-level error (refused, unknown
        host, timeout) means no server answered."""
        info = self.classify(orig)
        if info is not None and issubclass(info.kind, errors.DatabaseUnavailable):
            return info.kind
        if isinstance(orig, OSError) or isinstance(orig.__cause__, OSError):
            return errors.ServerUnreachable
        return errors.DatabaseUnavailable

    def is_retryable(self, error: BaseException) -> bool:
        """Whether re-running the whole transaction after `error` is known to be safe.

        Translated errors say so by type (`TransientError`); an untranslated driver error is
        classified here by its code."""
        if isinstance(error, errors.TransientError):
            return True
        if isinstance(error, DBAPIError) and error.orig is not None:
            info = self.classify(error.orig)
            return info is not None and issubclass(info.kind, errors.TransientError)
        return False
