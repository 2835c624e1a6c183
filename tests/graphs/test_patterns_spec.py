"""Agent patterns in JSON specs: each kind dumps and loads back to the same graph, built
from registered parts by name; what a spec cannot name is reported, never guessed."""

from __future__ import annotations

import json

import pytest

from plait import GraphBuilder, Registry, SpecError, dump, load, node
from plait.graphs import Graph, spec_schema
from plait.graphs.patterns import (
    Evaluation,
    Plan,
    QualityRating,
    chain,
    evaluator_optimizer,
    orchestrator,
    parallel,
    router,
)
from plait.nodes import ScriptedModel, agent

MODEL = "openai:gpt-4.1"
research = agent("research", model=MODEL, description="finds facts")
write = agent("write", model=MODEL, description="writes prose")
judge = agent("judge", model=MODEL, output=Evaluation)
planner = agent("planner", model=MODEL, output=Plan)
editor = agent("editor", model=MODEL)


@node
def shout(text: str) -> str:
    return text.upper()


REGISTRY = Registry(agents=[research, write, judge, planner, editor], functions=[shout])

PATTERNS: dict[str, Graph[object]] = {
    "chain": chain("pipeline", research, write, shout),
    "parallel": parallel("panel", [research, write], fan_in=editor, policy="collect"),
    "parallel first": parallel("race", [research, write], policy="first", include_request=False),
    "router": router("desk", [research, write], model=MODEL, instructions="Prefer research."),
    "orchestrator": orchestrator(
        "team", planner, [research, write], editor, iterative=True, plan_iterations=4
    ),
    "evaluator_optimizer": evaluator_optimizer(
        "polish", write, judge, min_rating=QualityRating.EXCELLENT, max_refinements=2
    ),
}


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_a_pattern_dumps_and_loads_back_to_the_same_graph(name: str) -> None:
    graph = PATTERNS[name]
    text = dump(graph, REGISTRY)
    assert load(text, REGISTRY).content_hash == graph.content_hash
    assert dump(load(text, REGISTRY), REGISTRY) == text


def test_a_pattern_inside_a_graph_is_written_as_its_kind_with_parts_by_name() -> None:
    builder = GraphBuilder("main", inputs={"message": str})
    steps = builder.add(PATTERNS["chain"], id="steps", inputs={"message": "inputs.message"})
    rated = builder.add(PATTERNS["evaluator_optimizer"], inputs={"message": steps})
    graph = builder.build(rated)
    document = json.loads(dump(graph, REGISTRY))
    assert document["nodes"][0] == {
        "id": "steps",
        "kind": "chain",
        "inputs": {"message": "inputs.message"},
        "name": "pipeline",
        "sequence": ["research", "write", "shout"],
    }
    assert document["nodes"][1]["generator"] == "write"
    assert document["nodes"][1]["min_rating"] == "excellent"
    assert load(json.dumps(document), REGISTRY).content_hash == graph.content_hash


def test_a_spec_pattern_runs_like_the_python_one() -> None:
    spec = {
        "plait": "1",
        "name": "main",
        "inputs": {"message": "str"},
        "output": "steps",
        "nodes": [
            {
                "id": "steps",
                "kind": "chain",
                "inputs": {"message": "inputs.message"},
                "sequence": ["first", "shout"],
            }
        ],
    }
    first = agent("first", model=ScriptedModel(["hello"]))
    graph = load(spec, Registry(agents=[first], functions=[shout]))
    assert graph.run_sync({"message": "x"}).output == "HELLO"


def _problems(spec: dict[str, object], registry: Registry = REGISTRY) -> list[str]:
    with pytest.raises(SpecError) as caught:
        load({"plait": "1", "name": "main", "inputs": {"message": "str"}, **spec}, registry)
    return [f"{p.code} {p.location}: {p.message}" for p in caught.value.problems]


def test_a_pattern_naming_an_unregistered_part_is_reported_at_its_path() -> None:
    problems = _problems(
        {
            "output": "team",
            "nodes": [
                {
                    "id": "team",
                    "kind": "orchestrator",
                    "inputs": {"message": "inputs.message"},
                    "planner": "planner",
                    "workers": ["research", "poet"],
                    "synthesiser": "editor",
                }
            ],
        }
    )
    assert problems == ["unknown-agent $.nodes[0].workers[1]: agent `poet` is not registered"]


def test_a_pattern_whose_parts_do_not_fit_it_is_reported() -> None:
    problems = _problems(
        {
            "output": "p",
            "nodes": [
                {
                    "id": "p",
                    "kind": "evaluator_optimizer",
                    "inputs": {"message": "inputs.message"},
                    "generator": "write",
                    "evaluator": "editor",
                }
            ],
        }
    )
    assert problems == [
        "invalid-pattern $.nodes[0]: evaluator_optimizer `p`: evaluator `editor` must return "
        "Evaluation (output=...)"
    ]


def test_dumping_a_pattern_of_unregistered_parts_or_a_model_object_names_each() -> None:
    loose = agent("loose", model=MODEL)
    graph = router("desk", [research, loose], model=ScriptedModel([]))
    with pytest.raises(SpecError) as caught:
        dump(graph, REGISTRY)
    found = {(p.code, p.location) for p in caught.value.problems}
    assert found == {
        ("unregistered-part", "$.nodes[0].agents[1]"),
        ("unrepresentable", "$.nodes[0].model"),
    }


def test_the_schema_lists_every_pattern_kind() -> None:
    text = json.dumps(spec_schema())
    for kind in ("chain", "parallel", "router", "orchestrator", "evaluator_optimizer"):
        assert f'"const": "{kind}"' in text or f'"enum": ["{kind}"]' in text
