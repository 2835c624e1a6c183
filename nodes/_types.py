"""Static type helpers: naming annotations, checking edge assignability, reading fields.

Everything here works on annotations only (never on values), is deterministic across
processes, and imports nothing outside the standard library: pydantic models are recognised
by duck typing.
"""

from __future__ import annotations

import collections
import collections.abc as cabc
import dataclasses
import difflib
import enum
import functools
import operator
import re
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Any, cast

__all__ = ["close_matches", "field_getter", "field_types", "is_assignable", "type_name"]

_NoneType: type = type(None)
_CALLABLE: object = cabc.Callable
_UNIONS: tuple[object, ...] = (typing.Union, types.UnionType)
_QUALIFIERS: tuple[object, ...] = (
    typing.ClassVar,
    typing.Final,
    typing.Required,
    typing.NotRequired,
)
_BOTTOMS: tuple[object, ...] = (typing.Never, typing.NoReturn)
# Builtin classes that are not generic but iterate a known item type.
_ITEM_TYPES: dict[type, type] = {str: str, bytes: int, bytearray: int}
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


# ---------------------------------------------------------------------------- names


def type_name(tp: object, *, qualified: bool = False) -> str:
    """Return a deterministic, human-readable name for the annotation `tp`."""
    try:
        return _name(tp, qualified)
    except Exception:  # names are built while reporting other errors: never add one
        return _safe_repr(tp)


def _name(tp: object, qualified: bool) -> str:
    if tp is None or tp is _NoneType:
        return "None"
    if tp is Any:
        return "Any"
    if tp is Ellipsis:
        return "..."
    if isinstance(tp, str):
        return tp
    if isinstance(tp, typing.ForwardRef):
        return tp.__forward_arg__
    if isinstance(tp, typing.TypeVar | typing.ParamSpec | typing.TypeVarTuple):
        return tp.__name__
    if isinstance(tp, typing.NewType):
        return _dotted(tp, qualified)
    if isinstance(tp, list):  # the parameter list of Callable[[...], R]
        return "[" + ", ".join(_name(a, qualified) for a in tp) + "]"
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _name(typing.get_args(tp)[0], qualified)
    if origin in _UNIONS:
        return " | ".join(_name(a, qualified) for a in typing.get_args(tp))
    if origin is typing.Literal:
        return (
            "Literal[" + ", ".join(_literal_repr(v, qualified) for v in typing.get_args(tp)) + "]"
        )
    if origin is not None:
        base = _name(origin, qualified)
        if not hasattr(tp, "__args__"):  # bare typing.List and friends
            return base
        args = typing.get_args(tp)
        return f"{base}[{', '.join(_name(a, qualified) for a in args) if args else '()'}]"
    if isinstance(tp, type):
        return _dotted(tp, qualified)
    special = getattr(tp, "_name", None)
    if isinstance(special, str) and type(tp).__module__ in ("typing", "typing_extensions"):
        return special
    return _safe_repr(tp)


def _dotted(obj: object, qualified: bool) -> str:
    qualname = str(getattr(obj, "__qualname__", None) or getattr(obj, "__name__", ""))
    module = getattr(obj, "__module__", None)
    if not qualified:
        return qualname.rpartition("<locals>.")[2]
    if module is None or module == "builtins":
        return qualname
    return f"{module}.{qualname}"


def _literal_repr(value: object, qualified: bool) -> str:
    if isinstance(value, enum.Enum):
        return f"{_name(type(value), qualified)}.{value.name}"
    return repr(value)


def _safe_repr(tp: object) -> str:
    try:
        text = repr(tp)
    except Exception:
        text = f"<{type(tp).__name__}>"
    return _ADDRESS.sub("", text)


# ---------------------------------------------------------------------------- assignability


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
    source, target = _normalize(source), _normalize(target)
    if target is Any or target is object or source is Any or source in _BOTTOMS:
        return True
    if source == target:
        return True
    if _is_union(source):
        return all(is_assignable(member, target) for member in typing.get_args(source))
    if typing.get_origin(source) is typing.Literal:
        return all(_value_fits(value, target) for value in typing.get_args(source))
    if _singletons_fit(source, target):
        return True
    if _is_union(target):
        return any(is_assignable(source, member) for member in typing.get_args(target))
    if typing.get_origin(target) is typing.Literal:
        return False
    return _class_fits(source, target)


def _normalize(tp: object) -> object:
    """Strip wrappers that do not change what values a type admits."""
    while True:
        if tp is None:
            return _NoneType
        origin = typing.get_origin(tp)
        if origin is typing.Annotated or origin in _QUALIFIERS:
            tp = typing.get_args(tp)[0]
        elif isinstance(tp, typing.NewType):
            tp = tp.__supertype__
        elif isinstance(tp, typing.TypeVar):
            if tp.__bound__ is not None:
                tp = tp.__bound__
            elif tp.__constraints__:
                return _subscript(typing.Union, tp.__constraints__)
            else:
                return Any
        else:
            return tp


def _subscript(generic: object, args: object) -> object:
    """Return `generic[args]` for a generic known only at run time."""
    result: object = cast(Any, generic)[args]
    return result


def _is_union(tp: object) -> bool:
    return typing.get_origin(tp) in _UNIONS


def _value_fits(value: object, target: object) -> bool:
    """Return whether one Literal value fits `target`."""
    if _is_union(target):
        return any(_value_fits(value, member) for member in typing.get_args(target))
    if typing.get_origin(target) is typing.Literal:
        # 1 == True, so compare types too: Literal[1] must not fit Literal[True]
        return any(type(v) is type(value) and v == value for v in typing.get_args(target))
    return is_assignable(type(value), target)


def _singletons_fit(source: object, target: object) -> bool:
    """Return whether an enum class (or None) source is covered by the target's Literals."""
    if source is _NoneType:
        members: tuple[object, ...] = (None,)
    elif isinstance(source, type) and issubclass(source, enum.Enum):
        members = tuple(source)
    else:
        return False
    members_of_target = (
        [_normalize(m) for m in typing.get_args(target)] if _is_union(target) else []
    )
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
        return _subscript(cabc.Sequence, _ITEM_TYPES[source])
    if issubclass(source, tuple) and target_origin is tuple:
        fields = field_types(source)
        return None if fields is None else _subscript(tuple, tuple(fields.values()))
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


# ---------------------------------------------------------------------------- fields


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
    tp = _normalize(tp)
    mapping: dict[object, object] = {}
    origin = typing.get_origin(tp)
    if _is_union(tp):  # the value may be None or another type: no field is certain
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
        return _subscript(ann, tuple(mapping.get(p, p) for p in params))
    except Exception:
        return ann


def _is_open(ann: object) -> bool:
    params = getattr(ann, "__parameters__", None)
    return isinstance(ann, typing.TypeVar) or (isinstance(params, tuple) and bool(params))


def field_getter(tp: object, name: str) -> Callable[[object], object]:
    """Return a fast run-time accessor for field `name` of values typed `tp`."""
    tp = _normalize(tp)
    origin = typing.get_origin(tp) or tp
    try:
        by_key = isinstance(origin, type) and issubclass(origin, cabc.Mapping)
    except TypeError:
        by_key = False
    if by_key or _is_typeddict(origin):
        return cast("Callable[[object], object]", operator.itemgetter(name))
    return operator.attrgetter(name)


# ---------------------------------------------------------------------------- hints


def close_matches(name: str, candidates: Iterable[str]) -> list[str]:
    """Return up to three candidates close to `name`, for "did you mean" hints."""
    return difflib.get_close_matches(name, list(candidates), n=3, cutoff=0.6)
