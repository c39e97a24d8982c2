"""Show exported classes under the path users import them from: ``<class 'stanchion.Database'>``.

Each public package calls `present_as_public` on its ``__all__``, so reprs, tracebacks and
pickles name ``stanchion.Database`` rather than the private module that happens to define it
today, and moving a class between internal modules changes nothing users can see. The root
package runs last (it imports the subpackages first), so a class exported from both
``stanchion`` and a subpackage shows as ``stanchion.X``.
"""

from __future__ import annotations

import contextlib
import inspect
import sys
from collections.abc import Iterable, Mapping


def present_as_public(module: str, namespace: Mapping[str, object], names: Iterable[str]) -> None:
    """Set ``__module__`` to `module` on each class in `names` defined below `module`.

    A class defined elsewhere (``stanchion.errors.MigrationError`` re-exported by
    ``stanchion.migrations``) keeps the name it already has: the most public path wins.
    """
    for name in names:
        value = namespace[name]
        if isinstance(value, type) and value.__module__.startswith(f"{module}."):
            _resolve_annotations(value)
            value.__module__ = module


def _resolve_annotations(cls: type) -> None:
    """Evaluate the class's string annotations in the module that wrote them, while it still can.

    ``typing.get_type_hints``, pydantic (a dataclass in a response model) and SQLAlchemy's
    declarative scan (a mixin's ``Mapped[int]``) look string annotations up in
    ``sys.modules[cls.__module__]``; once that is ``stanchion``, names such as ``Mapped`` or
    ``URL`` are no longer in reach. A name imported only for type checkers cannot be evaluated
    here either, and stays a string, as unresolvable as it was before.
    """
    own = inspect.get_annotations(cls)
    if not own:
        return
    defining = vars(sys.modules[cls.__module__])
    resolved: dict[str, object] = {}
    for key, annotation in own.items():
        if isinstance(annotation, str):
            with contextlib.suppress(NameError):
                annotation = eval(annotation, defining, dict(vars(cls)))
        resolved[key] = annotation
    cls.__annotations__ = resolved
    # A dataclass keeps each field's annotation a second time, as written; pydantic (and so
    # FastAPI, for ``response_model=KeysetPage[PostOut]``) reads it from there.
    for field in getattr(cls, "__dataclass_fields__", {}).values():
        if field.name in resolved and isinstance(field.type, str):
            field.type = resolved[field.name]
