"""What can go wrong when a diagram is rendered: Graphviz is missing, or it failed.

PlaitError
└── RenderError              a diagram could not be written
    └── GraphvizNotFoundError    the `dot` program or the `graphviz` package is missing
"""

from __future__ import annotations

from plait.nodes import PlaitError

__all__ = ["GraphvizNotFoundError", "RenderError"]


class RenderError(PlaitError):
    """A diagram could not be rendered: Graphviz failed, or the format is unknown."""


class GraphvizNotFoundError(RenderError):
    """Graphviz is not installed: the ``dot`` program, or the ``graphviz`` Python package."""
