"""Field introspection: the declared fields of structured types and fast accessors for them.

Dataclasses, TypedDicts, named tuples and pydantic models (recognised by duck typing, so
pydantic is never imported here); generic ones have their type parameters substituted.
"""

from __future__ import annotations

import collections.abc as cabc
import dataclasses
import functools
import operator
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, cast

from plait.nodes._annotations import is_union, normalize, subscript

__all__ = ["field_getter", "field_types"]


def field_types(tp: object) -> Mapping[str, object] | None:
    """Return the declared fields of a structured type, or None when none are known."""
    try:
        return _field_types_cached(tp)
    except TypeError:  # unhashable annotation
        return _field_types(tp)


@functools.lru_cache(maxsize=4096)
def _field_types_cached(tp: object) -> Mapping[str, object] | None:
    return _field_types(tp)


def _field_types(tp: object) -> Mapping[str, object] | None:
    tp = normalize(tp)
    mapping: dict[object, object] = {}
    origin = typing.get_origin(tp)
    if is_union(tp):  # the value may be None or another type: no field is certain
        return None
    if isinstance(origin, type) and hasattr(tp, "__args__"):  # e.g. a generic dataclass Box[int]
        mapping = dict(
            zip(getattr(origin, "__parameters__", ()), typing.get_args(tp), strict=False)
        )
        tp = origin
    if not isinstance(tp, type):
        return None
    fields: dict[str, object]
    if _is_pydantic_model(tp):
        fields = _pydantic_fields(tp)
    elif dataclasses.is_dataclass(tp):
        hints = _hints(tp)
        fields = {f.name: hints.get(f.name, f.type) for f in dataclasses.fields(tp)}
    elif _is_typeddict(tp):
        fields = dict(_hints(tp) or getattr(tp, "__annotations__", {}))
    elif issubclass(tp, tuple) and isinstance(getattr(tp, "_fields", None), tuple):
        hints = _hints(tp)
        fields = {name: hints.get(name, Any) for name in getattr(tp, "_fields", ())}
    else:
        return None
    if mapping:
        fields = {name: _substitute(ann, mapping) for name, ann in fields.items()}
    return types.MappingProxyType(fields)


def _is_pydantic_model(tp: type) -> bool:
    return isinstance(getattr(tp, "model_fields", None), dict)


def _is_typeddict(tp: object) -> bool:
    return (
        isinstance(tp, type)
        and issubclass(tp, dict)
        and hasattr(tp, "__total__")
        and hasattr(tp, "__required_keys__")
    )


def _pydantic_fields(tp: type) -> dict[str, object]:
    hints = _hints(tp)
    model_fields: dict[str, object] = getattr(tp, "model_fields", {})
    meta = getattr(tp, "__pydantic_generic_metadata__", None) or {}
    generic = meta.get("origin")
    params = (getattr(generic, "__pydantic_generic_metadata__", None) or {}).get("parameters", ())
    # a parameterised model (Model[int]) inherits the unsubstituted hints of Model
    mapping = dict(zip(params, meta.get("args", ()), strict=False))
    fields: dict[str, object] = {}
    for name, info in model_fields.items():
        declared = getattr(info, "annotation", Any)
        ann = _substitute(hints[name], mapping) if name in hints else declared
        fields[name] = declared if _is_open(ann) and not _is_open(declared) else ann
    return fields


def _hints(tp: type) -> dict[str, object]:
    try:
        return typing.get_type_hints(tp, include_extras=True)
    except Exception:  # unresolved forward references: callers fall back to raw annotations
        return {}


def _substitute(ann: object, mapping: Mapping[object, object]) -> object:
    if not mapping:
        return ann
    if isinstance(ann, typing.TypeVar):
        return mapping.get(ann, ann)
    params = getattr(ann, "__parameters__", None)
    if not isinstance(params, tuple) or not params:
        return ann
    try:
        return subscript(ann, tuple(mapping.get(p, p) for p in params))
    except Exception:
        return ann


def _is_open(ann: object) -> bool:
    params = getattr(ann, "__parameters__", None)
    return isinstance(ann, typing.TypeVar) or (isinstance(params, tuple) and bool(params))


def field_getter(tp: object, name: str) -> Callable[[object], object]:
    """Return a fast run-time accessor for field `name` of values typed `tp`."""
    tp = normalize(tp)
    origin = typing.get_origin(tp) or tp
    try:
        by_key = isinstance(origin, type) and issubclass(origin, cabc.Mapping)
    except TypeError:
        by_key = False
    if by_key or _is_typeddict(origin):
        return cast("Callable[[object], object]", operator.itemgetter(name))
    return operator.attrgetter(name)
