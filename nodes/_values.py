"""Values at the edges of a run, checked and converted through pydantic (its only home).

pydantic is imported on first use: ``import plait`` must stay fast.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from pydantic import TypeAdapter

__all__ = [
    "REQUIRED",
    "ArgumentField",
    "Arguments",
    "check_value",
    "fit_value",
    "from_jsonable",
    "json_schema",
    "parse_json",
    "to_jsonable",
]

REQUIRED: Final = inspect.Parameter.empty
"""The default of an argument that has none."""


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


def fit_value(annotation: object) -> Callable[[object], object] | None:
    """A strict check of values declared ``annotation``, or None when any value fits.

    The check returns the value as that type (a fitting ``dict`` becomes the declared
    model; nothing is coerced from another kind), or raises ``ValueError`` with the first
    reason it does not fit. A type pydantic cannot describe is not checked (None).
    """
    try:
        return _fitter(annotation)
    except TypeError:  # unhashable annotation: build one uncached
        return _fitter.__wrapped__(annotation)


@functools.lru_cache(maxsize=1024)
def _fitter(annotation: Any) -> Callable[[object], object] | None:
    if annotation is object or annotation is Any:
        return None
    try:
        validate = _adapter_for(annotation).validate_python
    except Exception:  # a schema pydantic cannot build
        return None

    def fit(value: object) -> object:
        try:
            return validate(value, strict=True)
        except Exception as error:
            raise ValueError(_first_error(error)) from None

    return fit


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


def _all_errors(error: Exception) -> str:
    errors = getattr(error, "errors", None)
    if not callable(errors):
        return str(error)
    parts = []
    for detail in errors():
        where = ".".join(str(part) for part in detail.get("loc", ())) or "value"
        parts.append(f"`{where}`: {detail.get('msg', error)}")
    return "; ".join(parts) or str(error)


def json_schema(annotation: object) -> dict[str, object]:
    """The JSON Schema of values of ``annotation`` (what a model is asked to produce)."""
    schema: dict[str, object] = _adapter_for(annotation).json_schema()
    return schema


def parse_json(annotation: object, text: str) -> object:
    """Parse JSON ``text`` into a value of ``annotation`` (lax, as JSON needs).

    Raises:
        ValueError: listing every reason the text does not fit.
    """
    try:
        return _adapter_for(annotation).validate_json(text)
    except Exception as error:
        raise ValueError(_all_errors(error)) from None


@dataclass(frozen=True, slots=True)
class ArgumentField:
    """One parameter of a callable, as a field of its arguments object."""

    name: str
    annotation: object
    default: object = REQUIRED
    description: str = ""


class Arguments:
    """Validates a callable's arguments, given as a JSON object, and describes them."""

    def __init__(self, name: str, fields: Sequence[ArgumentField]) -> None:
        from pydantic import ConfigDict, Field, create_model

        definitions: dict[str, Any] = {}
        for item in fields:
            default = ... if item.default is REQUIRED else item.default
            info = Field(default, description=item.description or None)
            definitions[item.name] = (item.annotation, info)
        config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)
        self._model: Any = create_model(name, __config__=config, **definitions)
        self._names = tuple(item.name for item in fields)
        schema: dict[str, object] = self._model.model_json_schema()
        schema.pop("title", None)
        self.schema: dict[str, object] = schema
        """The arguments' JSON Schema (an object schema)."""

    def validate(self, data: object) -> dict[str, object]:
        """The arguments as keyword arguments, validated and converted.

        Raises:
            ValueError: listing every argument that does not fit, by name.
        """
        try:
            instance = self._model.model_validate(data)
        except Exception as error:
            raise ValueError(_all_errors(error)) from None
        return {name: getattr(instance, name) for name in self._names}
