"""The local executor: an attempt runs in the driver's event loop (or a worker thread)."""

from __future__ import annotations

import functools

import anyio.to_thread

from plait.engine.executors._protocol import Attempt
from plait.nodes import FunctionNode, Problem

__all__ = ["LocalExecutor"]


class LocalExecutor:
    """Runs attempts here, as a run without executors does: async functions on the loop,
    sync ones in a worker thread (unless ``blocking=False``).

    A run with no executor takes a shorter path to the same calls, so naming this one is
    only needed to keep some nodes local when the run's default is a cluster.
    """

    @property
    def name(self) -> str:
        """Always ``local``."""
        return "local"

    def check(self, node: FunctionNode[object], path: str) -> list[Problem]:
        """Nothing: every function node can run here."""
        return []

    async def execute(self, attempt: Attempt) -> object:
        """Call the node's function on the attempt's inputs."""
        node = attempt.function
        if node.is_async:
            result: object = await node.fn(**attempt.inputs)  # type: ignore[misc]
            return result
        if not node.blocking:
            return node.fn(**attempt.inputs)
        call = functools.partial(node.fn, **attempt.inputs)
        return await anyio.to_thread.run_sync(call, abandon_on_cancel=True)
