"""Annotation primitives shared by the type helpers: strip wrappers, subscript, spot unions.

Standard library only, like every type helper: they work on annotations, never on values.
"""

from __future__ import annotations

import types
import typing
from typing import Any, cast

__all__ = ["NONE_TYPE", "UNIONS", "is_union", "normalize", "subscript"]

NONE_TYPE: type = type(None)
UNIONS: tuple[object, ...] = (typing.Union, types.UnionType)
_QUALIFIERS: tuple[object, ...] = (
    typing.ClassVar,
    typing.Final,
    typing.Required,
    typing.NotRequired,
)


def normalize(tp: object) -> object:
    """Strip wrappers that do not change what values a type admits."""
    while True:
        if tp is None:
            return NONE_TYPE
        origin = typing.get_origin(tp)
        if origin is typing.Annotated or origin in _QUALIFIERS:
            tp = typing.get_args(tp)[0]
        elif isinstance(tp, typing.NewType):
            tp = tp.__supertype__
        elif isinstance(tp, typing.TypeVar):
            if tp.__bound__ is not None:
                tp = tp.__bound__
            elif tp.__constraints__:
                return subscript(typing.Union, tp.__constraints__)
            else:
                return Any
        else:
            return tp


def subscript(generic: object, args: object) -> object:
    """Return `generic[args]` for a generic known only at run time."""
    result: object = cast(Any, generic)[args]
    return result


def is_union(tp: object) -> bool:
    return typing.get_origin(tp) in UNIONS
