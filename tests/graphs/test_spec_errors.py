"""Every kind of spec problem, each at its JSON path, all reported at once; and dump's."""

from __future__ import annotations

import json
from typing import Any

import pytest

from plait import GraphBuilder, Problem, RetryPolicy, SpecError, SpecLimits, dump, load
from plait.graphs import JoinNode
from plait.nodes import GraphDefinitionError, Input, Node, NodeTimeoutError

from .test_spec_parts import REGISTRY, Flaky, big_enough, chain, inc, pick

Spec = dict[str, Any]


def function(node_id: str, name: str = "inc", **fields: object) -> Spec:
    return {
        "id": node_id,
        "kind": "function",
        "function": name,
        "inputs": {"x": "inputs.x"},
        **fields,
    }


def spec(*nodes: Spec, **top: object) -> Spec:
    document: Spec = {"plait": "1", "name": "t", "inputs": {"x": "int"}, "output": nodes[-1]["id"]}
    document["nodes"] = list(nodes)
    document.update(top)
    return document


def problems(document: object, limits: SpecLimits | None = None) -> list[Problem]:
    with pytest.raises(SpecError) as raised:
        load(document, REGISTRY, limits=limits or SpecLimits())  # type: ignore[arg-type]
    assert isinstance(raised.value, GraphDefinitionError)
    return list(raised.value.problems)


def where(document: object, limits: SpecLimits | None = None) -> dict[str, tuple[str, str]]:
    """Location -> (code, message) of every problem."""
    return {p.location: (p.code, p.message) for p in problems(document, limits)}


def one(document: object, limits: SpecLimits | None = None) -> Problem:
    (found,) = problems(document, limits)
    return found


# -- structure -------------------------------------------------------------------------


def test_the_issue_example_path() -> None:
    document = spec(
        function("a"), function("b"), function("c"), function("d", retry={"max_attempts": 0})
    )
    found = one(document)
    assert (found.code, found.location) == ("invalid-value", "$.nodes[3].retry.max_attempts")
    assert found.message == "must be at least 1, got 0"


def test_unknown_fields_are_rejected_with_a_hint() -> None:
    found = one(spec(function("a", retyr={"max_attempts": 2})))
    assert (found.code, found.location) == ("unknown-field", "$.nodes[0].retyr")
    assert found.message == "`retyr` is not a field of a `function` node"
    assert found.hint == "did you mean `retry`?"
    top = one({**spec(function("a")), "nodez": []})
    assert top.location == "$.nodez"
    assert top.hint == "did you mean `nodes`?"


def test_missing_fields_and_wrong_types_all_at_once() -> None:
    document = spec(
        {"id": "a", "kind": "function", "inputs": {"x": "inputs.x"}},
        {"id": "b", "kind": "loop", "body": 1, "carry": "x"},
        function("c", timeout="soon"),
        {"id": "d", "kind": "join", "policy": "frist"},
        {"id": "e"},
        {"id": "f", "kind": "agnet"},
        function("9lives"),
        output="a",
    )
    found = where(document)
    assert found == {
        "$.nodes[0].function": ("missing-field", "`function` is required"),
        "$.nodes[1].body": ("invalid-value", "expected a string, got a number (1)"),
        "$.nodes[1].max_iterations": ("missing-field", "`max_iterations` is required"),
        "$.nodes[2].timeout": ("invalid-value", 'expected a number, got the string "soon"'),
        "$.nodes[3].policy": (
            "invalid-value",
            "expected 'all', 'first', 'k_of_n' or 'collect', got the string \"frist\"",
        ),
        "$.nodes[4].kind": ("missing-field", "`kind` is required"),
        "$.nodes[5].kind": ("unknown-kind", "`agnet` is not a node kind"),
        "$.nodes[6].id": (
            "invalid-value",
            "`9lives` is not valid: a node id is letters, digits, `_` and `-`, not starting "
            "with a digit",
        ),
    }


def test_versions() -> None:
    document = spec(function("a"))
    assert one({**document, "plait": "2"}).code == "unsupported-version"
    assert one({**document, "plait": 1}).hint == 'write it as the string "1"'
    missing = one({key: value for key, value in document.items() if key != "plait"})
    assert (missing.code, missing.location) == ("missing-field", "$.plait")
    assert one([document]).message == "a spec is a JSON object, got an array"


