"""The floor: the same node bodies driven by bare anyio, with no engine at all."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable

import anyio
from answers import as_int, in_chain_order
from bodies import branch_names, make_join, noop
from harness import Trial

__all__ = ["chain", "compile_chain", "fan_out"]

Body = Callable[[int], Awaitable[int]]


def chain(n: int, x: int) -> Trial:
    """``x = await noop(x)``, ``n`` times."""

    async def run() -> int:
        value = x
        for _ in range(n):
            value = await noop(value)
        return value

    return Trial(run=run, answer=as_int)


def fan_out(n: int, x: int, branch: Body) -> Trial:
    """A source, ``n`` tasks each awaiting ``branch`` on its value, then the join body."""
    names = branch_names(n)
    join = make_join(names)

    async def run() -> int:
        source = await noop(x)
        values = [0] * n

        async def one(index: int) -> None:
            values[index] = await branch(source)

        async with anyio.create_task_group() as task_group:
            for index in range(n):
                task_group.start_soon(one, index)
        return await join(**dict(zip(names, values, strict=True)))

    return Trial(run=run, answer=as_int)


def compile_chain(n: int) -> Trial:
    """Build a networkx ``DiGraph`` of an ``n``-node chain and sort it topologically."""
    import networkx as nx  # here, not above: W1's fresh-process footprint must not pay it

    ids = [f"n{index}" for index in range(n)]
    edges = list(itertools.pairwise(ids))

    async def run() -> list[str]:
        graph = nx.DiGraph()
        graph.add_nodes_from(ids)
        graph.add_edges_from(edges)
        return list(nx.topological_sort(graph))

    def answer(order: object) -> int:
        return in_chain_order(order) if isinstance(order, list) else -1

    return Trial(run=run, answer=answer)
