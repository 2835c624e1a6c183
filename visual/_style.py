"""The visual language: one font, one palette, a shape and colours per node kind and status.

Both the DOT and the Mermaid writers read these tables, so a kind looks the same in every
format. Colours are Tailwind-like pairs: a light fill and a darker line of the same hue.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "EDGE_FONT_SIZE",
    "FADED",
    "FONT",
    "FONT_SIZE",
    "INK",
    "KIND_ORDER",
    "MUTED",
    "SMALL_FONT_SIZE",
    "STATUS_ORDER",
    "KindStyle",
    "StatusStyle",
    "kind_style",
    "status_style",
]

FONT = "Helvetica,Arial,sans-serif"
FONT_SIZE = 11
SMALL_FONT_SIZE = 9
EDGE_FONT_SIZE = 9
INK = "#1e293b"
"""Text and data edges."""
MUTED = "#64748b"
"""Secondary text: types, legend titles, edge labels."""


@dataclass(frozen=True, slots=True)
class KindStyle:
    """How one node kind is drawn."""

    legend: str
    """The kind's name in the legend."""
    shape: str
    """A Graphviz node shape; clusters ignore it except in the legend."""
    fill: str
    line: str
    cluster: bool = False
    """Drawn as a cluster holding its body, not as one node."""
    rounded: bool = False
    peripheries: int = 1
    mermaid: tuple[str, str] = ('["', '"]')
    """The Mermaid brackets around the label: ``id["label"]``."""


@dataclass(frozen=True, slots=True)
class StatusStyle:
    """How a node looks in a run overlay, whatever its kind."""

    fill: str
    line: str
    text: str = INK
    dashed: bool = False


_KINDS: dict[str, KindStyle] = {
    "input": KindStyle("graph input", "ellipse", "#ffffff", "#334155", mermaid=('(["', '"])')),
    "output": KindStyle(
        "graph output", "ellipse", "#f1f5f9", "#0f172a", peripheries=2, mermaid=('(["', '"])')
    ),
    "function": KindStyle(
        "function", "box", "#e0f2fe", "#0369a1", rounded=True, mermaid=('("', '")')
    ),
    "agent": KindStyle("agent", "hexagon", "#ede9fe", "#6d28d9", mermaid=('{{"', '"}}')),
    "tool": KindStyle("tool", "component", "#fef3c7", "#b45309", mermaid=('[["', '"]]')),
    "router": KindStyle("router", "diamond", "#fce7f3", "#be185d", mermaid=('{"', '"}')),
    "join": KindStyle("join", "invtrapezium", "#ccfbf1", "#0f766e", mermaid=('[\\"', '"/]')),
    "human": KindStyle(
        "human input", "parallelogram", "#ffedd5", "#c2410c", mermaid=('[/"', '"/]')
    ),
    "map": KindStyle("map", "box", "#fefce8", "#a16207", cluster=True, rounded=True),
    "loop": KindStyle("loop", "box", "#ecfdf5", "#047857", cluster=True, rounded=True),
    "subgraph": KindStyle("subgraph", "box", "#f8fafc", "#475569", cluster=True, rounded=True),
    "pattern": KindStyle("agent pattern", "box", "#f5f3ff", "#7c3aed", cluster=True, rounded=True),
    "port": KindStyle("port", "ellipse", "#ffffff", "#94a3b8", mermaid=('(["', '"])')),
    "unresolved": KindStyle(
        "pattern (not imported)", "box", "#f3f4f6", "#6b7280", cluster=True, rounded=True
    ),
    "part": KindStyle("part by name", "box", "#f3f4f6", "#6b7280", rounded=True),
}
_UNKNOWN_KIND = KindStyle("node", "box", "#f3f4f6", "#6b7280")

KIND_ORDER: tuple[str, ...] = (
    "input",
    "function",
    "agent",
    "tool",
    "router",
    "join",
    "human",
    "map",
    "loop",
    "subgraph",
    "pattern",
    "unresolved",
    "part",
    "output",
)
"""The legend's order; kinds not listed follow, sorted by name."""

_STATUSES: dict[str, StatusStyle] = {
    "succeeded": StatusStyle("#dcfce7", "#15803d"),
    "cached": StatusStyle("#ccfbf1", "#0f766e"),
    "failed": StatusStyle("#fee2e2", "#b91c1c"),
    "running": StatusStyle("#dbeafe", "#1d4ed8"),
    "waiting": StatusStyle("#fef9c3", "#a16207"),
    "pending": StatusStyle("#f8fafc", "#64748b", text=MUTED),
    "cancelled": StatusStyle("#ffedd5", "#c2410c"),
    "skipped": StatusStyle("#ffffff", "#94a3b8", text="#94a3b8", dashed=True),
}
_UNKNOWN_STATUS = StatusStyle("#f3f4f6", "#6b7280")

STATUS_ORDER: tuple[str, ...] = tuple(_STATUSES)
"""The legend's order of run statuses."""

FADED = _STATUSES["skipped"]
"""Edges a run did not take."""


def kind_style(kind: str) -> KindStyle:
    """The style of ``kind``; an unknown kind is drawn as a plain grey box."""
    style = _KINDS.get(kind)
    if style is None:
        return KindStyle(kind, _UNKNOWN_KIND.shape, _UNKNOWN_KIND.fill, _UNKNOWN_KIND.line)
    return style


def status_style(status: str) -> StatusStyle:
    """The overlay style of a node ``status``; an unknown status is drawn grey."""
    return _STATUSES.get(status, _UNKNOWN_STATUS)
