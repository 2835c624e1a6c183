"""Edge assignability: may a value statically typed one way flow where another is expected.

Works on annotations only (never on values), deterministically, with the standard library
only: NewTypes are promises, Literals and enums are checked member by member, generics
covariantly (Callable parameters contravariantly), with the PEP 484 numeric tower.
"""

from __future__ import annotations

import collections
import collections.abc as cabc
import enum
import functools
import typing
from typing import Any, cast

from plait.nodes._annotations import NONE_TYPE, is_union, normalize, subscript
from plait.nodes._fields import field_types

__all__ = ["is_assignable"]

_CALLABLE: object = cabc.Callable
_BOTTOMS: tuple[object, ...] = (typing.Never, typing.NoReturn)
# Builtin classes that are not generic but iterate a known item type.
_ITEM_TYPES: dict[type, type] = {str: str, bytes: int, bytearray: int}


def is_assignable(source: object, target: object) -> bool:
    """Return whether a value statically typed `source` may flow where `target` is expected."""
    try:
        return _assignable_cached(source, target)
    except TypeError:  # unhashable annotation, e.g. Annotated[int, []]
        return _assignable(source, target)


@functools.lru_cache(maxsize=16384)
def _assignable_cached(source: object, target: object) -> bool:
    return _assignable(source, target)


def _assignable(source: object, target: object) -> bool:
    if isinstance(target, typing.NewType):
        # A NewType is a promise about the value (UserId, not any int): only that NewType,
        # or one derived from it, keeps the promise.
        while isinstance(source, typing.NewType):
            if source is target:
                return True
            source = source.__supertype__
        return source is Any
    source, target = normalize(source), normalize(target)
    if target is Any or target is object or source is Any or source in _BOTTOMS:
        return True
    if source == target:
        return True
    if is_union(source):
        return all(is_assignable(member, target) for member in typing.get_args(source))
    if typing.get_origin(source) is typing.Literal:
        return all(_value_fits(value, target) for value in typing.get_args(source))
    if _singletons_fit(source, target):
        return True
    if is_union(target):
        return any(is_assignable(source, member) for member in typing.get_args(target))
    if typing.get_origin(target) is typing.Literal:
        return False
    return _class_fits(source, target)


def _value_fits(value: object, target: object) -> bool:
    """Return whether one Literal value fits `target`."""
    if is_union(target):
        return any(_value_fits(value, member) for member in typing.get_args(target))
    if typing.get_origin(target) is typing.Literal:
        # 1 == True, so compare types too: Literal[1] must not fit Literal[True]
        return any(type(v) is type(value) and v == value for v in typing.get_args(target))
    return is_assignable(type(value), target)


def _singletons_fit(source: object, target: object) -> bool:
    """Return whether an enum class (or None) source is covered by the target's Literals."""
    if source is NONE_TYPE:
        members: tuple[object, ...] = (None,)
    elif isinstance(source, type) and issubclass(source, enum.Enum):
        members = tuple(source)
    else:
        return False
    members_of_target = [normalize(m) for m in typing.get_args(target)] if is_union(target) else []
    literals = [m for m in [*members_of_target, target] if typing.get_origin(m) is typing.Literal]
    values = [v for lit in literals for v in typing.get_args(lit)]
    return bool(literals) and all(any(m is v for v in values) for m in members)


def _class_fits(source: object, target: object) -> bool:
    """Check classes and parameterised generics: origin first, then arguments covariantly."""
    s_origin, s_args = _split(source)
    t_origin, t_args = _split(target)
    if not isinstance(s_origin, type) or not isinstance(t_origin, type):
        return False  # already known to differ from target
    if not _subclass(s_origin, t_origin):
        return False
    if t_args is None:
        return True
    if s_args is None:
        view = _bare_view(s_origin, t_origin)
        return True if view is None else is_assignable(view, target)
    return _args_fit(s_origin, s_args, t_origin, t_args)


