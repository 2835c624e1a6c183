"""The workloads as plait graphs, built once outside the timed region (except W6)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from answers import as_int, in_chain_order
from bodies import branch_names, make_join, noop
from harness import Trial

import plait
from plait import Graph, GraphBuilder, NodeRef

__all__ = ["chain", "compile_chain", "fan_out", "loop", "map_fan_out"]

NOOP = plait.node(noop)

Body = Callable[[int], Awaitable[int]]


def define_chain(n: int) -> tuple[GraphBuilder, NodeRef[int]]:
    """A builder holding a chain ``n0 -> ... -> n{n-1}`` of no-op nodes, and its last node."""
    builder = GraphBuilder("chain", inputs={"x": int})
    last = builder.add(NOOP, id="n0", inputs={"x": "inputs.x"})
    for index in range(1, n):
        last = builder.add(NOOP, id=f"n{index}", inputs={"x": last})
    return builder, last


def chain(n: int, x: int) -> Trial:
    """Run a chain of ``n`` no-op nodes on ``x``."""
    builder, last = define_chain(n)
    graph = builder.build(last)

    async def run() -> int:
        return (await plait.run(graph, {"x": x})).output

    return Trial(run=run, answer=as_int)


def fan_out(n: int, x: int, branch: Body) -> Trial:
    """Run ``source -> n branches -> join``, each branch calling ``branch``."""
    names = branch_names(n)
    branch_node = plait.node(branch)
    builder = GraphBuilder("fan_out", inputs={"x": int})
    source = builder.add(NOOP, id="source", inputs={"x": "inputs.x"})
    refs = {name: builder.add(branch_node, id=name, inputs={"x": source}) for name in names}
    join = builder.add(plait.node(make_join(names)), id="join", inputs=refs)
    graph = builder.build(join)

    async def run() -> int:
        return (await plait.run(graph, {"x": x})).output

    return Trial(run=run, answer=as_int)


def map_fan_out(n: int, x: int) -> Trial:
    """Run ``source -> map(noop) over n copies -> join``: W2 with the real map node."""
    names = branch_names(n)
    join = make_join(names)

    @plait.node(blocking=False)
    def spread(x: int) -> list[int]:
        return [x] * n

    @plait.node
    async def total(values: list[int]) -> int:
        return await join(**dict(zip(names, values, strict=True)))

    builder = GraphBuilder("map_fan_out", inputs={"x": int})
    source = builder.add(NOOP, id="source", inputs={"x": "inputs.x"})
    copies = builder.add(spread, inputs={"x": source})
    each = builder.map(NOOP, id="each", over="x", max_items=n, inputs={"x": copies})
    graph = builder.build(builder.add(total, inputs={"values": each}))

    async def run() -> int:
        return (await plait.run(graph, {"x": x})).output

    return Trial(run=run, answer=as_int)


def loop(n: int, x: int) -> Trial:
    """Run a loop node of ``n`` iterations whose body is one no-op node."""
    body_builder = GraphBuilder("body", inputs={"x": int})
    body = body_builder.build(body_builder.add(NOOP, id="step", inputs={"x": "inputs.x"}))
    builder = GraphBuilder("loop", inputs={"x": int})
    looped = builder.loop(body, id="again", carry="x", max_iterations=n, inputs={"x": "inputs.x"})
    graph = builder.build(looped)

    async def run() -> int:
        return (await plait.run(graph, {"x": x})).output.value

    return Trial(run=run, answer=as_int)


def compile_chain(n: int) -> Trial:
    """Time ``build()`` of an ``n``-node chain; defining it is the untimed ``prepare``."""
    defined: list[tuple[GraphBuilder, NodeRef[int]]] = []

    def prepare() -> None:
        defined[:] = [define_chain(n)]

    async def run() -> Graph[int]:
        builder, last = defined.pop()
        return builder.build(last)

    def answer(graph: object) -> int:
        if not isinstance(graph, Graph):
            return -1
        return in_chain_order([step.node.id for step in graph.plan.steps])

    return Trial(run=run, answer=answer, prepare=prepare)
