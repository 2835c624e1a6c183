"""A node's cache policy, executor and isolation in JSON specs: written, read back, in the
schema, hashed only where the ADRs say (cache when set; executor and isolation never), and
bad values reported at their paths."""

from __future__ import annotations

import json
from typing import Any

import pytest

from plait import GraphBuilder, Registry, SpecError, dump, load, node
from plait.graphs import Graph, spec_schema
from plait.nodes import CachePolicy, agent

MODEL = "openai:gpt-4.1"


@node(cache=CachePolicy(ttl=60, key="node", version="2"), executor="dask")
def parse(text: str) -> str:
    return text.strip()


@node(isolation="process", grace=0.5)
def crunch(text: str) -> str:
    return text.upper()


@node
def shout(text: str) -> str:
    return text.upper()


@node
async def fetch(text: str) -> str:
    return text


summarise = agent("summarise", model=MODEL, cache=CachePolicy(ttl=3600))
write = agent("write", model=MODEL)
REGISTRY = Registry(functions=[parse, crunch, shout, fetch], agents=[summarise, write])

Spec = dict[str, Any]


def graph(*nodes: object) -> Graph[object]:
    builder = GraphBuilder("g", inputs={"text": str})
    source = "inputs.text"
    for item in nodes:
        entry = item.inputs[0].name  # type: ignore[attr-defined]
        ref = builder.add(item, inputs={entry: source})  # type: ignore[call-overload]
        source = str(ref)
    return builder.build(source)


def spec(*nodes: Spec) -> Spec:
    wired = []
    source = "inputs.text"
    for item in nodes:
        entry = "message" if item["kind"] == "agent" else "text"
        wired.append({"inputs": {entry: source}, **item})
        source = item["id"]
    return {"plait": "1", "name": "g", "inputs": {"text": "str"}, "output": source, "nodes": wired}


def locations(document: Spec) -> dict[str, str]:
    with pytest.raises(SpecError) as raised:
        load(document, REGISTRY)
    return {problem.location: problem.code for problem in raised.value.problems}


GRAPHS = {
    "registered options": graph(parse, crunch, summarise),
    "options changed": graph(
        parse.with_options(id="p2", cache=CachePolicy(ttl=1.5, version="3")),
        shout.with_options(id="cached", cache=CachePolicy()),
        agent("w2", model=MODEL, cache=CachePolicy(key="node")),
    ),
}


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_cache_executor_and_isolation_round_trip(name: str) -> None:
    original = GRAPHS[name]
    registry = Registry(
        functions=[parse, crunch, shout], agents=[summarise, write, *_agents(original)]
    )
    text = dump(original, registry)
    loaded = load(text, registry)
    assert loaded.content_hash == original.content_hash
    for node_id, item in original.nodes.items():
        back = loaded.nodes[node_id]
        assert (back.cache, back.executor) == (item.cache, item.executor)
        assert getattr(back, "isolation", None) == getattr(item, "isolation", None)
        assert getattr(back, "grace", None) == getattr(item, "grace", None)
    assert dump(loaded, registry) == text


def _agents(original: Graph[object]) -> list[Any]:
    return [item for item in original.nodes.values() if item.kind == "agent"]


def test_the_dump_shows_the_options_in_effect() -> None:
    written = json.loads(dump(graph(parse, crunch, summarise), REGISTRY))
    first, second, third = written["nodes"]
    assert first["cache"] == {"key": "node", "ttl": 60, "version": "2"}
    assert first["executor"] == "dask"
    assert (second["isolation"], second["grace"]) == ("process", 0.5)
    assert third["cache"] == {"key": "graph", "ttl": 3600}
    assert "cache" not in json.loads(dump(graph(shout), REGISTRY))["nodes"][0]