def test_json_syntax_duplicates_and_numbers() -> None:
    text = json.dumps(spec(function("a")))
    truncated = one(text[:-7])
    assert truncated.code == "invalid-json"
    assert truncated.location.startswith("line 1, column ")
    assert "truncated" in truncated.message
    duplicated = text.replace('"id": "a",', '"id": "a", "id": "b",')
    found = one(duplicated)
    assert (found.code, found.location) == ("duplicate-key", "$.nodes[0]")
    assert found.message == "key `id` appears twice"
    assert one(text.replace('"x": "int"', '"x": NaN')).code == "invalid-json"
    assert one(b"\xff" + text.encode()).code == "invalid-json"


# -- names -----------------------------------------------------------------------------


def test_unknown_names_list_the_closest_registered_ones() -> None:
    document = spec(
        function("a", "incc"),
        function("b", "os.system"),
        {
            "id": "c",
            "kind": "loop",
            "body": "g",
            "carry": "x",
            "max_iterations": 2,
            "until": "big_enuff",
            "inputs": {"x": "a"},
        },
        function(
            "d",
            retry={"retry_on": ["Flakey", "subprocess.CalledProcessError"]},
            inputs={"x": "c.value"},
        ),
        inputs={"x": "in", "y": "Pgae"},
        graphs={"g": {"inputs": {"x": "int"}, "output": "one", "nodes": [function("one")]}},
    )
    listed = problems(document)
    found = {p.location: p for p in listed if p.code != "unused-input"}
    assert found["$.nodes[0].function"].hint == "did you mean `inc`?"
    assert found["$.nodes[1].function"].message == "function `os.system` is not registered"
    assert "never import paths" in found["$.nodes[1].function"].hint
    assert found["$.nodes[2].until"].code == "unknown-condition"
    assert found["$.nodes[2].until"].hint == "did you mean `big_enough`?"
    assert found["$.nodes[3].retry.retry_on[0]"].hint == "did you mean `Flaky`?"
    assert found["$.nodes[3].retry.retry_on[1]"].code == "unknown-error"
    assert found["$.inputs.x"].code == "unknown-type"
    assert found["$.inputs.y"].hint == "did you mean `Page`?"
    # the stand-ins for the unknown functions cause no further problems; `y` is unused
    assert [p.location for p in listed if p.code == "unused-input"] == ["$.inputs.y"]
    assert set(found) == {
        "$.nodes[0].function",
        "$.nodes[1].function",
        "$.nodes[2].until",
        "$.nodes[3].retry.retry_on[0]",
        "$.nodes[3].retry.retry_on[1]",
        "$.inputs.x",
        "$.inputs.y",
    }


def test_graph_references() -> None:
    body = {"inputs": {"x": "int"}, "output": "one", "nodes": [function("one")]}
    loop = {
        "inputs": {"x": "int"},
        "output": "s",
        "nodes": [{"id": "s", "kind": "subgraph", "graph": "loop", "inputs": {"x": "inputs.x"}}],
    }
    document = spec(
        {"id": "a", "kind": "subgraph", "graph": "bdy", "inputs": {"x": "inputs.x"}},
        {"id": "b", "kind": "subgraph", "graph": "loop", "inputs": {"x": "a"}},
        graphs={"body": body, "loop": loop, "spare": body},
    )
    found = where(document)
    assert found["$.nodes[0].graph"][0] == "unknown-graph"
    assert found["$.graphs.loop.nodes[0].graph"] == (
        "recursive-graph",
        "graph `loop` uses itself (through `loop`)",
    )


def test_unused_graphs_are_reported() -> None:
    body = {"inputs": {"x": "int"}, "output": "one", "nodes": [function("one")]}
    found = one(spec(function("a"), graphs={"spare": body}))
    assert (found.code, found.location) == ("unused-graph", "$.graphs.spare")


def test_bad_type_expressions() -> None:
    found = one(spec(function("a"), inputs={"x": "list[int"}))
    assert (found.code, found.location) == ("invalid-type", "$.inputs.x")


# -- compile problems, at their paths --------------------------------------------------


