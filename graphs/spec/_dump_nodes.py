"""Writing the built-in node kinds as a spec: functions (by registered name, with the
options in effect), subgraphs, maps, loops, joins and human steps."""

from __future__ import annotations

from typing import TYPE_CHECKING

from plait.graphs._kinds import HumanNode, JoinNode, LoopNode, MapNode, SubgraphNode
from plait.graphs.spec._dump_agents import same, write_cache
from plait.graphs.spec._errors import Path
from plait.nodes import FunctionNode

if TYPE_CHECKING:
    from plait.graphs.spec._dump import _Dump

__all__ = [
    "callable_name",
    "write_function",
    "write_human",
    "write_join",
    "write_loop",
    "write_map",
    "write_subgraph",
]


_GRACE = 2.0
"""A function node's default ``grace`` (``@node``'s)."""


def callable_name(fn: object) -> str:
    """``module.qualname`` of a callable, for messages about one that is not registered."""
    module = getattr(fn, "__module__", None) or type(fn).__module__
    qualname = getattr(fn, "__qualname__", None) or type(fn).__qualname__
    return f"{module}.{qualname}"


def write_function(dump: _Dump, node: FunctionNode[object], path: Path) -> dict[str, object]:
    name = dump.registry._functions.name_of(node.fn)
    if name is None:
        fn = node.fn
        dump.add(
            "unregistered-function",
            (*path, "function"),
            f"function `{callable_name(fn)}` (node `{node.id}`) is not registered",
            f"register it: `registry.function({getattr(fn, '__name__', 'fn')})`",
        )
        base: FunctionNode[object] = node
        written: dict[str, object] = {"function": callable_name(fn)}
    else:
        base = dump.registry.functions[name]
        written = {"function": name}
    if (node.inputs, node.output, node.is_async, node.context_parameter) != (
        base.inputs,
        base.output,
        base.is_async,
        base.context_parameter,
    ):
        dump.add(
            "unrepresentable",
            path,
            f"node `{node.id}` has inputs or an output that differ from its function's",
            "build the node from the function itself (`builder.add(fn)` or `@node`)",
        )
    # Options in effect are written out (a reviewer sees them), and a null where the
    # registered node has one that this node dropped; absent means "the registered one".
    retry = node.retry
    if retry is not None or base.retry is not None:
        written["retry"] = None if retry is None else dump.policy(retry, (*path, "retry"))
    if node.timeout is not None or base.timeout is not None:
        timeout = node.timeout
        written["timeout"] = None if timeout is None else dump.number(timeout, path)
    if node.pool is not None or base.pool is not None:
        written["pool"] = node.pool
    if not node.blocking or not base.blocking:
        written["blocking"] = node.blocking
    if node.description != base.description:
        written["description"] = node.description
    write_cache(written, node, base)
    if node.executor is not None or base.executor is not None:
        written["executor"] = node.executor
    if node.isolation != "thread" or base.isolation != "thread":
        written["isolation"] = node.isolation
    if not same(node.grace, _GRACE) or not same(base.grace, _GRACE):
        written["grace"] = dump.number(node.grace, (*path, "grace"))
    return written


def write_subgraph(dump: _Dump, node: SubgraphNode, path: Path) -> dict[str, object]:
    return {"graph": dump.graph_key(node.graph, path)}


def write_map(dump: _Dump, node: MapNode, path: Path) -> dict[str, object]:
    written: dict[str, object] = {"body": dump.graph_key(node.body, path), "over": node.over}
    if node.concurrency is not None:
        written["concurrency"] = node.concurrency
    if node.max_items is not None:
        written["max_items"] = node.max_items
    if node.collect_failures:
        written["collect_failures"] = True
    return written


def write_loop(dump: _Dump, node: LoopNode, path: Path) -> dict[str, object]:
    written: dict[str, object] = {
        "body": dump.graph_key(node.body, path),
        "carry": node.carry,
        "max_iterations": node.max_iterations,
    }
    if node.until is not None:
        name = dump.registry._conditions.name_of(node.until)
        if name is None:
            shown = callable_name(node.until)
            dump.add(
                "unregistered-condition",
                (*path, "until"),
                f"condition `{shown}` (loop `{node.id}`) is not registered",
                f"register it: `registry.condition({getattr(node.until, '__name__', 'fn')})`",
            )
        written["until"] = name or callable_name(node.until)
    return written


def write_join(dump: _Dump, node: JoinNode, path: Path) -> dict[str, object]:
    written: dict[str, object] = {}
    if node.policy != "all":
        written["policy"] = node.policy
    if node.k is not None:
        written["k"] = node.k
    return written


def write_human(dump: _Dump, node: HumanNode, path: Path) -> dict[str, object]:
    return {"question": node.question, "answer": dump.type_text(node.output, (*path, "answer"))}
