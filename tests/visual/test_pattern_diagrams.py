"""An agent pattern is drawn as a frame named after it, around the graph it was built as."""

from __future__ import annotations

import re

import pytest

from plait import GraphBuilder
from plait.graphs import Graph
from plait.graphs.patterns import Evaluation, Plan, chain, evaluator_optimizer, orchestrator, router
from plait.nodes import agent
from plait.visual import to_dot, to_mermaid

MODEL = "openai:gpt-4.1"
research = agent("research", model=MODEL)
write = agent("write", model=MODEL)

PATTERNS: dict[str, tuple[Graph[object], str]] = {
    "chain": (chain("steps", research, write), "chain"),
    "router": (router("desk", [research, write], model=MODEL), "router"),
    "orchestrator": (
        orchestrator(
            "team",
            agent("plan", model=MODEL, output=Plan),
            [research, write],
            write,
            iterative=True,
        ),
        "orchestrator (≤ 3 plans)",
    ),
    "evaluator_optimizer": (
        evaluator_optimizer("polish", write, agent("judge", model=MODEL, output=Evaluation)),
        "evaluator-optimizer (≤ 3 refinements)",
    ),
}


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_a_pattern_is_a_frame_labelled_with_its_kind_around_its_parts(name: str) -> None:
    graph, subtitle = PATTERNS[name]
    source = to_dot(graph)
    frame = re.search(r"subgraph cluster_(\w+) \{\n\t\t([^\n]*)", source)
    assert frame is not None
    assert frame.group(1) == graph.name
    assert f">{subtitle}</font>" in frame.group(2)
    assert 'fillcolor="#f5f3ff"' in frame.group(2)  # the pattern colour, not a subgraph's
    assert re.search(rf'"{graph.name}/([\w/]+/)?write" \[', source)  # its parts, inside
    assert "agent pattern" in source  # in the legend


def test_a_pattern_added_to_a_graph_is_framed_under_its_node_id() -> None:
    builder = GraphBuilder("outer", inputs={"message": str})
    step = builder.add(PATTERNS["chain"][0], id="pipeline", inputs={"message": "inputs.message"})
    source = to_dot(builder.build(step))
    assert "subgraph cluster_pipeline {" in source
    assert '"pipeline/research"' in source
    assert '"pipeline/write"' in source
    assert "pipeline" in to_mermaid(builder.build(step))