def test_wiring_problems_point_into_the_spec() -> None:
    document = spec(
        function("page", "fetch"),
        function("loud", "shout", inputs={"text": "page"}),
        function("count", "size", inputs={"text": "page.bdy"}),
        function("lost", inputs={"x": "nowhere"}),
        function("missing", "add", inputs={"x": "inputs.x"}),
        function("pooled", pool="gpu"),
        {"id": "out", "kind": "join", "inputs": {"a": "loud", "b": "count", "c": "lost"}},
        inputs={"x": "int", "unused": "str"},
        output="out",
    )
    found = where(document)
    assert found["$.nodes[1].inputs.text"] == (
        "type-mismatch",
        "`page` is `Page`, `loud.text` expects `str`",
    )
    assert found["$.nodes[2].inputs.text"][0] == "unknown-field"
    assert found["$.nodes[3].inputs.x"][0] == "unknown-node"
    assert found["$.nodes[4].inputs.y"][0] == "missing-input"
    assert found["$.nodes[5].pool"][0] == "unknown-pool"
    assert found["$.inputs.unused"][0] == "unused-input"
    assert found["$.nodes[4]"][0] == "dead-end"


def test_control_flow_problems_point_into_the_spec() -> None:
    body = {"inputs": {"x": "int"}, "output": "one", "nodes": [function("one")]}
    text_body = {"inputs": {"x": "int"}, "output": "one", "nodes": [function("one", "fetch")]}
    document = spec(
        {**function("choose", "pick"), "routes": {"small": "a", "huge": "b"}},
        function("a"),
        function("b"),
        {"id": "each", "kind": "map", "body": "body", "over": "y", "inputs": {"x": "inputs.x"}},
        {
            "id": "again",
            "kind": "loop",
            "body": "text",
            "carry": "x",
            "max_iterations": 2,
            "inputs": {"x": "inputs.x"},
        },
        {"id": "race", "kind": "join", "policy": "k_of_n", "k": 5, "inputs": {"a": "a", "b": "b"}},
        {"id": "out", "kind": "join", "inputs": {"r": "race", "e": "each", "g": "again"}},
        graphs={"body": body, "text": text_body},
    )
    found = where(document)
    assert found["$.nodes[0].routes.huge"][0] == "unknown-label"
    assert found["$.nodes[0].routes"][0] == "unrouted-label"
    assert found["$.nodes[3].over"][0] == "unknown-input"
    assert found["$.nodes[4].carry"][0] == "type-mismatch"
    assert found["$.nodes[5].k"][0] == "invalid-join"


def test_problems_inside_a_body_are_at_its_path_and_its_users_are_not_blamed() -> None:
    body = {
        "inputs": {"x": "int"},
        "output": "one",
        "nodes": [function("one", "shout", inputs={"text": "inputs.x"})],
    }
    document = spec(
        {"id": "a", "kind": "subgraph", "graph": "g", "inputs": {"x": "inputs.x"}},
        graphs={"g": body},
    )
    found = one(document)
    assert (found.code, found.location) == ("type-mismatch", "$.graphs.g.nodes[0].inputs.text")


def test_cycles_are_reported_at_a_node_of_the_cycle() -> None:
    document = spec(
        function("a", "add", inputs={"x": "b", "y": "inputs.x"}), function("b", inputs={"x": "a"})
    )
    found = one(document)
    assert (found.code, found.location) == ("cycle", "$.nodes[0]")
    assert found.message.startswith("`a` -> `b` -> `a`: ")


# -- limits ----------------------------------------------------------------------------


def test_limits_are_configurable_and_reported_at_their_paths() -> None:
    wide = spec(
        *[function(f"n{i}") for i in range(5)],
        {"id": "out", "kind": "join", "inputs": {f"n{i}": f"n{i}" for i in range(5)}},
    )
    tight = SpecLimits(max_fan_out=4, max_nodes=100)
    found = where(wide, tight)
    assert found["$.nodes[4].inputs.x"][0] == "too-wide"  # the fifth reader of inputs.x
    assert found["$.nodes[5].inputs"][0] == "too-wide"  # a join of five
    assert one(wide, SpecLimits(max_nodes=5)).code == "too-many-nodes"
    looping = spec(
        {
            "id": "l",
            "kind": "loop",
            "body": "g",
            "carry": "x",
            "max_iterations": 10**6,
            "inputs": {"x": "inputs.x"},
        },
        graphs={"g": {"inputs": {"x": "int"}, "output": "one", "nodes": [function("one")]}},
    )
    found_loop = one(looping)
    assert (found_loop.code, found_loop.location) == (
        "too-many-iterations",
        "$.nodes[0].max_iterations",
    )
    long_text = spec(function("a"), description="x" * 100)
    assert one(long_text, SpecLimits(max_string_length=50)).location == "$.description"
    assert one(json.dumps(long_text), SpecLimits(max_bytes=100)).code == "too-large"
    with pytest.raises(ValueError, match="max_nodes"):
        SpecLimits(max_nodes=0)


