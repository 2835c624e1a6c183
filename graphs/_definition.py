"""A graph as the builder collected it, before it is checked: what compile_graph reads."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from plait.nodes import Node, Problem, RetryPolicy

__all__ = ["Definition", "ProblemSink", "RawEdge", "RawRoute"]

ProblemSink = Callable[[str, str, str, str], None]
"""Where a check reports a problem: ``(code, location, message, hint)``."""


@dataclass(frozen=True, slots=True)
class RawEdge:
    """An edge as the user wrote it, before it is resolved and checked."""

    source: str
    target: str


@dataclass(frozen=True, slots=True)
class RawRoute:
    """A route table as the user wrote it: router reference, label -> target ids."""

    router: str
    targets: Mapping[object, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class Definition:
    """Everything a graph was defined with; each check reads the parts it needs."""

    name: str
    nodes: Mapping[str, Node[object]]
    edges: Sequence[RawEdge]
    routes: Sequence[RawRoute]
    inputs: Mapping[str, object]
    output: str
    retry: RetryPolicy
    timeout: float | None
    pools: Mapping[str, int]
    description: str = ""
    problems: Sequence[Problem] = ()
    """What the builder already found wrong (reported first)."""
