"""Values at the edges of a run, checked and converted through pydantic (its only home).

pydantic is imported on first use: ``import plait`` must stay fast.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import TypeAdapter

__all__ = ["check_value", "from_jsonable", "to_jsonable"]


@functools.lru_cache(maxsize=1024)
def _adapter(annotation: Any) -> TypeAdapter[Any]:
    from pydantic import ConfigDict, TypeAdapter

    try:
        return TypeAdapter(annotation, config=ConfigDict(arbitrary_types_allowed=True))
    except Exception:  # annotations that carry their own config refuse ours
        return TypeAdapter(annotation)


def _adapter_for(annotation: object) -> TypeAdapter[Any]:
    try:
        return _adapter(annotation)
    except TypeError:  # unhashable annotation: build one uncached
        return _adapter.__wrapped__(annotation)


def _first_error(error: Exception) -> str:
    errors = getattr(error, "errors", None)
    if callable(errors):
        details = errors()
        if details:
            first = details[0]
            where = ".".join(str(part) for part in first.get("loc", ())) or "value"
            return f"{first.get('msg', error)} at `{where}`"
    return str(error)


def check_value(annotation: object, value: object) -> str | None:
    """Why ``value`` does not fit ``annotation`` (strictly, no coercion), or None."""
    if annotation is object or annotation is Any:
        return None
    try:
        _adapter_for(annotation).validate_python(value, strict=True)
    except Exception as error:  # pydantic's ValidationError, or a schema it cannot build
        return _first_error(error)
    return None


def from_jsonable(annotation: object, data: object) -> object:
    """Turn JSON data into a value of ``annotation`` (dicts become models, and so on).

    Raises:
        ValueError: with the first reason the data does not fit.
    """
    try:
        return _adapter_for(annotation).validate_python(data)
    except Exception as error:
        raise ValueError(_first_error(error)) from None


def to_jsonable(value: object) -> object:
    """A JSON-ready copy of ``value`` (models, dataclasses, enums, sets, ...)."""
    from pydantic_core import to_jsonable_python

    return to_jsonable_python(value, fallback=repr)