def test_graph_nesting_depth_is_limited() -> None:
    graphs = {
        f"g{level}": {
            "inputs": {"x": "int"},
            "output": "s",
            "nodes": [
                {
                    "id": "s",
                    "kind": "subgraph",
                    "graph": f"g{level + 1}",
                    "inputs": {"x": "inputs.x"},
                }
            ],
        }
        for level in range(5)
    }
    graphs["g5"] = {"inputs": {"x": "int"}, "output": "one", "nodes": [function("one")]}
    document = spec(
        {"id": "top", "kind": "subgraph", "graph": "g0", "inputs": {"x": "inputs.x"}}, graphs=graphs
    )
    assert load(document, REGISTRY).bound.executions == 1
    found = one(document, SpecLimits(max_graph_depth=4))
    assert (found.code, found.location) == ("too-deep", "$")
    assert found.message == "graphs nest 7 levels deep; the limit is 4"


# -- dump ------------------------------------------------------------------------------


def test_dump_names_every_unregistered_part() -> None:
    class Local(Exception):
        pass

    def local_condition(value: int) -> bool:
        return True

    def anonymous(x: int) -> int:
        return x

    class Thing:
        pass

    b = GraphBuilder("unregistered", inputs={"x": int, "thing": Thing})
    first = b.add(anonymous, inputs={"x": "inputs.x"}, retry=RetryPolicy(retry_on=(Local,)))
    looped = b.loop(
        chain(), carry="x", max_iterations=3, until=local_condition, inputs={"x": first}
    )
    graph = b.build(b.join("out", inputs={"loop": looped, "thing": "inputs.thing"}))

    with pytest.raises(SpecError) as raised:
        dump(graph, REGISTRY)

    found = {p.location: p for p in raised.value.problems}
    assert found["$.nodes[0].function"].message == (
        "function `tests.graphs.test_spec_errors.test_dump_names_every_unregistered_part"
        ".<locals>.anonymous` (node `anonymous`) is not registered"
    )
    assert found["$.nodes[0].function"].hint == "register it: `registry.function(anonymous)`"
    assert found["$.nodes[0].retry.retry_on[0]"].code == "unregistered-error"
    assert found["$.nodes[1].until"].code == "unregistered-condition"
    assert found["$.inputs.thing"].code == "unregistered-type"
    assert str(raised.value).startswith("dumping graph `unregistered` has 4 problems:")


def test_dump_refuses_what_a_spec_cannot_express() -> None:
    b = GraphBuilder("odd", inputs={"x": int})
    one_ = b.add(inc, inputs={"x": "inputs.x"})
    joined = JoinNode(id="j", inputs=(Input("a", object),), output=object, timeout=5)
    b.add(joined, inputs={"a": one_})
    with pytest.raises(SpecError) as raised:
        dump(b.build("j"), REGISTRY)
    assert raised.value.codes == ["unrepresentable"]
    assert raised.value.problems[0].location == "$.nodes[1].timeout"


def test_dump_refuses_kinds_format_1_does_not_know() -> None:
    class Oracle(Node[int]):
        @property
        def kind(self) -> str:
            return "oracle"

    b = GraphBuilder("future", inputs={"x": int})
    b.add(Oracle(id="o", inputs=(Input("x", int),), output=int), inputs={"x": "inputs.x"})
    with pytest.raises(SpecError) as raised:
        dump(b.build("o"), REGISTRY)
    assert raised.value.problems[0].message == (
        "node `o` is a `oracle` node, which spec format 1 cannot express"
    )


def test_messages_escape_control_characters_from_the_spec() -> None:
    found = one(spec(function("a", "\x1b[31mred")))
    assert "\x1b" not in found.message
    assert "\\u001b[31mred" in found.message


_ = (Flaky, big_enough, pick, NodeTimeoutError)


def test_agent_problems() -> None:
    document = spec(
        {"id": "a", "kind": "agent", "agent": "helpr", "inputs": {"text": "inputs.x"}},
        inputs={"x": "str"},
    )
    found = one(document)
    assert (found.code, found.location) == ("unknown-agent", "$.nodes[0].agent")