def test_a_spec_sets_and_drops_options_of_the_registered_node() -> None:
    loaded = load(
        spec(
            {"id": "a", "kind": "function", "function": "shout", "cache": {"ttl": 5}},
            {"id": "b", "kind": "function", "function": "parse", "cache": None, "executor": None},
            {"id": "c", "kind": "function", "function": "parse"},
            {"id": "d", "kind": "function", "function": "crunch", "isolation": "thread"},
            {"id": "e", "kind": "agent", "agent": "summarise", "cache": None},
        ),
        REGISTRY,
    )
    nodes = loaded.nodes
    assert nodes["a"].cache == CachePolicy(ttl=5)
    assert (nodes["b"].cache, nodes["b"].executor) == (None, None)
    assert (nodes["c"].cache, nodes["c"].executor) == (parse.cache, "dask")
    assert getattr(nodes["d"], "isolation") == "thread"  # noqa: B009 - a FunctionNode field
    assert getattr(nodes["d"], "grace") == 0.5  # noqa: B009
    assert nodes["e"].cache is None


def test_only_a_set_cache_policy_counts_in_the_content_hash() -> None:
    def hashed(**fields: object) -> str:
        node_spec = {"id": "a", "kind": "function", "function": "shout", **fields}
        return load(spec(node_spec), REGISTRY).content_hash

    plain = hashed()
    assert plain == graph(shout.with_options(id="a")).content_hash  # unset: hash unchanged
    assert hashed(cache={"ttl": 5}) != plain
    assert hashed(cache={"ttl": 5}) != hashed(cache={"ttl": 6})
    assert hashed(cache={"ttl": 5}) != hashed(cache={"ttl": 5.0})  # numbers keep their type
    assert hashed(executor="dask") == plain  # where it runs is not what it computes
    assert hashed(blocking=True, isolation="thread", grace=9) == plain


def test_bad_values_are_spec_errors_at_their_paths() -> None:
    document = spec(
        {"id": "a", "kind": "function", "function": "shout", "cache": {"ttl": -1}},
        {"id": "b", "kind": "function", "function": "shout", "cache": {"key": "run"}},
        {"id": "c", "kind": "function", "function": "shout", "isolation": "fork"},
        {"id": "d", "kind": "function", "function": "shout", "grace": -1},
        {"id": "e", "kind": "function", "function": "shout", "executor": "no such"},
        {"id": "f", "kind": "function", "function": "shout", "cache": {"tll": 5}},
        {"id": "g", "kind": "agent", "agent": "write", "cache": {"ttl": 0}},
    )
    found = locations(document)
    assert found == {
        "$.nodes[0].cache.ttl": "invalid-value",
        "$.nodes[1].cache.key": "invalid-value",
        "$.nodes[2].isolation": "invalid-value",
        "$.nodes[3].grace": "invalid-value",
        "$.nodes[4].executor": "invalid-value",
        "$.nodes[5].cache.tll": "unknown-field",
        "$.nodes[6].cache.ttl": "invalid-value",
    }


def test_process_isolation_of_a_function_that_cannot_cross_is_reported() -> None:
    document = spec({"id": "a", "kind": "function", "function": "fetch", "isolation": "process"})
    assert locations(document) == {"$.nodes[0].isolation": "bad-isolation"}


def test_a_kind_that_cannot_hold_a_cache_policy_is_refused_by_dump() -> None:
    from dataclasses import replace

    inner = graph(shout)
    builder = GraphBuilder("outer", inputs={"text": str})
    builder.add(inner, id="sub", inputs={"text": "inputs.text"})
    outer = builder.build("sub")
    sub = replace(outer.nodes["sub"], cache=CachePolicy())
    rebuilt = GraphBuilder("outer", inputs={"text": str})
    rebuilt.add(sub, inputs={"text": "inputs.text"})
    with pytest.raises(SpecError) as raised:
        dump(rebuilt.build("sub"), REGISTRY)
    assert [(p.code, p.location) for p in raised.value.problems] == [
        ("unrepresentable", "$.nodes[0].cache")
    ]


def test_the_schema_holds_the_options() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(spec_schema())
    validator.validate(json.loads(dump(graph(parse, crunch, summarise), REGISTRY)))
    bad = spec({"id": "a", "kind": "function", "function": "shout", "cache": {"key": "run"}})
    assert not validator.is_valid(bad)
    bad = spec({"id": "a", "kind": "function", "function": "shout", "isolation": "fork"})
    assert not validator.is_valid(bad)
