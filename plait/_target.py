"""Find the graph a ``plait`` command names: ``module:attribute`` (or a factory)."""

from __future__ import annotations

import importlib
import inspect
import os
import sys
import traceback
from typing import TYPE_CHECKING

from plait._usage import RUN_FAILED, CliError

if TYPE_CHECKING:
    from plait.graphs import Graph

__all__ = ["load_graph"]


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


def _user_traceback(error: BaseException) -> str:
    """The traceback of ``error`` without plait's and importlib's own frames on top."""
    here = os.path.abspath(__file__)
    machinery = os.path.dirname(os.path.abspath(importlib.__file__)) + os.sep

    def ours(filename: str) -> bool:
        path = os.path.abspath(filename)
        return (
            filename.startswith("<frozen importlib") or path == here or path.startswith(machinery)
        )

    tb = error.__traceback__
    while tb is not None and ours(tb.tb_frame.f_code.co_filename):
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(error), error, tb))


def _crashed(error: Exception, doing: str) -> CliError:
    """A target's own code raised: show where (its traceback), then the one-line error."""
    from plait._progress import describe_error

    sys.stderr.write(_user_traceback(error))
    return CliError(f"{doing} raised {describe_error(error)}", RUN_FAILED)


def load_graph(target: str) -> Graph[object]:
    """Import ``module:attribute`` (the current directory first) and return its graph.

    Raises:
        CliError: code 2 for a malformed target, a missing module or attribute, or a value
            that is not a graph; code 1 when a definition is invalid or the module crashes.
    """
    from plait.graphs import Graph
    from plait.nodes import DefinitionError

    module_name, colon, attribute = target.partition(":")
    if not (colon and _is_dotted_name(module_name) and _is_dotted_name(attribute)):
        raise CliError(
            f"TARGET must be `module:attribute` (for example `examples.pipeline:graph`), "
            f"got `{target}`"
        )
    cwd = _put_cwd_first()
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        missing = error.name or ""
        if missing and (module_name == missing or module_name.startswith(missing + ".")):
            raise CliError(
                f"module `{module_name}` of target `{target}` not found "
                f"(no module named `{missing}` in {cwd} or on sys.path)"
            ) from None
        raise _crashed(error, f"importing module `{module_name}`") from None
    except DefinitionError as error:
        raise CliError(
            f"invalid definition in module `{module_name}` (target `{target}`): {error}",
            RUN_FAILED,
        ) from None
    except Exception as error:
        raise _crashed(error, f"importing module `{module_name}`") from None

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
