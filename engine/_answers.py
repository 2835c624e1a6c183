"""Answers to a waiting run's questions: checked against the node's type (or the tool's,
for a tool call's decision), masked like every record, and stored for the resume."""

from __future__ import annotations

from collections.abc import Mapping

from plait.engine.stores._codec import encode
from plait.engine.stores._protocol import InterruptRecord, Store
from plait.graphs import Graph, HumanNode
from plait.nodes import RunError, Secrets, type_name

__all__ = ["answer"]


async def answer(
    store: Store,
    graph: Graph[object],
    run_id: str,
    answers: Mapping[str, object],
    wall: float,
    secrets: Secrets,
) -> None:
    """Store answers for a waiting run's questions, each checked against its node's type.

    An answer is a record like an output: ``secrets`` are masked in it the same way.

    Raises:
        RunError: when a node is not a human node of the graph, or is not waiting.
        ValueError: when an answer does not fit the node's answer type.
    """
    from plait.engine._approvals import decided
    from plait.nodes import from_jsonable

    stored = await store.load(run_id)
    waiting = {item.node: item for item in (stored.interrupts if stored is not None else ())}
    for name, value in answers.items():
        if await decided(store, graph, waiting.get(name), value, wall, secrets):
            continue  # a tool call's decision, checked against its tool
        node = graph.nodes.get(name)
        if not isinstance(node, HumanNode) or name not in waiting:
            known = ", ".join(f"`{key}`" for key in waiting) or "none"
            raise RunError(
                f"run {run_id}: `{name}` is not a question this run asked (asked: {known})",
                run_id=run_id,
            )
        try:
            typed = from_jsonable(node.output, value)
        except ValueError as error:
            raise ValueError(
                f"the answer for `{name}` does not fit `{type_name(node.output)}`: {error}"
            ) from None
        asked = waiting[name]
        await store.put_interrupt(
            InterruptRecord(
                run_id,
                name,
                asked.key,
                asked.question,
                asked.schema,
                secrets.mask_json(encode(typed)),
                wall,
            )
        )
