"""Every public package exports a deliberate, sorted ``__all__``; its classes carry public names.

The root package's exact name list lives in foundation/test_public_api.py and the FastAPI one
in fastapi/test_public_api.py; this file holds the rules every package follows, including the
ones added later (packages are discovered, not listed).
"""

from __future__ import annotations
import __future__

import dataclasses
import importlib
import inspect
import pickle
import pkgutil
import typing
from types import ModuleType

import pydantic
import pytest

import stanchion

# The console script's package: its interface is the command line, not Python names.
NOT_AN_API = {"stanchion.cli"}

SUBPACKAGES = sorted(
    f"stanchion.{info.name}"
    for info in pkgutil.iter_modules(stanchion.__path__)
    if info.ispkg and not info.name.startswith("_") and f"stanchion.{info.name}" not in NOT_AN_API
)
PACKAGES = ["stanchion", *SUBPACKAGES]


def _module(name: str) -> ModuleType:
    return importlib.import_module(name)


def _exported_classes() -> list[tuple[str, str, type]]:
    found = []
    for package in PACKAGES:
        module = _module(package)
        for name in module.__all__:
            value = getattr(module, name)
            if isinstance(value, type) and value.__module__.startswith("stanchion"):
                found.append((package, name, value))
    return found


def test_the_packages_include_the_documented_ones() -> None:
    documented = {
        "stanchion",
        "stanchion.fastapi",
        "stanchion.migrations",
        "stanchion.models",
        "stanchion.query",
        "stanchion.repository",
        "stanchion.testing",
        "stanchion.transactions",
    }
    assert documented <= set(PACKAGES)


@pytest.mark.parametrize("package", PACKAGES)
def test_all_is_sorted_unique_and_lists_exactly_the_public_names(package: str) -> None:
    module = _module(package)
    exported = module.__all__
    assert exported == sorted(exported, key=lambda n: (not n.isupper(), n)), "constants first"
    assert len(exported) == len(set(exported)), "duplicates"
    for name in exported:
        assert hasattr(module, name), f"{package}.{name} is listed but does not exist"
    loaded_lazily = {name for name in exported if name not in vars(module)}
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and value is not __future__.annotations
        and not (inspect.ismodule(value) and value.__name__.startswith(f"{package}."))
    }
    assert public == set(exported) - loaded_lazily, "a public name outside __all__ leaked in"


def test_classes_show_the_path_users_import_them_from() -> None:
    assert repr(stanchion.Database) == "<class 'stanchion.Database'>"
    assert repr(stanchion.NotFound) == "<class 'stanchion.NotFound'>"
    for package, name, cls in _exported_classes():
        assert cls.__module__ in PACKAGES, f"{package}.{name} shows as {cls.__module__}"
        assert getattr(_module(cls.__module__), cls.__qualname__) is cls  # pickle finds it there
        if name in stanchion.__all__:
            assert cls.__module__ == "stanchion", f"{package}.{name}"


def test_a_subpackage_class_shows_its_subpackage() -> None:
    import stanchion.fastapi
    import stanchion.testing

    assert repr(stanchion.fastapi.ListQuery) == "<class 'stanchion.fastapi.ListQuery'>"
    assert repr(stanchion.testing.QueryLog) == "<class 'stanchion.testing.QueryLog'>"


@pytest.mark.parametrize(
    "name",
    [
        "DatabaseSettings",
        "IntegerPK",
        "KeysetPage",
        "OffsetPage",
        "RetryPolicy",
        "SoftDelete",
        "Timestamps",
        "UUIDv7PK",
        "Versioned",
    ],
)
def test_annotations_still_resolve_after_the_rename(name: str) -> None:
    """The rename must not strand string annotations (``Mapped[int]``) away from their names."""
    assert typing.get_type_hints(getattr(stanchion, name))


@pytest.mark.parametrize("name", ["KeysetPage", "OffsetPage"])
def test_pydantic_still_builds_a_schema_for_an_exported_dataclass(name: str) -> None:
    """FastAPI's ``response_model=KeysetPage[PostOut]`` reads the dataclass fields' types."""
    page = getattr(stanchion, name)
    schema = pydantic.TypeAdapter(page[int]).json_schema()
    assert schema["properties"]["items"] == {
        "items": {"type": "integer"},
        "title": "Items",
        "type": "array",
    }


def test_no_exported_dataclass_or_model_is_left_with_unresolvable_field_types() -> None:
    """Whatever classes get exported later: their field types resolve after the rename."""
    for package, name, cls in _exported_classes():
        if dataclasses.is_dataclass(cls):
            written = [f.name for f in dataclasses.fields(cls) if isinstance(f.type, str)]
            assert not written, f"{package}.{name}: fields {written} keep string types"
        if (
            issubclass(cls, pydantic.BaseModel)
            and not cls.__pydantic_generic_metadata__["parameters"]
        ):
            assert cls.model_rebuild(force=True), f"{package}.{name}"
            assert cls.model_json_schema()


def _errors() -> list[type[BaseException]]:
    return sorted(
        {cls for _, _, cls in _exported_classes() if issubclass(cls, BaseException)},
        key=lambda cls: cls.__qualname__,
    )


SAMPLES: dict[str, BaseException] = {
    "NotFound": stanchion.NotFound("User", 7),
    "InvalidQuery": stanchion.InvalidQuery("unknown field 'x'", field="x"),
    "AlreadyExists": stanchion.AlreadyExists(
        "duplicate", constraint="uq_users_email", table="users", fields=["email"]
    ),
    "RetryExhausted": stanchion.RetryExhausted(3, stanchion.Deadlock("deadlock detected")),
}


@pytest.mark.parametrize("cls", _errors(), ids=lambda cls: cls.__qualname__)
def test_every_exported_error_survives_pickling(cls: type[BaseException]) -> None:
    error = SAMPLES.get(cls.__name__) or cls("something went wrong")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is cls
    assert str(copy) == str(error)
    assert copy.args == error.args
    assert {k: repr(v) for k, v in vars(copy).items()} == {
        k: repr(v) for k, v in vars(error).items()
    }


def test_version_comes_from_the_installed_distribution() -> None:
    from importlib.metadata import version

    assert stanchion.__version__ == version("stanchion")
    assert stanchion.__version__.count(".") >= 2
