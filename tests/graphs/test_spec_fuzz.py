"""Fuzzing the loader: whatever it is given, it returns a Graph or raises SpecError, never
anything else, and it calls nothing registered."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plait import Problem, SpecError, dump, load
from plait.graphs import Graph

from .test_spec_parts import CALLS, REGISTRY
from .test_spec_roundtrip import graphs

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
WORDS = st.sampled_from(
    [
        "function",
        "subgraph",
        "map",
        "loop",
        "join",
        "human",
        "inc",
        "double",
        "body",
        "x",
        "inputs.x",
        "n0",
        "n0.value",
        "kind",
        "id",
        "routes",
        "retry",
        "__import__",
        "os.system",
        "list[int]",
        "str | None",
        "Literal['a']",
        "1",
        "",
        "all",
        "first",
    ]
)
MUTATION_VALUES = st.one_of(JSON, WORDS, st.integers(-3, 3))
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


def outcome(source: Any) -> None:
    calls = len(CALLS)
    problems: tuple[Problem, ...] = ()
    try:
        result: object = load(source, REGISTRY)
    except SpecError as error:
        result, problems = None, error.problems
    assert len(CALLS) == calls
    if result is None:
        assert problems
        assert all(problem.code and problem.location for problem in problems)
    else:
        assert isinstance(result, Graph)


@FUZZ
@given(JSON)
def test_any_json_data(data: object) -> None:
    outcome(data)
    outcome(json.dumps(data))


@FUZZ
@given(st.text(max_size=200) | st.binary(max_size=200))
def test_any_text(text: str | bytes) -> None:
    outcome(text)


def _paths(data: object, prefix: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _paths(value, (*prefix, index))
    return found


@FUZZ
@given(graphs(), st.data())
def test_mutated_valid_specs(graph: Graph[object], data: st.DataObject) -> None:
    document = json.loads(dump(graph, REGISTRY))
    for _ in range(data.draw(st.integers(1, 3))):
        mutated = copy.deepcopy(document)
        path = data.draw(st.sampled_from(_paths(mutated)[1:]))
        parent = mutated
        for segment in path[:-1]:
            parent = parent[segment]
        action = data.draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "delete" or (action == "add" and not isinstance(parent, dict)):
            del parent[path[-1]]
        elif action == "add":
            parent[data.draw(WORDS)] = data.draw(MUTATION_VALUES)
        else:
            parent[path[-1]] = data.draw(MUTATION_VALUES)
        document = mutated
    outcome(document)
    outcome(json.dumps(document))


@FUZZ
@given(graphs(), st.data())
def test_truncated_and_spliced_text(graph: Graph[object], data: st.DataObject) -> None:
    text = dump(graph, REGISTRY)
    cut = data.draw(st.integers(0, len(text)))
    outcome(text[:cut])
    outcome(text[:cut] + data.draw(st.text(max_size=10)) + text[cut:])
