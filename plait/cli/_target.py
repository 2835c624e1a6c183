"""Find the graph a ``plait`` command names: ``module:attribute`` (or a factory), or a JSON
spec file with the registries of the modules ``--import`` names."""

from __future__ import annotations

import importlib
import inspect
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from plait.cli._usage import RUN_FAILED, CliError

if TYPE_CHECKING:
    from plait.graphs import Graph, Registry

__all__ = [
    "REGISTRY_ATTRIBUTE",
    "is_spec",
    "load_graph",
    "load_registry",
    "load_spec",
    "unreadable_spec",
]


def _is_dotted_name(text: str) -> bool:
    return all(part.isidentifier() for part in text.split("."))


def _put_cwd_first() -> str:
    cwd = os.getcwd()
    if not sys.path or sys.path[0] != cwd:
        sys.path.insert(0, cwd)
    importlib.invalidate_caches()
    return cwd


def _article(noun: str) -> str:
    return f"an {noun}" if noun[:1].lower() in "aeiou" else f"a {noun}"


def _describe(value: object) -> tuple[str, str]:
    """What ``value`` is, and a hint, for an error message: ``a str ('hello')``."""
    from plait.graphs import GraphBuilder
    from plait.nodes import Node

    if isinstance(value, Node):
        return f"a node (`{value.id}`)", "add it to a GraphBuilder and build a graph"
    if isinstance(value, GraphBuilder):
        return f"a GraphBuilder (`{value.name}`)", "point at the result of its .build(output)"
    if inspect.ismodule(value):
        return f"a module (`{value.__name__}`)", ""
    if isinstance(value, type):
        return f"a class (`{value.__qualname__}`)", ""
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{_article(type(value).__qualname__)} ({text})", ""


def _not_a_graph(subject: str, value: object) -> CliError:
    found, hint = _describe(value)
    expected = "expected a plait.Graph or a zero-argument callable returning one"
    return CliError(f"{subject} {found}; {expected}" + (f" ({hint})" if hint else ""))


def _graphs_in(module: object) -> list[str]:
    from plait.graphs import Graph

    names = [name for name, value in vars(module).items() if isinstance(value, Graph)]
    return sorted(name for name in names if not name.startswith("_"))


def _where(error: BaseException) -> str:
    """Where ``error`` was raised, as ``file:line in function`` (relative to the cwd)."""
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return ""
    frame = frames[-1]
    path = os.path.abspath(frame.filename)
    shown = os.path.relpath(path) if path.startswith(os.getcwd() + os.sep) else frame.filename
    return f" (at {shown}:{frame.lineno} in {frame.name})"


def _crashed(error: Exception, doing: str) -> CliError:
    """A target's own code raised: one line saying what, where, and with which error."""
    from plait.cli._progress import describe_error

    return CliError(f"{doing} raised {describe_error(error)}{_where(error)}")


SPEC_SUFFIX = ".json"
REGISTRY_ATTRIBUTE = "registry"
"""The attribute ``--import MODULE`` reads: the module's ``plait.Registry``."""


def is_spec(target: str) -> bool:
    """Whether a command's TARGET names a JSON spec file (it ends in ``.json``)."""
    return target.lower().endswith(SPEC_SUFFIX)


def _import(module_name: str, subject: str) -> object:
    """Import ``module_name`` with the current directory first on ``sys.path``.

    Raises:
        CliError: code 2 when the module is not found or importing it raises; code 1
            when it defines something wrongly.
    """
    from plait.nodes import DefinitionError

    cwd = _put_cwd_first()
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        missing = error.name or ""
        if missing and (module_name == missing or module_name.startswith(missing + ".")):
            raise CliError(
                f"module `{module_name}` of {subject} not found "
                f"(no module named `{missing}` in {cwd} or on sys.path)"
            ) from None
        raise _crashed(error, f"importing module `{module_name}`") from None
    except DefinitionError as error:
        raise CliError(
            f"invalid definition in module `{module_name}` ({subject}): {error}", RUN_FAILED
        ) from None
    except Exception as error:
        raise _crashed(error, f"importing module `{module_name}`") from None


