"""The public entry points: DOT and Mermaid text of a graph, and diagram files."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from plait.graphs import Graph, Outline
from plait.visual._diagram import Diagram, Direction
from plait.visual._draw import DrawOptions, draw
from plait.visual._draw_outline import draw_outline
from plait.visual._errors import RenderError
from plait.visual._graphviz import run_dot, write_dot
from plait.visual._mermaid import write_mermaid
from plait.visual._overlay import Overlay, RunView

__all__ = ["FORMATS", "render", "to_dot", "to_mermaid"]

FORMATS: Mapping[str, str] = {
    ".dot": "dot",
    ".gv": "dot",
    ".mmd": "mermaid",
    ".pdf": "pdf",
    ".png": "png",
    ".svg": "svg",
}
"""File suffix -> what ``render`` writes: DOT text, Mermaid text, or an image from ``dot``."""


def _diagram(
    graph: Graph[object] | Outline,
    *,
    direction: Direction,
    edge_labels: bool,
    legend: bool,
    run: RunView | None,
    durations: Mapping[str, float] | None,
    tokens: Mapping[str, int] | None,
) -> Diagram:
    if direction not in ("LR", "TB"):
        raise ValueError(f"direction must be `LR` or `TB`, got {direction!r}")
    overlay = None if run is None else Overlay.of(run, durations, tokens)
    options = DrawOptions(direction, edge_labels, legend, overlay)
    if isinstance(graph, Outline):
        return draw_outline(graph, options)
    return draw(graph, options)


def to_dot(
    graph: Graph[object] | Outline,
    *,
    direction: Direction = "LR",
    edge_labels: bool = True,
    legend: bool = True,
    run: RunView | None = None,
    durations: Mapping[str, float] | None = None,
    tokens: Mapping[str, int] | None = None,
) -> str:
    """The Graphviz DOT text of ``graph``; the same graph always gives the same bytes.

    ``graph`` may be an ``Outline`` (``plait.graphs.outline`` of a spec read without a
    registry): its nodes, edges, routes and clusters, with the types it knows.

    With ``run`` (a ``RunResult``, or anything with ``nodes[id].status`` and
    ``.attempts``) nodes are coloured by status and show attempts, plus ``durations``
    (seconds) and ``tokens`` by node id; edges a run never used are grey and dashed.

    Raises:
        GraphvizNotFoundError: when the ``graphviz`` Python package is not installed.
    """
    return write_dot(
        _diagram(
            graph,
            direction=direction,
            edge_labels=edge_labels,
            legend=legend,
            run=run,
            durations=durations,
            tokens=tokens,
        )
    )


def to_mermaid(
    graph: Graph[object] | Outline,
    *,
    direction: Direction = "LR",
    edge_labels: bool = True,
    run: RunView | None = None,
    durations: Mapping[str, float] | None = None,
    tokens: Mapping[str, int] | None = None,
) -> str:
    """Mermaid ``flowchart`` text of ``graph``, for Markdown; options as for ``to_dot``."""
    return write_mermaid(
        _diagram(
            graph,
            direction=direction,
            edge_labels=edge_labels,
            legend=False,
            run=run,
            durations=durations,
            tokens=tokens,
        )
    )


def render(
    graph: Graph[object] | Outline,
    path: str | os.PathLike[str],
    *,
    direction: Direction = "LR",
    edge_labels: bool = True,
    legend: bool = True,
    run: RunView | None = None,
    durations: Mapping[str, float] | None = None,
    tokens: Mapping[str, int] | None = None,
) -> Path:
    """Write the diagram of ``graph`` to ``path``, in the format its suffix names.

    ``.svg``, ``.png`` and ``.pdf`` are laid out by the Graphviz ``dot`` program;
    ``.dot``/``.gv`` and ``.mmd`` are the text of ``to_dot`` and ``to_mermaid``. The file
    is written only once the diagram is complete.

    Raises:
        RenderError: when the suffix is none of ``FORMATS``, or ``dot`` fails.
        GraphvizNotFoundError: when ``dot`` (or the ``graphviz`` package) is missing.
        OSError: when the file cannot be written.
    """
    target = Path(path)
    format = FORMATS.get(target.suffix.lower())
    if format is None:
        known = ", ".join(sorted(FORMATS))
        raise RenderError(f"cannot tell the format of `{target}`: use a suffix among {known}")
    if format == "mermaid":
        text = to_mermaid(
            graph,
            direction=direction,
            edge_labels=edge_labels,
            run=run,
            durations=durations,
            tokens=tokens,
        )
        target.write_text(text, encoding="utf-8")
        return target
    source = to_dot(
        graph,
        direction=direction,
        edge_labels=edge_labels,
        legend=legend,
        run=run,
        durations=durations,
        tokens=tokens,
    )
    if format == "dot":
        target.write_text(source, encoding="utf-8")
    else:
        target.write_bytes(run_dot(source, format))
    return target
