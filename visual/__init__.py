"""How a graph looks: diagrams of graphs and runs (DOT, SVG/PNG through Graphviz, Mermaid)."""

from plait.visual._diagram import Direction
from plait.visual._errors import GraphvizNotFoundError, RenderError
from plait.visual._overlay import NodeOutcomeView, RunView
from plait.visual._render import FORMATS, render, to_dot, to_mermaid

__all__ = [
    "FORMATS",
    "Direction",
    "GraphvizNotFoundError",
    "NodeOutcomeView",
    "RenderError",
    "RunView",
    "render",
    "to_dot",
    "to_mermaid",
]
