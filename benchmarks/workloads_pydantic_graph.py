"""W1 as a pydantic-graph ``Graph``, built once outside the timed region."""

from __future__ import annotations

import itertools
from typing import Any

from answers import as_int
from bodies import noop
from harness import Trial
from pydantic_graph import GraphBuilder, StepContext

__all__ = ["chain"]


async def _step(context: StepContext[None, None, int]) -> int:
    return await noop(context.inputs)


def define_chain(n: int) -> Any:
    """A pydantic-graph ``Graph`` of ``n`` no-op steps in a chain, each passing its int on."""
    builder: Any = GraphBuilder(
        name="chain", input_type=int, output_type=int, auto_instrument=False
    )
    steps = [builder.step(_step, node_id=f"n{index}") for index in range(n)]
    builder.add_edge(builder.start_node, steps[0])
    for before, after in itertools.pairwise(steps):
        builder.add_edge(before, after)
    builder.add_edge(steps[-1], builder.end_node)
    return builder.build()


def chain(n: int, x: int) -> Trial:
    """``run`` a chain of ``n`` no-op steps on ``x``."""
    graph = define_chain(n)

    async def run() -> int:
        return int(await graph.run(inputs=x))

    return Trial(run=run, answer=as_int)
