"""A pattern nested inside a pattern (or a graph used as a pattern's part) dumps to a JSON
spec as a part naming a graph of the document, and loads back to the same graph."""

from __future__ import annotations

import json

import pytest

from plait import GraphBuilder, SpecError, dump, load
from plait.graphs import Graph
from plait.graphs.patterns import chain, evaluator_optimizer, orchestrator, parallel, router
from plait.nodes import RetryPolicy

from .test_patterns_spec import MODEL, REGISTRY, editor, judge, planner, research, shout, write


def _plain(name: str) -> Graph[object]:
    """A graph that is no pattern, used as a part."""
    builder = GraphBuilder(name, inputs={"message": str})
    builder.add(write, inputs={"message": "inputs.message"})
    builder.add(shout, inputs={"text": "write"})
    return builder.build("shout")


def _retried() -> Graph[object]:
    builder = GraphBuilder("retried", inputs={"message": str})
    steps = chain("steps", research, write)
    builder.add(steps, retry=RetryPolicy(max_attempts=2), inputs={"message": "inputs.message"})
    return builder.build("steps")


NESTED: dict[str, Graph[object]] = {
    "chain in chain": chain("outer", research, chain("inner", write, shout)),
    "parallel in chain": chain("outer", parallel("panel", [research, write], fan_in=editor), write),
    "router routing to a parallel": router(
        "desk", [research, parallel("panel", [research, write], fan_in=editor)], model=MODEL
    ),
    "chain in parallel": parallel(
        "panel", [research, chain("two", research, write)], fan_in=editor
    ),
    "chain as an orchestrator's worker": orchestrator(
        "team", planner, [research, chain("drafting", research, write)], editor
    ),
    "chain as an evaluator-optimizer's generator": evaluator_optimizer(
        "polish", chain("draft", research, write), judge
    ),
    "three deep": router(
        "desk", [parallel("panel", [chain("two", research, write), editor])], model=MODEL
    ),
    "the same pattern twice": parallel(
        "twice",
        [
            chain("a", research, chain("two", research, write)),
            chain("b", chain("two", research, write)),
        ],
        policy="collect",
    ),
    "a plain graph as a part": chain("outer", research, _plain("tidy")),
}


@pytest.mark.parametrize("name", sorted(NESTED))
def test_a_nested_pattern_dumps_and_loads_back_to_the_same_graph(name: str) -> None:
    graph = NESTED[name]
    text = dump(graph, REGISTRY)
    loaded = load(text, REGISTRY)
    assert loaded.content_hash == graph.content_hash
    assert dump(loaded, REGISTRY) == text


def test_a_nested_pattern_is_a_part_naming_a_graph_written_once() -> None:
    written = json.loads(dump(NESTED["the same pattern twice"], REGISTRY))
    assert written["nodes"][0]["fan_out"] == [{"graph": "a"}, {"graph": "b"}]
    graphs = written["graphs"]
    assert graphs["a"]["nodes"][0]["sequence"] == ["research", {"graph": "two"}]
    assert graphs["b"]["nodes"][0]["sequence"] == [{"graph": "two"}]
    assert graphs["two"]["nodes"][0]["kind"] == "chain"
    assert graphs["two"]["nodes"][0]["sequence"] == ["research", "write"]


def test_a_pattern_inside_a_graph_inside_a_pattern_keeps_its_options() -> None:
    graph = chain("outer", research, _retried())
    loaded = load(dump(graph, REGISTRY), REGISTRY)
    assert loaded.content_hash == graph.content_hash


def _document(parts: list[object], graphs: dict[str, object]) -> dict[str, object]:
    return {
        "plait": "1",
        "name": "outer",
        "inputs": {"message": "str"},
        "output": "outer",
        "nodes": [
            {
                "id": "outer",
                "kind": "chain",
                "inputs": {"message": "inputs.message"},
                "sequence": parts,
            }
        ],
        "graphs": graphs,
    }


def _inner(part: object) -> dict[str, object]:
    return {
        "inputs": {"message": "str"},
        "output": "inner",
        "nodes": [
            {
                "id": "inner",
                "kind": "chain",
                "inputs": {"message": "inputs.message"},
                "sequence": [part],
            }
        ],
    }


def test_a_part_naming_a_missing_or_recursive_graph_is_reported_at_its_path() -> None:
    with pytest.raises(SpecError) as raised:
        load(_document(["research", {"graph": "innr"}], {"inner": _inner("write")}), REGISTRY)
    found = {(p.code, p.location) for p in raised.value.problems}
    assert ("unknown-graph", "$.nodes[0].sequence[1].graph") in found
    with pytest.raises(SpecError) as raised:
        load(_document([{"graph": "inner"}], {"inner": _inner({"graph": "inner"})}), REGISTRY)
    found = {(p.code, p.location) for p in raised.value.problems}
    assert found == {("recursive-graph", "$.graphs.inner.nodes[0].sequence[0].graph")}


def test_a_nested_graph_part_that_its_graph_does_not_give_back_is_refused() -> None:
    builder = GraphBuilder("wrapped", inputs={"message": str})
    builder.add(_plain("tidy"), id="renamed", inputs={"message": "inputs.message"})
    renamed = builder.build("renamed").nodes["renamed"]
    with pytest.raises(SpecError) as raised:
        dump(chain("outer", research, renamed), REGISTRY)
    assert [(p.code, p.location) for p in raised.value.problems] == [
        ("unregistered-part", "$.nodes[0].sequence[1]")
    ]
