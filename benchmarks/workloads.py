"""The workloads: one function each, turning a size into every engine's case.

A new workload (W4 checkpoints, W5 loops) is one more function here plus one ``Spec``
in ``SPECS``; trial-specific record fields (``db_bytes``) come from ``Trial.extra``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import CodeType

import floor
import rivals
import workloads_plait
from bodies import JOIN_CODE, Join, nap, nap_asyncio, noop
from footprint import with_fresh_peak
from harness import Case, Target, Trial, Workload

__all__ = ["SPECS", "Spec"]


@dataclass(frozen=True, slots=True)
class Spec:
    """A workload's name, default size, and how to make it at a size."""

    name: str
    n: int
    make: Callable[[int, bool], Workload]
    """``make(n, with_langgraph)``; graphs are built here, outside any timing."""


def _cases(
    trials: Mapping[str, Trial], expected: int, calls: Mapping[str, Mapping[CodeType, int]]
) -> list[Case]:
    return [Case(engine, trial, expected, calls[engine]) for engine, trial in trials.items()]


def chain(n: int, langgraph: bool) -> Workload:
    """W1: a chain of ``n`` no-op nodes; the output must be the input.

    Each engine's record also carries the peak RSS of a fresh process running it alone.
    pydantic-graph joins when installed (W1 only: it is here for the footprint).
    """
    x = 7
    modules = {"floor": "floor", "plait": "workloads_plait"}
    trials = {"floor": floor.chain(n, x), "plait": workloads_plait.chain(n, x)}
    if langgraph:
        import workloads_langgraph

        modules["langgraph"] = "workloads_langgraph"
        trials["langgraph"] = workloads_langgraph.chain(n, x)
    if rivals.installed("pydantic_graph"):
        import workloads_pydantic_graph

        modules["pydantic_graph"] = "workloads_pydantic_graph"
        trials["pydantic_graph"] = workloads_pydantic_graph.chain(n, x)
    trials = {
        engine: with_fresh_peak(trial, modules[engine], n) for engine, trial in trials.items()
    }
    calls = {engine: {noop.__code__: n} for engine in trials}
    return Workload("W1", "chain", n, Target.per_node_us(10), _cases(trials, x, calls))


def _fan_out(
    name: str, n: int, target: Target, branch: Join, langgraph_branch: Join | None
) -> Workload:
    x = 3
    trials = {"floor": floor.fan_out(n, x, branch), "plait": workloads_plait.fan_out(n, x, branch)}
    if langgraph_branch is not None:
        import workloads_langgraph

        trials["langgraph"] = workloads_langgraph.fan_out(n, x, langgraph_branch)

    def calls(body: Join) -> Counter[CodeType]:
        return Counter({noop.__code__: 1, JOIN_CODE: 1}) + Counter({body.__code__: n})

    per_engine = {engine: calls(branch) for engine in trials}
    if langgraph_branch is not None:
        per_engine["langgraph"] = calls(langgraph_branch)
    return Workload(name, "fan-out", n, target, _cases(trials, n * x, per_engine))


def fan_out(n: int, langgraph: bool) -> Workload:
    """W2: a source, ``n`` parallel no-op branches, one join summing them all."""
    return _fan_out("W2", n, Target.floor_ratio(1.5), noop, noop if langgraph else None)


def sleepy_fan_out(n: int, langgraph: bool) -> Workload:
    """W3: like W2, but each branch sleeps 50 ms (asyncio.sleep under LangGraph)."""
    return _fan_out("W3", n, Target.floor_ratio(1.1), nap, nap_asyncio if langgraph else None)


def map_fan_out(n: int, langgraph: bool) -> Workload:
    """W2 with the map node: a source, a map of ``n`` no-op items, one join summing them."""
    x = 3
    trials = {"floor": floor.fan_out(n, x, noop), "plait": workloads_plait.map_fan_out(n, x)}
    if langgraph:
        import workloads_langgraph

        trials["langgraph"] = workloads_langgraph.map_fan_out(n, x)
    calls = {engine: {noop.__code__: n + 1, JOIN_CODE: 1} for engine in trials}
    return Workload("W2m", "map fan-out", n, Target.floor_ratio(1.5), _cases(trials, n * x, calls))


def loop(n: int, langgraph: bool) -> Workload:
    """W5: a loop of ``n`` iterations of a one-node body (floor: ``n`` awaits in a row)."""
    x = 5
    trials = {"floor": floor.chain(n, x), "plait": workloads_plait.loop(n, x)}
    if langgraph:
        import workloads_langgraph

        trials["langgraph"] = workloads_langgraph.loop(n, x)
    calls = {engine: {noop.__code__: n} for engine in trials}
    return Workload("W5", "loop", n, Target.per_node_us(50), _cases(trials, x, calls))


def durable_chain(n: int, langgraph: bool) -> Workload:
    """W4: the chain, each output committed to SQLite (sync, and async) vs raw commits
    made on the event loop (the floor) and through a worker thread (``floor_thread``)."""
    import workloads_durable

    x = 7
    trials = {
        "floor": workloads_durable.floor_loop_chain(n, x),
        "floor_thread": workloads_durable.floor_chain(n, x),
        "plait": workloads_durable.plait_chain(n, x, "sync"),
        "plait_async": workloads_durable.plait_chain(n, x, "async"),
    }
    calls = {engine: {noop.__code__: n} for engine in trials}
    return Workload("W4", "durable chain", n, Target.floor_ratio(1.3), _cases(trials, x, calls))


def compile_chain(n: int, langgraph: bool) -> Workload:
    """W6: compile a chain of ``n`` nodes; every engine must return them in chain order."""
    trials = {"floor": floor.compile_chain(n), "plait": workloads_plait.compile_chain(n)}
    if langgraph:
        import workloads_langgraph

        trials["langgraph"] = workloads_langgraph.compile_chain(n)
    calls: dict[str, Mapping[CodeType, int]] = {engine: {} for engine in trials}
    return Workload("W6", "compile", n, Target.seconds(0.5), _cases(trials, n, calls))


SPECS = (
    Spec("W1", 1000, chain),
    Spec("W2", 1000, fan_out),
    Spec("W2m", 1000, map_fan_out),
    Spec("W3", 100, sleepy_fan_out),
    Spec("W4", 1000, durable_chain),
    Spec("W5", 10_000, loop),
    Spec("W6", 10_000, compile_chain),
)
"""Every workload, in the order they run."""
