"""Node functions by reference: ``module:qualname``, so another process can import the same code.

A reference is resolved by importing the module and walking the qualified name, and only
to a plait node function: a string cannot make a worker call ``os:system``. Nothing is
pickled; a lambda, a closure or a function of ``__main__`` has no reference.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from plait.nodes._function import FunctionNode

__all__ = ["reference_of", "resolve_reference"]

_FIX = "define it with @node at the top level of an importable module"


def reference_of(fn: Callable[..., object]) -> str:
    """``"module:qualname"`` naming ``fn``, for a process that imports the same code.

    Raises:
        ValueError: when ``fn`` cannot be imported by name: a lambda, a function defined
            inside another, a callable object, or a function of ``__main__``.
    """
    if isinstance(fn, functools.partial):
        raise ValueError(f"a functools.partial cannot be imported by name ({_FIX})")
    module = getattr(fn, "__module__", None)
    qualname = getattr(fn, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qualname, str):
        raise ValueError(f"{fn!r} has no module and qualified name ({_FIX})")
    if "<lambda>" in qualname:
        raise ValueError(f"a lambda cannot be imported by name ({_FIX})")
    if "<locals>" in qualname:
        raise ValueError(f"`{qualname}` is defined inside a function: a closure ({_FIX})")
    if module == "__main__":
        raise ValueError(
            f"`{qualname}` is defined in `__main__`, which another process does not import "
            f"as the same module ({_FIX}, not in the script that runs)"
        )
    return f"{module}:{qualname}"


def resolve_reference(reference: str) -> FunctionNode[object]:
    """The plait node function a ``reference_of`` string names, imported.

    Raises:
        ValueError: when the reference is malformed, cannot be imported, or names
            anything other than a plait function node.
    """
    from plait.nodes._function import FunctionNode

    module_name, colon, qualname = reference.partition(":")
    if not colon or not module_name or not qualname or "<" in qualname:
        raise ValueError(f"`{reference}` is not a `module:qualname` reference")
    try:
        found: object = importlib.import_module(module_name)
    except ImportError as error:
        raise ValueError(f"`{reference}`: cannot import `{module_name}`: {error}") from None
    for part in qualname.split("."):
        if part.startswith("__"):
            raise ValueError(f"`{reference}`: `{part}` is not a node function's name")
        try:
            found = getattr(found, part)
        except AttributeError:
            raise ValueError(f"`{reference}`: `{module_name}` has no `{qualname}`") from None
    if not isinstance(found, FunctionNode):
        raise ValueError(
            f"`{reference}` is a {type(found).__name__}, not a plait node function ({_FIX})"
        )
    return found
