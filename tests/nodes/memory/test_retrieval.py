"""Retrieval: an agent searches its memory through the tool; a graph through the node."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from plait import GraphBuilder, RunOptions
from plait.engine import SQLiteStore
from plait.nodes import Message, ScriptedModel, ToolCall, agent
from plait.nodes.memory.vectors import (
    HashingEmbedder,
    Hit,
    NumpyIndex,
    SQLiteVectorIndex,
    VectorIndex,
    VectorMemory,
    format_hits,
    retrieval_node,
    retrieval_tool,
)

pytestmark = pytest.mark.anyio

NOTES = {
    "tea": "Ada drinks green tea every morning",
    "bike": "Ada rides her bike to work on Mondays",
    "cat": "Ada's cat is called Babbage",
}


async def filled(index: VectorIndex) -> VectorMemory:
    memory = VectorMemory(index, HashingEmbedder(128))
    await memory.add(
        list(NOTES),
        list(NOTES.values()),
        [{"topic": "food"}, {"topic": "travel"}, {"topic": "pets"}],
    )
    return memory


async def test_an_agent_searches_its_memory_with_the_tool() -> None:
    memory = await filled(NumpyIndex(128))
    search = retrieval_tool(memory, k=2)
    call = ToolCall("c1", "search_memory", {"query": "what is the name of the cat", "k": 5})
    model = ScriptedModel([Message.assistant(call), "Babbage."])
    helper = agent("helper", model=model, inputs={"question": str}, tools=[search])
    b = GraphBuilder("ask", inputs={"question": str})
    graph = b.build(b.add(helper, inputs={"question": "inputs.question"}))

    result = await graph.run({"question": "What is my cat called?"})

    assert result.output == "Babbage."
    [spec] = model.requests[0].tools
    assert spec.name == "search_memory"
    properties = spec.parameters["properties"]
    assert isinstance(properties, dict)
    assert set(properties) == {"query", "k"}
    [tool_result] = [r for m in model.requests[1].messages for r in m.tool_results]
    lines = tool_result.content.splitlines()
    assert lines[0].startswith("1. [cat] score=")  # k=5 asked, capped at the tool's 2
    assert lines[0].endswith(": Ada's cat is called Babbage")
    assert lines[1] == '   metadata: {"topic": "pets"}'
    assert sum(line[:2] in ("1.", "2.") for line in lines) == 2


async def test_a_retrieval_node_feeds_hits_to_the_next_node_and_is_checkpointed(
    tmp_path: Path,
) -> None:
    async with SQLiteVectorIndex(tmp_path / "memory.db", "notes", dimension=128) as index:
        memory = await filled(index)
        b = GraphBuilder("rag", inputs={"question": str})
        hits = b.add(retrieval_node(memory, k=1), inputs={"query": "inputs.question"})

        def answer(hits: list[Hit]) -> str:
            return format_hits(hits)

        graph = b.build(b.add(answer, inputs={"hits": hits}))
        async with SQLiteStore(tmp_path / "runs.db") as store:
            result = await graph.run(
                {"question": "how does Ada get to work"}, options=RunOptions(store=store)
            )
            stored = await store.load(result.run_id)

    assert result.output.startswith("1. [bike] score=")
    assert result.output.endswith('metadata: {"topic": "travel"}')
    assert stored is not None
    saved = json.loads(stored.outputs["retrieve"].data)
    assert [(hit["id"], hit["metadata"]["topic"]) for hit in saved] == [("bike", "travel")]


async def test_a_filtered_tool_sees_only_matching_items() -> None:
    memory = await filled(NumpyIndex(128))
    search = retrieval_tool(memory, name="search_pets", k=3, where={"topic": "pets"})
    result = await search.invoke(ToolCall("c1", "search_pets", {"query": "green tea"}))
    text = result.content
    assert text.startswith("1. [cat]")
    assert len(text.splitlines()) == 2
    assert format_hits([]) == "No results."