def load_registry(imports: Sequence[str]) -> Registry:
    """The names a spec may use: the registries the named modules expose, merged.

    Each entry is ``module`` (its ``registry`` attribute) or ``module:attribute``. This is
    the one place registries are found: ``--import`` flags and, later, the ``imports:`` list
    of ``plait.yaml`` both come here.

    Raises:
        CliError: code 2 for a malformed entry, a missing module or attribute, or a value
            that is not a ``plait.Registry``, or a module that raises on import; code 1
            when two registries bind one name to different objects.
    """
    from plait.graphs import Registry
    from plait.nodes import DefinitionError

    found: list[Registry] = []
    for entry in imports:
        module_name, colon, attribute = entry.partition(":")
        attribute = attribute if colon else REGISTRY_ATTRIBUTE
        if not (_is_dotted_name(module_name) and _is_dotted_name(attribute)):
            raise CliError(
                f"--import takes `module` or `module:attribute` (for example "
                f"`examples.digest`), got `{entry}`"
            )
        module = _import(module_name, f"--import `{entry}`")
        value = getattr(module, attribute, None)
        if not isinstance(value, Registry):
            known = sorted(
                name for name, item in vars(module).items() if isinstance(item, Registry)
            )
            listed = ", ".join(f"`{module_name}:{name}`" for name in known) or "none"
            what = "has no attribute" if value is None else "has a non-Registry attribute"
            raise CliError(
                f"module `{module_name}` {what} `{attribute}` (--import `{entry}` needs a "
                f"plait.Registry there; registries in the module: {listed})"
            )
        found.append(value)
    try:
        return Registry().merge(*found)
    except DefinitionError as error:
        raise CliError(f"the imported registries disagree: {error}", RUN_FAILED) from None


def load_spec(target: str, registry: Registry) -> Graph[object]:
    """Load the JSON spec file ``target`` with ``registry``.

    Raises:
        CliError: code 2 when the file cannot be read; code 1 listing every problem when
            the spec is invalid.
    """
    from plait.graphs import SpecError, load

    try:
        return load(Path(target), registry)
    except SpecError as error:
        raise CliError(str(error), RUN_FAILED) from None
    except OSError as error:
        raise unreadable_spec(target, error) from None


def unreadable_spec(target: str, error: OSError) -> CliError:
    """The usage error (code 2) for a spec file that cannot be read."""
    if isinstance(error, FileNotFoundError):
        return CliError(f"spec file `{target}` not found")
    if isinstance(error, IsADirectoryError):
        return CliError(f"spec `{target}` is a directory, not a file")
    return CliError(f"cannot read spec `{target}`: {error.strerror or error}")


def load_graph(target: str, imports: Sequence[str] = ()) -> Graph[object]:
    """The graph a command names: a JSON spec file (loaded with the registries of
    ``imports``), or ``module:attribute`` (the current directory first).

    Raises:
        CliError: code 2 for a malformed target, a missing file, module or attribute, a
            value that is not a graph, or a module or factory that raises; code 1 when a
            definition or spec is invalid.
    """
    from plait.graphs import Graph
    from plait.nodes import DefinitionError

    if is_spec(target):
        return load_spec(target, load_registry(imports))
    if imports:
        raise CliError(
            f"--import names the registries of a JSON spec; `{target}` is a Python target "
            "(its module imports what it needs)"
        )
    module_name, colon, attribute = target.partition(":")
    if not (colon and _is_dotted_name(module_name) and _is_dotted_name(attribute)):
        if Path(target).is_dir():
            raise CliError(
                f"spec `{target}` is a directory, not a file (TARGET is `module:attribute` "
                "or a `.json` spec file)"
            )
        raise CliError(
            f"TARGET must be `module:attribute` (for example `examples.pipeline:graph`) or a "
            f"`.json` spec file, got `{target}`"
        )
    module = _import(module_name, f"target `{target}`")

    value: object = module
    parts = attribute.split(".")
    for index, part in enumerate(parts):
        try:
            value = getattr(value, part)
        except AttributeError:
            found = _graphs_in(module)
            known = ", ".join(f"`{name}`" for name in found) if found else "none"
            raise CliError(
                f"module `{module_name}` has no attribute `{'.'.join(parts[: index + 1])}` "
                f"(target `{target}`; graphs in the module: {known})"
            ) from None

    if isinstance(value, Graph):
        return value
    if not callable(value) or isinstance(value, type) or not _is_factory(value):
        raise _not_a_graph(f"`{target}` is", value)
    try:
        signature = inspect.signature(value)
    except (TypeError, ValueError):
        signature = None
    if signature is not None:
        try:
            signature.bind()
        except TypeError:
            raise CliError(
                f"`{target}` is a callable that needs arguments `{signature}`; expected a "
                "plait.Graph or a zero-argument callable returning one"
            ) from None
    try:
        made = value()
    except DefinitionError as error:
        raise CliError(f"invalid definition in `{target}`: {error}", RUN_FAILED) from None
    except Exception as error:
        raise _crashed(error, f"calling `{target}`") from None
    if inspect.iscoroutine(made):
        made.close()
        raise CliError(
            f"`{target}` is an async function; expected a plait.Graph or a zero-argument "
            "(synchronous) callable returning one"
        )
    if isinstance(made, Graph):
        return made
    raise _not_a_graph(f"`{target}` returned", made)


def _is_factory(value: object) -> bool:
    from plait.graphs import GraphBuilder
    from plait.nodes import Node

    return not isinstance(value, Node | GraphBuilder) and not inspect.ismodule(value)
