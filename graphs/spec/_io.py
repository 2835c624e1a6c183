"""JSON graph specs: ``load`` a spec into a compiled graph, ``dump`` a graph as one.

A spec is data. It names functions, agents, loop conditions, types and exception classes
that Python code registered in a ``Registry``; loading never imports a module, evaluates text
or unpickles anything, and refuses a spec that breaks a ``SpecLimits`` limit before
building anything. This module stays light: pydantic (which checks the format) and the
builders load on the first call.
"""

from __future__ import annotations

import gc
import json

from plait.graphs._graph import Graph
from plait.graphs.spec._limits import SpecLimits
from plait.graphs.spec._read import SpecSource, read_document
from plait.graphs.spec._registry import Registry

__all__ = ["SPEC_VERSION", "dump", "load", "spec_schema"]

SPEC_VERSION = "1"
"""The spec format version this plait reads and writes (the document's ``"plait"``)."""

_DEFAULT_LIMITS = SpecLimits()


def load(
    source: SpecSource, registry: Registry, *, limits: SpecLimits = _DEFAULT_LIMITS
) -> Graph[object]:
    """Read a spec and return its main graph, compiled exactly like a Python graph.

    ``source`` is JSON text (``str`` or ``bytes``), a ``pathlib.Path`` to a file of it, or
    the parsed data (a dict). A ``str`` is always text, never a file name.

    Raises:
        SpecError: listing every problem, each at its JSON path: limits broken, JSON
            that does not parse, fields that do not fit the format, names that are not
            registered, and everything compiling the graphs finds.
        OSError: when a path cannot be read.
    """
    from plait.graphs.spec._build import build_document
    from plait.graphs.spec._parse import parse_document

    # Like compiling (ADR 002), reading allocates many small objects that all live on:
    # collecting midway only burns time, so the collector waits until the end.
    collecting = gc.isenabled()
    gc.disable()
    try:
        data, subject = read_document(source, limits)
        document = parse_document(data, limits, subject)
        return build_document(document, registry, limits, subject)
    finally:
        if collecting:
            gc.enable()


def dump(graph: Graph[object], registry: Registry, *, indent: int | None = 2) -> str:
    """The spec of ``graph`` as JSON text; ``load(text, registry)`` gives the graph back
    (the same ``content_hash``).

    Raises:
        SpecError: naming every function, condition, type or exception class that is not
            registered, and every node option a spec cannot express.
    """
    from plait.graphs.spec._dump import to_document

    text = json.dumps(to_document(graph, registry), indent=indent, ensure_ascii=False)
    return text + "\n" if indent is not None else text


def spec_schema() -> dict[str, object]:
    """The JSON Schema of the spec format, generated from the models the loader uses."""
    from plait.graphs.spec._models import json_schema

    return json_schema()
