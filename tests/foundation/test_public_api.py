"""The public surface: what ``stanchion`` exports; an async repository matching the sync one."""

from __future__ import annotations

import inspect

import stanchion
from stanchion import AsyncRepository, Repository

INTENDED = {
    "AlreadyExists",
    "AsyncDatabase",
    "AsyncRepository",
    "AsyncUnitOfWork",
    "CausalityToken",
    "CheckViolation",
    "CommitOutcomeUnknown",
    "ConfigurationError",
    "ConnectionLost",
    "AuthenticationFailed",
    "DatabaseNotFound",
    "ServerUnreachable",
    "ConstraintViolation",
    "Database",
    "DatabaseError",
    "DatabaseSettings",
    "DatabaseUnavailable",
    "Deadlock",
    "ForeignKeyViolation",
    "Health",
    "IntegerPK",
    "InvalidQuery",
    "KeysetPage",
    "LazyLoadError",
    "MigrationConfigError",
    "MigrationError",
    "Model",
    "ModelBase",
    "NotFound",
    "OffsetPage",
    "PoolStatus",
    "PrimaryLost",
    "QueryTimeout",
    "ReplicaHealth",
    "ReplicaState",
    "Repository",
    "RetryEvent",
    "RetryExhausted",
    "RetryPolicy",
    "SerializationFailure",
    "SoftDelete",
    "StaleData",
    "StanchionError",
    "Timestamps",
    "TransactionAlreadyOpen",
    "TransactionError",
    "TransientError",
    "UUIDv7PK",
    "UnitOfWork",
    "UnsupportedByPooler",
    "Versioned",
    "causality_scope",
    "current_token",
}


def test_all_lists_exactly_the_intended_public_names_sorted() -> None:
    assert set(stanchion.__all__) == INTENDED
    assert stanchion.__all__ == sorted(stanchion.__all__)
    exported = {
        name
        for name, value in vars(stanchion).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    }
    assert exported == INTENDED  # nothing public leaks in besides __all__


def test_every_error_class_derives_from_stanchion_error() -> None:
    for name in INTENDED:
        value = getattr(stanchion, name)
        if isinstance(value, type) and issubclass(value, Exception):
            assert issubclass(value, stanchion.StanchionError), name


def _public(cls: type) -> dict[str, object]:
    """Public methods and properties; classmethods describe the repository class itself
    (``PostRepository.check_filters(...)``), need no session, and are not forwarded."""
    return {
        name: member
        for name, member in inspect.getmembers(cls)
        if not name.startswith("_")
        and (callable(member) or isinstance(member, property))
        and not isinstance(inspect.getattr_static(cls, name), classmethod)
    }


def _parameters(function: object) -> list[tuple[str, object, object]]:
    signature = inspect.signature(function)  # type: ignore[arg-type]
    return [
        (p.name, p.kind, p.default) for p in list(signature.parameters.values())[1:]
    ]  # without self


def test_async_repository_has_every_public_method_of_repository_with_the_same_parameters() -> None:
    sync, asynchronous = _public(Repository), _public(AsyncRepository)
    missing = sorted(set(sync) - set(asynchronous))
    assert not missing, f"AsyncRepository lacks {missing}"
    for name, member in sync.items():
        other = asynchronous[name]
        if isinstance(member, property):
            assert isinstance(other, property), name
            continue
        assert _parameters(member) == _parameters(other), name
        if name != "select":  # the one pure statement builder; everything else does I/O
            assert inspect.iscoroutinefunction(other), name
