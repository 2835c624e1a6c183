"""A diagram, independent of any output format: boxes, clusters and arrows, in order.

``_draw`` turns a graph into a ``Diagram``; ``_graphviz`` and ``_mermaid`` write one out.
Every sequence is already in its final, deterministic order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Arrow", "ArrowRole", "Box", "Cluster", "Diagram", "Direction"]

Direction = Literal["LR", "TB"]
"""Left to right, or top to bottom."""

ArrowRole = Literal["data", "route", "output", "repeat"]
"""``data``: a value into an input; ``route``: a router branch; ``output``: into the graph's
output; ``repeat``: a loop's next iteration."""


@dataclass(frozen=True, slots=True)
class Box:
    """One drawn node: a graph node, a graph input or output, or a port of a cluster."""

    id: str
    """Unique in the diagram: a node path (``outer/inner``), ``inputs.<name>``, ...."""
    kind: str
    title: str
    subtitle: str = ""
    """The output type, usually."""
    note: str = ""
    """A kind's own fact, e.g. a join's policy."""
    status: str | None = None
    """The run status, in an overlay."""
    detail: str = ""
    """The run's figures for the node, in an overlay: status, attempts, time, tokens."""
    tooltip: str = ""


@dataclass(frozen=True, slots=True)
class Cluster:
    """A node drawn as a frame around its body (map, loop, subgraph)."""

    id: str
    kind: str
    title: str
    subtitle: str
    boxes: tuple[Box, ...]
    clusters: tuple[Cluster, ...]
    status: str | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Arrow:
    """One edge between two boxes."""

    tail: str
    head: str
    label: str
    role: ArrowRole = "data"
    taken: bool = True
    """False when an overlay shows the value never travelled this edge."""


@dataclass(frozen=True, slots=True)
class Diagram:
    """Everything to draw, in order; the legend lists ``kinds`` and ``statuses``."""

    name: str
    direction: Direction
    boxes: tuple[Box, ...]
    clusters: tuple[Cluster, ...]
    arrows: tuple[Arrow, ...]
    kinds: tuple[str, ...]
    statuses: tuple[str, ...]
    legend: bool
    overlay: bool
    """Colours show run statuses, not kinds."""
