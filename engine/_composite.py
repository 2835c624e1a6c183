"""Running the node kinds made of graphs: subgraphs, maps and loops."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

import anyio
import anyio.lowlevel

from plait.graphs import BranchFailure, Graph, LoopNode, LoopResult, MapNode, SubgraphNode
from plait.nodes import PlaitError

__all__ = ["RunBody", "run_loop", "run_map", "run_subgraph"]

RunBody = Callable[[Graph[object], str, Mapping[str, object]], Awaitable[object]]
"""Runs a body graph under a path prefix with the given inputs; returns its output."""


class MapTooLargeError(PlaitError):
    """A map received more items than its ``max_items``."""


async def run_subgraph(
    node: SubgraphNode, path: str, inputs: Mapping[str, object], body: RunBody
) -> object:
    """The inner graph's output; events carry ``path/inner``."""
    return await body(node.graph, path, inputs)


async def run_loop(
    node: LoopNode, path: str, inputs: Mapping[str, object], body: RunBody
) -> LoopResult[object]:
    """Run the body until ``until`` holds or ``max_iterations`` runs have been made."""
    values = dict(inputs)
    output: object = values[node.carry]
    for iteration in range(node.max_iterations):
        output = await body(node.body, f"{path}[{iteration}]", values)
        if node.until is not None and node.until(output):
            return LoopResult(output, iteration + 1, "condition")
        values[node.carry] = output
        if iteration % 64 == 63:  # a loop of instant bodies must still let others run
            await anyio.lowlevel.checkpoint()
    return LoopResult(output, node.max_iterations, "max_iterations")


async def run_map(
    node: MapNode, path: str, inputs: Mapping[str, object], body: RunBody
) -> list[object]:
    """Run the body once per item, concurrently under ``concurrency``, results in order.

    Raises:
        MapTooLargeError: when there are more items than ``max_items``.
    """
    items = inputs[node.over]
    if not isinstance(items, list | tuple):
        raise TypeError(f"map `{node.id}` needs a list for `{node.over}`, got {type(items)}")
    if node.max_items is not None and len(items) > node.max_items:
        raise MapTooLargeError(
            f"map `{node.id}` got {len(items)} items for `{node.over}`; "
            f"its max_items is {node.max_items}"
        )
    results: list[object] = [None] * len(items)
    limiter = anyio.CapacityLimiter(node.concurrency) if node.concurrency else None
    failure: list[BaseException] = []

    async def one(index: int, item: object) -> None:
        values = dict(inputs)
        values[node.over] = item
        try:
            if limiter is None:
                results[index] = await body(node.body, f"{path}[{index}]", values)
            else:
                async with limiter:
                    results[index] = await body(node.body, f"{path}[{index}]", values)
        except Exception as error:
            if node.collect_failures:
                results[index] = _failure(f"{path}[{index}]", error)
                return
            if not failure:
                failure.append(error)
                scope.cancel()

    with anyio.CancelScope() as scope:
        async with anyio.create_task_group() as group:
            for index, item in enumerate(items):
                group.start_soon(one, index, item)
    if failure:
        raise failure[0]
    return results


def _failure(path: str, error: BaseException) -> BranchFailure:
    cause = getattr(error, "error", None)
    root = cause if isinstance(cause, BaseException) else error
    attempts = getattr(error, "attempts", 1)
    node = getattr(error, "node", path)
    return BranchFailure(
        node=str(node),
        error=type(root).__name__,
        message=str(root),
        attempts=attempts if isinstance(attempts, int) else 1,
    )
