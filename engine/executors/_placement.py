"""Which executor runs each step of a graph, and the check made before a run starts."""

from __future__ import annotations

from collections.abc import Iterator

from plait.engine._options import RunOptions
from plait.engine.executors._protocol import Executor
from plait.graphs import Graph, LoopNode, MapNode, SubgraphNode
from plait.nodes import DefinitionError, FunctionNode, Node, Problem

__all__ = ["check_placement", "placed_steps"]


def executor_of(node: Node[object], options: RunOptions) -> Executor | None:
    """The executor ``node`` runs on; ``None`` for the local fast path.

    A node's own ``executor`` name comes first, then its pool's name if the run has an
    executor of that name, then the run's default ``executor``.
    """
    if not isinstance(node, FunctionNode):
        return None
    named = options.executors
    if node.executor is not None:
        return named.get(node.executor, _MISSING)
    if node.pool is not None and node.pool in named:
        return named[node.pool]
    return options.executor


class _Missing:
    """A placeholder for a node whose executor the run was not given (reported first)."""

    name = "missing"


_MISSING: Executor = _Missing()  # type: ignore[assignment]


def placed_steps(
    graph: Graph[object], options: RunOptions, *, check: bool = False
) -> list[Executor | None] | None:
    """Each step's executor, or ``None`` when every step runs locally (the fast path);
    with ``check``, first ``check_placement`` (a root graph, before its run starts)."""
    if options.executor is None and not options.executors:
        return None
    if check:
        check_placement(graph, options)
    placed = [executor_of(step.node, options) for step in graph.plan.steps]
    return placed if any(executor is not None for executor in placed) else None


def check_placement(graph: Graph[object], options: RunOptions) -> None:
    """Check every node placed on an executor, nested bodies included, before a run.

    Raises:
        DefinitionError: listing every node that cannot run where it is placed.
    """
    if options.executor is None and not options.executors:
        return
    problems: list[Problem] = []
    for path, node in _function_nodes(graph, ""):
        executor = executor_of(node, options)
        if executor is _MISSING:
            known = ", ".join(sorted(options.executors)) or "none"
            problems.append(
                Problem(
                    "unknown-executor",
                    f"node `{path}`",
                    f"it runs on executor `{node.executor}`, which this run was not given"
                    f" (given: {known})",
                    "pass RunOptions(executors={...}) or run with --executor dask://HOST:PORT",
                )
            )
        elif executor is not None:
            problems.extend(executor.check(node, path))
    if problems:
        raise DefinitionError(problems, subject=f"graph `{graph.name}` on its executors")


def _function_nodes(
    graph: Graph[object], prefix: str
) -> Iterator[tuple[str, FunctionNode[object]]]:
    for step in graph.plan.steps:
        node = step.node
        path = prefix + node.id
        if isinstance(node, FunctionNode):
            yield path, node
        elif isinstance(node, SubgraphNode):
            yield from _function_nodes(node.graph, f"{path}/")
        elif isinstance(node, MapNode | LoopNode):
            yield from _function_nodes(node.body, f"{path}[*]/")
