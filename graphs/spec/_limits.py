"""How big a JSON spec may be: every limit the loader enforces, with its default."""

from __future__ import annotations

from dataclasses import dataclass, fields

__all__ = ["SpecLimits"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SpecLimits:
    """Limits on a spec, checked before anything is built. Every one is configurable.

    The defaults let through any graph a person or a tool would write (a 10,000-node
    graph loads in well under a second) and stop a hostile document early and cheaply.
    """

    max_bytes: int = 16 * 1024 * 1024
    """Size of the document's text (UTF-8 bytes)."""
    max_depth: int = 64
    """Nesting of JSON objects and arrays; a valid spec needs fewer than 10 levels."""
    max_string_length: int = 65_536
    """Length of any one string (key or value), in characters."""
    max_nodes: int = 20_000
    """Nodes in all of the document's graphs together."""
    max_fan_out: int = 4_096
    """Inputs fed by one source, or route targets of one router, or inputs of one node."""
    max_graph_depth: int = 32
    """How deep graphs nest: a subgraph, map or loop body is one level down."""
    max_iterations: int = 10_000
    """The largest ``max_iterations`` a loop may declare."""

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"SpecLimits.{item.name} must be a positive int, got {value!r}")
