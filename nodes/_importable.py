"""Function nodes by reference: ``module:qualname``, for code that runs in another process.

A node that runs elsewhere (a Dask worker, an isolated subprocess) travels as the name
of the installed code that defines it, never as a pickled function: the other process
imports the same module and looks the name up. Only module-level names can be found that
way, so lambdas, closures and functions of ``__main__`` are refused when the reference is
made, and resolving accepts nothing but a module-level plait function node (``@node``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from plait.nodes._errors import DefinitionError, Problem

if TYPE_CHECKING:
    from plait.nodes._function import FunctionNode

__all__ = ["NotImportableError", "process_problems", "reference_of", "resolve_reference"]


class NotImportableError(DefinitionError):
    """A function that another process could not import by name."""


def _refuse(where: str, reason: str, hint: str) -> NotImportableError:
    problem = Problem("not-importable", where, reason, hint)
    return NotImportableError([problem], subject=where)


def reference_of(fn: Callable[..., object], *, node: str | None = None) -> str:
    """``module:qualname`` of ``fn``, by which another process imports the same function.

    Raises:
        NotImportableError: for a lambda, a function defined inside another function, a
            function of ``__main__`` or anything without a module-level name.
    """
    where = f"node `{node}`" if node is not None else f"function {fn!r}"
    module = getattr(fn, "__module__", None)
    qualname = getattr(fn, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qualname, str):
        raise _refuse(where, "it has no module-level name", "define it with `def` in a module")
    if qualname == "<lambda>" or qualname.endswith(".<lambda>"):
        raise _refuse(where, "a lambda has no importable name", "define it with `def` in a module")
    if "<locals>" in qualname:
        raise _refuse(
            where,
            f"`{qualname}` is defined inside a function, so no other process can import it",
            "move it to module level",
        )
    if module == "__main__":
        raise _refuse(
            where,
            f"`{qualname}` is defined in the __main__ script, which other processes do not have",
            "move it to an importable module and import it from the script",
        )
    return f"{module}:{qualname}"


def resolve_reference(ref: str) -> FunctionNode[object]:
    """The function node named by ``ref`` (``module:qualname``), imported; call its ``fn``.

    Raises:
        ImportError: when the module cannot be imported here.
        LookupError: when the module has no such name, or the name is not a plait node
            function (only those may be run by reference).
    """
    from plait.nodes._function import FunctionNode  # imports this module: not at the top

    module_name, colon, qualname = ref.partition(":")
    if not colon or not module_name or not qualname:
        raise LookupError(f"{ref!r} is not a `module:qualname` reference")
    found: object = importlib.import_module(module_name)
    for part in qualname.split("."):
        if part.startswith("<"):
            raise LookupError(f"{ref!r} does not name a module-level function")
        found = getattr(found, part, None)
        if found is None:
            raise LookupError(f"module `{module_name}` has no `{qualname}`")
    if isinstance(found, FunctionNode):
        return cast("FunctionNode[object]", found)
    raise LookupError(
        f"`{ref}` is not a plait node function (only functions decorated with @node run"
        " by reference)"
    )


def process_problems(
    fn: Callable[..., object], where: str, is_async: bool, blocking: bool, context: str | None
) -> list[Problem]:
    """Why ``fn`` cannot run in a subprocess (``isolation="process"``)."""
    problems = []
    try:
        reference_of(fn)
    except NotImportableError as error:
        for found in error.problems:
            message = f'isolation="process": {found.message}'
            problems.append(Problem("not-importable", where, message, found.hint))
    if is_async or not blocking or context is not None:
        why = "an async function" if is_async else "blocking=False"
        why = f"its `RunContext` parameter `{context}`" if context is not None else why
        hint = 'use a sync function without a RunContext, or isolation="thread"'
        problems.append(Problem("bad-isolation", where, f"{why} cannot run in a subprocess", hint))
    return problems
