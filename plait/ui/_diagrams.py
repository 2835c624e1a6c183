"""Diagrams for the viewer: Graphviz SVG of a graph, or of a stored run with its overlay.

A stored run is drawn as ``plait render RUN_ID`` draws it: from the graph ``plait.yaml``
(or ``plait ui --graph``) names when it is the graph the run ran, else from the
description the store keeps (an outline; nothing named by stored data is imported).
``dot`` runs in a worker thread; drawings are kept by graph and statuses, so a finished
run's diagram is laid out once.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from plait.engine import RunRecord
    from plait.graphs import Graph, Outline

__all__ = ["Drawings"]

GraphSource = Callable[["RunRecord"], "Graph[object] | None"]
"""The typed graph of a stored run when one is configured and matches it, else None."""


@dataclass(frozen=True, slots=True)
class _Outcome:
    status: str
    attempts: int


@dataclass(frozen=True, slots=True)
class _RunView:
    nodes: Mapping[str, _Outcome]


def svg_of(graph: Graph[object] | Outline, statuses: Mapping[str, str] | None) -> str:
    """The SVG text (no XML prolog) of ``graph``, coloured by ``statuses`` when given.

    Raises:
        RenderError, GraphvizNotFoundError: when ``dot`` fails or is missing.
    """
    from plait.visual import render

    run = None
    if statuses is not None:
        run = _RunView({node: _Outcome(status, 1) for node, status in statuses.items()})
    with tempfile.TemporaryDirectory(prefix="plait-ui-") as folder:
        path = Path(folder) / "diagram.svg"
        render(graph, path, run=run)
        text = path.read_text(encoding="utf-8")
    return text[text.find("<svg") :]


class Drawings:
    """Laid-out diagrams, the most recent ``size`` kept."""

    def __init__(self, graph_of: GraphSource, size: int = 64) -> None:
        self._graph_of = graph_of
        self._kept: OrderedDict[str, str] = OrderedDict()
        self._size = size

    def _found(self, key: str) -> str | None:
        found = self._kept.get(key)
        if found is not None:
            self._kept.move_to_end(key)
        return found

    def _keep(self, key: str, svg: str) -> str:
        self._kept[key] = svg
        while len(self._kept) > self._size:
            self._kept.popitem(last=False)
        return svg

    def graph_of_run(self, record: RunRecord) -> Graph[object] | Outline:
        """The graph to draw for ``record``.

        Raises:
            ValueError: when the stored description cannot be read.
        """
        from plait.graphs import Outline

        graph = self._graph_of(record)
        if graph is not None:
            return graph
        return Outline.from_description(json.loads(record.canonical))

    async def run_svg(self, record: RunRecord, statuses: Mapping[str, str]) -> str:
        """The diagram of a stored run with its statuses (in a worker thread)."""
        import anyio.to_thread

        shown = json.dumps(sorted(statuses.items()))
        key = hashlib.sha256(f"{record.content_hash}\0{shown}".encode()).hexdigest()
        found = self._found(key)
        if found is not None:
            return found
        graph = self.graph_of_run(record)
        return self._keep(key, await anyio.to_thread.run_sync(svg_of, graph, statuses))

    async def graph_svg(self, graph: Graph[object] | Outline) -> str:
        """The diagram of a graph (in a worker thread)."""
        import anyio.to_thread

        return await anyio.to_thread.run_sync(svg_of, graph, None)