def _split(tp: object) -> tuple[object, tuple[object, ...] | None]:
    """Return (origin, args) where args is None for a bare class."""
    origin = typing.get_origin(tp)
    if origin is None:
        return tp, None
    if not hasattr(tp, "__args__"):  # bare typing.List and friends
        return origin, None
    return origin, typing.get_args(tp)


def _subclass(source: type, target: type) -> bool:
    try:
        if issubclass(source, target):
            return True
    except TypeError:  # non-runtime Protocols, TypedDicts: only identity is known
        return source is target
    # PEP 484 numeric tower
    if target is float:
        return issubclass(source, int)
    if target is complex:
        return issubclass(source, int | float)
    return False


def _bare_view(source: type, target_origin: type) -> object | None:
    """Return a parameterised stand-in for a bare class, or None when its args are unknown."""
    if source in _ITEM_TYPES:
        return subscript(cabc.Sequence, _ITEM_TYPES[source])
    if issubclass(source, tuple) and target_origin is tuple:
        fields = field_types(source)
        return None if fields is None else subscript(tuple, tuple(fields.values()))
    for base in getattr(source, "__orig_bases__", ()):
        origin = typing.get_origin(base)
        if isinstance(origin, type) and _subclass(origin, target_origin):
            return cast(object, base)
    return None


def _args_fit(
    s_origin: type, s_args: tuple[object, ...], t_origin: type, t_args: tuple[object, ...]
) -> bool:
    if t_origin is tuple:
        return s_origin is tuple and _tuple_fits(s_args, t_args)
    if t_origin is _CALLABLE:
        return _callable_fits(s_args, t_args)
    if s_origin is t_origin:
        return len(s_args) == len(t_args) and all(map(is_assignable, s_args, t_args))
    if issubclass(t_origin, cabc.Mapping) and len(t_args) == 2:
        if len(s_args) == 2:
            return is_assignable(s_args[0], t_args[0]) and is_assignable(s_args[1], t_args[1])
        if issubclass(s_origin, collections.Counter) and len(s_args) == 1:
            return is_assignable(s_args[0], t_args[0]) and is_assignable(int, t_args[1])
        return False
    if len(t_args) == 1 and issubclass(
        t_origin, cabc.Iterable | cabc.Container | cabc.AsyncIterable
    ):
        return all(is_assignable(item, t_args[0]) for item in _item_types(s_origin, s_args))
    return False


def _tuple_fits(s_args: tuple[object, ...], t_args: tuple[object, ...]) -> bool:
    s_variadic = len(s_args) == 2 and s_args[1] is Ellipsis
    if len(t_args) == 2 and t_args[1] is Ellipsis:
        items = s_args[:1] if s_variadic else s_args
        return all(is_assignable(item, t_args[0]) for item in items)
    if s_variadic:
        return False  # unknown length never fits a fixed length
    return len(s_args) == len(t_args) and all(map(is_assignable, s_args, t_args))


def _callable_fits(s_args: tuple[object, ...], t_args: tuple[object, ...]) -> bool:
    if len(s_args) != 2 or len(t_args) != 2:
        return False
    (s_params, s_ret), (t_params, t_ret) = s_args, t_args
    if not is_assignable(s_ret, t_ret):
        return False
    if s_params is Ellipsis or t_params is Ellipsis:
        return True
    if isinstance(s_params, list) and isinstance(t_params, list):
        # parameters are contravariant: the source must accept whatever the target is given
        return len(s_params) == len(t_params) and all(map(is_assignable, t_params, s_params))
    return bool(s_params == t_params)


def _item_types(origin: type, args: tuple[object, ...]) -> tuple[object, ...]:
    """Return the types produced by iterating a parameterised container."""
    if origin is tuple:
        return args[:1] if len(args) == 2 and args[1] is Ellipsis else args
    return args[:1]  # list[X], set[X], dict[K, V] -> K, Generator[Y, S, R] -> Y
