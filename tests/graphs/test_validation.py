"""Compile-time validation: every wiring mistake, each with location and hint, all at once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pytest

from plait import GraphBuilder, GraphDefinitionError, node
from plait.nodes import Problem


@dataclass(frozen=True)
class Page:
    title: str
    body: str


@node
async def fetch(url: str) -> Page:
    return Page(url, url)


@node
async def summarise(text: str) -> str:
    return text


@node
async def count(text: str) -> int:
    return len(text)


@node
async def shout(text: str, times: int = 1) -> str:
    return text * times


def _problems(builder: GraphBuilder, output: str) -> list[Problem]:
    with pytest.raises(GraphDefinitionError) as raised:
        builder.build(output)
    return list(raised.value.problems)


def _one(problems: list[Problem], code: str) -> Problem:
    found = [problem for problem in problems if problem.code == code]
    assert len(found) == 1, f"expected one `{code}` in {[str(p) for p in problems]}"
    return found[0]


def test_type_mismatch_names_both_ends_and_suggests_a_field() -> None:
    b = GraphBuilder("typed", inputs={"url": str})
    b.add(fetch, inputs={"url": "inputs.url"})
    b.add(summarise, inputs={"text": "fetch"})

    problem = _one(_problems(b, "summarise"), "type-mismatch")

    assert problem.location == "edge `fetch` -> `summarise.text`"
    assert problem.message == ("`fetch` is `Page`, `summarise.text` expects `str`")
    assert problem.hint == "select a field: `fetch.title` or `fetch.body`"
    assert str(problem) == (
        "[type-mismatch] edge `fetch` -> `summarise.text`: `fetch` is `Page`, "
        "`summarise.text` expects `str` (select a field: `fetch.title` or `fetch.body`)"
    )


def test_no_silent_coercion_between_builtins() -> None:
    b = GraphBuilder("coerce", inputs={"url": str})
    b.add(fetch, inputs={"url": "inputs.url"})
    b.add(count, inputs={"text": "fetch.body"})
    b.add(shout, inputs={"text": "count"})

    problem = _one(_problems(b, "shout"), "type-mismatch")

    assert problem.message == "`count` is `int`, `shout.text` expects `str`"
    assert problem.hint == "add an adapter node that turns `int` into `str`"


def test_unknown_field_lists_close_matches() -> None:
    b = GraphBuilder("fields", inputs={"url": str})
    b.add(fetch, inputs={"url": "inputs.url"})
    b.add(summarise, inputs={"text": "fetch.bdy"})

    problem = _one(_problems(b, "summarise"), "unknown-field")

    assert problem.location == "edge `fetch.bdy` -> `summarise.text`"
    assert problem.message == "`Page` has no field `bdy`"
    assert problem.hint == "did you mean `body`?"


def test_field_of_a_type_without_fields() -> None:
    b = GraphBuilder("no-fields", inputs={"text": str})
    b.add(count, inputs={"text": "inputs.text"})
    b.add(shout, inputs={"text": "inputs.text", "times": "count.real"})

    problem = _one(_problems(b, "shout"), "unknown-field")
    assert problem.message == "`count` is `int`, which has no fields to select (`real` asked for)"


def test_unknown_nodes_inputs_and_graph_inputs() -> None:
    b = GraphBuilder("unknown", inputs={"url": str})
    b.add(fetch, inputs={"url": "inputs.ulr"})
    b.add(summarise, inputs={"text": "fetc.body"})
    b.edge("fetch.body", "sumarise.text")
    b.edge("fetch.title", "summarise.txt")

    problems = _problems(b, "summarise")

    by_location = {problem.location: problem for problem in problems}
    unknown_input = by_location["edge `inputs.ulr` -> `fetch.url`"]
    assert unknown_input.code == "unknown-input"
    assert unknown_input.message == "graph `unknown` has no input `ulr`"
    assert unknown_input.hint == "did you mean `url`?"
    source = by_location["edge `fetc.body` -> `summarise.text`"]
    assert (source.code, source.hint) == ("unknown-node", "did you mean `fetch`?")
    assert source.message == "source `fetc` is not a node of graph `unknown`"
    target = by_location["edge `fetch.body` -> `sumarise.text`"]
    assert (target.code, target.hint) == ("unknown-node", "did you mean `summarise`?")
    wrong_input = by_location["edge `fetch.title` -> `summarise.txt`"]
    assert wrong_input.code == "unknown-input"
    assert wrong_input.message == "node `summarise` has no input `txt`"
    assert wrong_input.hint == "did you mean `text`?"


def test_missing_required_input_and_duplicate_edges() -> None:
    b = GraphBuilder("missing", inputs={"url": str})
    b.add(fetch, inputs={"url": "inputs.url"})
    b.add(shout)  # `text` is required and never wired; `times` has a default
    b.add(summarise, inputs={"text": "fetch.body"})
    b.edge("fetch.title", "summarise.text")

    problems = _problems(b, "summarise")

    missing = _one(problems, "missing-input")
    assert missing.location == "input `shout.text`"
    assert missing.message == "required input (`str`) has no edge"
    duplicate = _one(problems, "duplicate-edge")
    assert duplicate.location == "input `summarise.text`"
    assert duplicate.message == "fed twice: by `fetch.body` and by `fetch.title`"


def test_duplicate_and_invalid_ids() -> None:
    b = GraphBuilder("ids", inputs={"text": str})
    b.add(summarise, inputs={"text": "inputs.text"})
    b.add(count, id="summarise", inputs={"text": "inputs.text"})
    b.add(count, id="inputs")
    b.add(count, id="has.dot")

    problems = _problems(b, "summarise")

    duplicate = _one(problems, "duplicate-id")
    assert duplicate.location == "node `summarise`"
    assert duplicate.hint == "pass a distinct id=... to add()"
    invalid = [problem.location for problem in problems if problem.code == "invalid-id"]
    assert invalid == ["node `inputs`", "node `has.dot`"]


def test_cycle_is_reported_as_a_path() -> None:
    @node
    async def a(x: int) -> int:
        return x

    @node
    async def b_(x: int) -> int:
        return x

    @node
    async def c(x: int, y: int) -> int:
        return x + y

    b = GraphBuilder("cyclic", inputs={"x": int})
    b.add(a, inputs={"x": "c"})
    b.add(b_, id="b", inputs={"x": "a"})
    b.add(c, inputs={"x": "b", "y": "inputs.x"})

    problem = _one(_problems(b, "c"), "cycle")
    assert problem.location == "`a` -> `b` -> `c` -> `a`"
    assert "loop node" in problem.hint


def test_unreachable_and_dead_end_nodes() -> None:
    @node
    async def orphan_input(value: int) -> int:
        return value

    @node
    async def downstream(value: int) -> int:
        return value

    @node
    async def side_effect(text: str) -> None:
        return None

    b = GraphBuilder("reach", inputs={"text": str})
    b.add(summarise, inputs={"text": "inputs.text"})
    b.add(count, inputs={"text": "inputs.text"})  # computed, then thrown away
    b.add(side_effect, inputs={"text": "inputs.text"})  # returns None: allowed as a sink
    b.add(orphan_input)  # missing input: can never run
    b.add(downstream, inputs={"value": "orphan_input"})

    problems = _problems(b, "summarise")

    unreachable = _one(problems, "unreachable")
    assert unreachable.location == "node `downstream`"
    assert unreachable.message == "can never run: it waits for `orphan_input`, which can never run"
    dead = [problem.location for problem in problems if problem.code == "dead-end"]
    assert dead == ["node `count`", "node `downstream`"]
    assert "node `side_effect`" not in {problem.location for problem in problems}


def test_unused_graph_input_and_unknown_output() -> None:
    b = GraphBuilder("outputs", inputs={"text": str, "extra": int})
    b.add(summarise, inputs={"text": "inputs.text"})

    problems = _problems(b, "sumarise")

    unused = _one(problems, "unused-input")
    assert unused.location == "graph input `extra`"
    output = _one(problems, "unknown-output")
    assert (output.message, output.hint) == (
        "`sumarise` is not a node",
        "did you mean `summarise`?",
    )


def test_node_definition_problems_are_reported_at_build() -> None:
    def untyped(text):  # type: ignore[no-untyped-def]
        return text

    def variadic(*texts: str) -> str:
        return "".join(texts)

    b = GraphBuilder("bad-nodes", inputs={"text": str})
    b.add(untyped, inputs={"text": "inputs.text"})
    b.add(variadic)
    b.add(lambda: 1)

    problems = _problems(b, "untyped")

    located = {(problem.code, problem.location) for problem in problems}
    assert ("missing-annotation", "node `untyped` input `text`") in located
    assert ("missing-annotation", "node `untyped` output") in located
    assert ("variadic-parameter", "node `variadic` input `texts`") in located
    assert ("missing-id", "node `<lambda>`") in located
    assert not any(code == "invalid-id" for code, _ in located)  # missing-id says it already


def test_every_problem_in_one_error() -> None:
    b = GraphBuilder("everything", inputs={"url": str, "unused": int})
    b.add(fetch, inputs={"url": "inputs.url"})
    b.add(summarise, inputs={"text": "fetch"})  # type mismatch
    b.add(count, inputs={"text": "fetch.bdy"})  # unknown field
    b.add(shout)  # missing input
    b.add(count, id="fetch")  # duplicate id
    b.edge("nowhere", "summarise.text")  # unknown node

    with pytest.raises(GraphDefinitionError) as raised:
        b.build("summarise")

    error = raised.value
    assert set(error.codes) >= {
        "type-mismatch",
        "unknown-field",
        "missing-input",
        "duplicate-id",
        "unknown-node",
        "unused-input",
    }
    message = str(error)
    assert message.startswith(f"graph `everything` has {len(error.problems)} problems:\n")
    for problem in error.problems:
        assert f"  - {problem}" in message


def test_literal_and_optional_edges_are_checked() -> None:
    @node
    async def label() -> Literal["billing", "tech"]:
        return "billing"

    @node
    async def route(kind: Literal["billing", "tech", "sales"]) -> str:
        return kind

    @node
    async def narrow(kind: Literal["billing"]) -> str:
        return kind

    @node
    async def maybe() -> str | None:
        return None

    ok = GraphBuilder("literals")
    ok.add(route, inputs={"kind": ok.add(label)})
    ok.build("route")

    bad = GraphBuilder("literals-bad")
    bad.add(narrow, inputs={"kind": bad.add(label)})
    bad.add(summarise, inputs={"text": bad.add(maybe)})
    bad.add(shout, inputs={"text": "narrow", "times": "summarise"})
    problems = _problems(bad, "shout")
    mismatches = sorted(p.location for p in problems if p.code == "type-mismatch")
    assert mismatches == [
        "edge `label` -> `narrow.kind`",
        "edge `maybe` -> `summarise.text`",
        "edge `summarise` -> `shout.times`",
    ]


def test_a_broken_edge_is_reported_once() -> None:
    b = GraphBuilder("once", inputs={"text": str})
    b.add(count, inputs={"text": "inputs.text"})
    b.add(shout, inputs={"text": "nowhere", "times": "count"})

    problems = _problems(b, "shout")

    assert [problem.code for problem in problems] == ["unknown-node"]
