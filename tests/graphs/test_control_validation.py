"""Compile-time checks of routes, joins, maps and loops, each with its message."""

from __future__ import annotations

from typing import Literal

import pytest

from plait import GraphBuilder, GraphDefinitionError, node
from plait.nodes import Problem


@node
def pick(text: str) -> Literal["a", "b"]:
    return "a"


@node
def plain(text: str) -> str:
    return text


@node
async def left(text: str) -> str:
    return text


@node
async def right(text: str) -> str:
    return text


def _problems(builder: GraphBuilder, output: str) -> list[Problem]:
    with pytest.raises(GraphDefinitionError) as raised:
        builder.build(output)
    return list(raised.value.problems)


def test_route_labels_must_match_the_router_type() -> None:
    b = GraphBuilder("routes", inputs={"text": str})
    router = b.add(pick, inputs={"text": "inputs.text"})
    target = b.add(left, inputs={"text": "inputs.text"})
    b.route(router, {"a": target, "c": target})
    b.join("out", inputs={"left": target, "router": router})

    problems = {(p.code, p.location): p for p in _problems(b, "out")}

    unknown = problems[("unknown-label", "route of `pick` label 'c'")]
    assert unknown.message == "`pick` never returns it (its labels: 'a', 'b')"
    unrouted = problems[("unrouted-label", "route of `pick` label 'b'")]
    assert unrouted.hint == "map it to its node(s), or to [] when it should run nothing"


def test_a_router_must_declare_labels_and_targets_must_exist() -> None:
    b = GraphBuilder("not-a-router", inputs={"text": str})
    router = b.add(plain, inputs={"text": "inputs.text"})
    b.route(router, {"x": "nowhere"})
    b2 = GraphBuilder("missing-target", inputs={"text": str})
    r2 = b2.add(pick, inputs={"text": "inputs.text"})
    b2.route(r2, {"a": "nowhere", "b": []})
    b2.add(left, inputs={"text": "inputs.text"})

    (first,) = [p for p in _problems(b, "plain") if p.code == "not-a-router"]
    assert first.message == "`plain` returns `str`, which declares no labels"
    codes = [p.code for p in _problems(b2, "left")]
    assert "unknown-node" in codes


def test_joins_that_cancel_need_parallel_branches() -> None:
    b = GraphBuilder("joins", inputs={"text": str})
    one = b.add(left, inputs={"text": "inputs.text"})
    two = b.add(right, inputs={"text": one})  # depends on `left`: not an alternative
    b.join("race", inputs={"a": one, "b": two}, policy="first")
    b.join("solo", inputs={"a": two}, policy="collect")
    b.join("quorum", inputs={"a": one, "b": two}, policy="k_of_n", k=3)
    b.join("out", inputs={"race": "race", "solo": "solo", "quorum": "quorum"})

    problems = _problems(b, "out")

    by_location = {(p.code, p.location, p.message) for p in problems}
    assert (
        "join-without-fork",
        "join `race`",
        "`right` depends on `left`, so they are not parallel branches",
    ) in by_location
    assert (
        "join-without-fork",
        "join `solo`",
        "a `collect` join needs two or more branches, it has 1",
    ) in by_location
    assert (
        "invalid-join",
        "join `quorum`",
        "k_of_n needs 1 <= k <= 2 (its inputs), got k=3",
    ) in by_location


def test_loop_and_map_bodies_are_checked() -> None:
    body = GraphBuilder("body", inputs={"text": str})
    body_graph = body.build(body.add(plain, inputs={"text": "inputs.text"}))

    counted = GraphBuilder("counted", inputs={"text": str})

    @node
    def length(text: str) -> int:
        return len(text)

    counted_graph = counted.build(counted.add(length, inputs={"text": "inputs.text"}))

    b = GraphBuilder("bodies", inputs={"text": str, "texts": list[str]})
    b.loop(
        body_graph, id="no_carry", carry="missing", max_iterations=0, inputs={"text": "inputs.text"}
    )
    b.loop(
        counted_graph,
        id="wrong_type",
        carry="text",
        max_iterations=2,
        inputs={"text": "inputs.text"},
    )
    b.map(
        body_graph,
        id="no_over",
        over="item",
        max_items=0,
        inputs={"text": "inputs.text", "item": "inputs.texts"},
    )
    b.join("out", inputs={"a": "no_carry", "b": "wrong_type", "c": "no_over"})

    problems = {(p.code, p.location): p.message for p in _problems(b, "out")}

    assert (
        problems[("invalid-bound", "loop `no_carry`")] == "max_iterations must be at least 1, got 0"
    )
    assert (
        problems[("unknown-input", "loop `no_carry`")]
        == "body `body` has no input `missing` to carry"
    )
    assert problems[("type-mismatch", "loop `wrong_type`")] == (
        "the body returns `int`, its carried input `text` expects `str`"
    )
    assert (
        problems[("unknown-input", "map `no_over`")]
        == "body `body` has no input `item` to map over"
    )
    assert problems[("invalid-bound", "map `no_over`")] == "max_items must be at least 1, got 0"
