"""The workloads as LangGraph ``StateGraph``s, compiled once outside the timed region (but W6)."""

from __future__ import annotations

import itertools
import operator
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, NotRequired, TypedDict

from answers import as_int, in_chain_order
from bodies import branch_names, make_join, noop
from harness import Trial
from langgraph.graph import END, START, StateGraph
from langgraph.types import Send

__all__ = ["chain", "compile_chain", "fan_out", "loop", "map_fan_out"]

Body = Callable[[int], Awaitable[int]]


class ChainState(TypedDict):
    """The chain's state: one int passed along."""

    x: int


class FanState(TypedDict):
    """The fan-out's state: the source value, the branches' values, the join's sum."""

    x: int
    values: Annotated[list[int], operator.add]
    total: NotRequired[int]


async def _step(state: ChainState) -> ChainState:
    return {"x": await noop(state["x"])}


def define_chain(n: int) -> Any:
    """A ``StateGraph`` of ``n`` no-op nodes in a chain."""
    graph = StateGraph(ChainState)
    ids = [f"n{index}" for index in range(n)]
    for node_id in ids:
        graph.add_node(node_id, _step)
    graph.add_edge(START, ids[0])
    for before, after in itertools.pairwise(ids):
        graph.add_edge(before, after)
    graph.add_edge(ids[-1], END)
    return graph


def chain(n: int, x: int) -> Trial:
    """``ainvoke`` a chain of ``n`` no-op nodes on ``x``."""
    compiled = define_chain(n).compile()
    config = {"recursion_limit": n + 10}

    async def run() -> int:
        state = await compiled.ainvoke({"x": x}, config)
        return int(state["x"])

    return Trial(run=run, answer=as_int)


def fan_out(n: int, x: int, branch: Body) -> Trial:
    """``ainvoke`` ``source -> n branches -> join``, the branches adding to a list channel."""
    names = branch_names(n)
    join = make_join(names)

    async def source(state: FanState) -> dict[str, int]:
        return {"x": await noop(state["x"])}

    async def each(state: FanState) -> dict[str, list[int]]:
        return {"values": [await branch(state["x"])]}

    async def gather(state: FanState) -> dict[str, int]:
        return {"total": await join(**dict(zip(names, state["values"], strict=True)))}

    graph = StateGraph(FanState)
    graph.add_node("source", source)
    graph.add_edge(START, "source")
    for name in names:
        graph.add_node(name, each)
        graph.add_edge("source", name)
    graph.add_node("join", gather)
    graph.add_edge(names, "join")
    graph.add_edge("join", END)
    compiled = graph.compile()

    async def run() -> int:
        state = await compiled.ainvoke(FanState(x=x, values=[]))
        return int(state["total"])

    return Trial(run=run, answer=as_int)


class LoopState(TypedDict):
    """The loop's state: the carried value and the iteration count."""

    x: int
    i: int


def map_fan_out(n: int, x: int) -> Trial:
    """``ainvoke`` ``source -> Send(branch) x n -> join``: LangGraph's dynamic map."""
    names = branch_names(n)
    join = make_join(names)

    async def source(state: FanState) -> dict[str, int]:
        return {"x": await noop(state["x"])}

    def spread(state: FanState) -> list[Send]:
        return [Send("each", {"x": state["x"], "values": []}) for _ in range(n)]

    async def each(state: FanState) -> dict[str, list[int]]:
        return {"values": [await noop(state["x"])]}

    async def gather(state: FanState) -> dict[str, int]:
        return {"total": await join(**dict(zip(names, state["values"], strict=True)))}

    graph = StateGraph(FanState)
    graph.add_node("source", source)
    graph.add_node("each", each)
    graph.add_node("join", gather)
    graph.add_edge(START, "source")
    graph.add_conditional_edges("source", spread, ["each"])
    graph.add_edge("each", "join")
    graph.add_edge("join", END)
    compiled = graph.compile()

    async def run() -> int:
        state = await compiled.ainvoke(FanState(x=x, values=[]))
        return int(state["total"])

    return Trial(run=run, answer=as_int)


def loop(n: int, x: int) -> Trial:
    """``ainvoke`` one no-op node that routes back to itself ``n`` times."""

    async def body(state: LoopState) -> LoopState:
        return {"x": await noop(state["x"]), "i": state["i"] + 1}

    def again(state: LoopState) -> str:
        return "body" if state["i"] < n else END

    graph = StateGraph(LoopState)
    graph.add_node("body", body)
    graph.add_edge(START, "body")
    graph.add_conditional_edges("body", again, ["body", END])
    compiled: Any = graph.compile()
    config = {"recursion_limit": n + 10}

    async def run() -> int:
        state = await compiled.ainvoke(LoopState(x=x, i=0), config)
        return int(state["x"])

    return Trial(run=run, answer=as_int)


def compile_chain(n: int) -> Trial:
    """Time ``.compile()`` of an ``n``-node chain; defining it is the untimed ``prepare``."""
    defined: list[Any] = []

    def prepare() -> None:
        defined[:] = [define_chain(n)]

    async def run() -> Any:
        return defined.pop().compile()

    def answer(compiled: object) -> int:
        nodes = getattr(compiled, "nodes", {})
        return in_chain_order([node_id for node_id in nodes if node_id != START])

    return Trial(run=run, answer=answer, prepare=prepare)
