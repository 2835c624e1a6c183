"""Human-readable, deterministic names for annotations, and "did you mean" hints.

Names are built while other errors are reported, so they never raise, and they contain no
memory addresses, so messages and traces are the same in every process.
"""

from __future__ import annotations

import difflib
import enum
import re
import typing
from collections.abc import Iterable
from typing import Any

from plait.nodes._annotations import NONE_TYPE, UNIONS

__all__ = ["close_matches", "type_name"]

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def type_name(tp: object, *, qualified: bool = False) -> str:
    """Return a deterministic, human-readable name for the annotation `tp`."""
    try:
        return _name(tp, qualified)
    except Exception:  # names are built while reporting other errors: never add one
        return _safe_repr(tp)


def _name(tp: object, qualified: bool) -> str:
    if tp is None or tp is NONE_TYPE:
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
    if origin in UNIONS:
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


def close_matches(name: str, candidates: Iterable[str]) -> list[str]:
    """Return up to three candidates close to `name`, for "did you mean" hints."""
    return difflib.get_close_matches(name, list(candidates), n=3, cutoff=0.6)
